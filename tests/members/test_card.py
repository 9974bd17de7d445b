"""The membership card: the page, and the signed token its QR code carries."""

import re

import pytest
from itsdangerous import URLSafeSerializer

from portal.members.card import card_token, member_for_card_token
from portal.presentation import qr_svg
from tests.factories import make_member
from tests.helpers import login


@pytest.fixture
def mei(app):
    return make_member(name="Mei Lin", email="mei@example.com", tier="silver")


def test_a_card_token_names_its_member(mei):
    token = card_token(mei)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)  # URL-safe: fits a QR code and a URL
    assert member_for_card_token(token) == mei.id
    assert card_token(mei) == token  # the card does not change from one visit to the next


def test_a_tampered_or_foreign_token_names_nobody(app, mei):
    token = card_token(mei)
    payload, signature = token.rsplit(".", 1)
    other = make_member(email="ann@example.com")
    forged = card_token(other).rsplit(".", 1)[0] + "." + signature  # another id, Mei's signature
    assert member_for_card_token(forged) is None
    assert member_for_card_token(payload + "." + signature[::-1]) is None
    assert member_for_card_token(payload) is None
    assert member_for_card_token("") is None
    assert member_for_card_token("not a token") is None
    # signed with the right key but for another purpose (another salt), or with another key
    assert member_for_card_token(URLSafeSerializer(app.config["SECRET_KEY"], salt="reset").dumps(mei.id)) is None
    assert member_for_card_token(URLSafeSerializer("another key", salt="member-card").dumps(mei.id)) is None
    # the right key and salt, but not a member id
    serializer = URLSafeSerializer(app.config["SECRET_KEY"], salt="member-card")
    assert member_for_card_token(serializer.dumps("1")) is None
    assert member_for_card_token(serializer.dumps(True)) is None


def test_the_qr_code_is_an_accessible_inline_svg_without_style_attributes(app):
    with app.test_request_context():
        svg = str(qr_svg("token", 'QR code of "M000001"'))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-label="QR code of &#34;M000001&#34;"' in svg
    assert "viewBox=" in svg and "style" not in svg  # sized by CSS, allowed by the CSP


def test_the_card_page_shows_name_number_tier_and_the_qr_code(client, mei):
    login(client, "mei@example.com")
    response = client.get("/card")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mei Lin" in html and f'<dd class="number">{mei.number}</dd>' in html and "Silver" in html
    assert re.fullmatch(r"M\d{6}", mei.number)
    svg = re.search(r"<svg [^>]*role=\"img\"[^>]*>", html).group(0)  # the QR, not the header's bell icon
    assert 'role="img"' in svg and f'aria-label="QR code of membership card {mei.number}"' in svg
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles


def test_the_home_page_links_to_the_card(client, mei):
    login(client, "mei@example.com")
    assert '<a class="button" href="/card">Membership card</a>' in client.get("/").get_data(as_text=True)


def test_the_card_is_in_chinese_for_a_chinese_member(client, app):
    make_member(name="Lin Mei", email="lin@example.com", tier="silver", language="zh_Hant")
    login(client, "lin@example.com")
    assert "銀牌會員" in client.get("/card").get_data(as_text=True)
