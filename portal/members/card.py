"""The membership card: a signed token that names the member (its QR code: presentation.qr_svg)."""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "member-card"


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def card_token(member):
    """A signed, URL-safe token carrying the member's id, for the card's QR code."""
    return _serializer().dumps(member.id)


def member_for_card_token(token):
    """The member id a card token carries, or None when the token is tampered with or not one of ours."""
    try:
        member_id = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    return member_id if isinstance(member_id, int) and not isinstance(member_id, bool) else None
