"""The membership card: a signed token that names the member, and its QR code as inline SVG."""

import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape

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


def qr_svg(data, label):
    """`data` as a QR code: <svg> markup with attributes only (the CSP forbids inline styles),
    sized by CSS through its viewBox, named `label` for screen readers."""
    svg = segno.make(data, error="m").svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr",
    )
    named = f'<svg role="img" aria-label="{escape(label)}" shape-rendering="crispEdges" '
    # segno writes only numbers and its own attribute values into the markup; the label is escaped.
    return Markup(svg.replace("<svg ", named, 1))  # noqa: S704
