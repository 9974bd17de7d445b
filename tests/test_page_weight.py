"""Page weight budgets, through the whole WSGI stack as a browser would fetch it (brotli accepted):
the member home's first load — the page and everything it loads — at most 30 KB transferred, each
htmx fragment a member asks for at most 5 KB. Measured on Mei, the demo member with the most on her
pages. Bytes transferred: the body as sent (compressed) and the response headers, as HTTP/1.1
writes them (HTTP/2 compresses headers, so a browser moves less)."""

import html as markup
import re

import pytest

from tests.helpers import login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the bytes, not the database

BROWSER = {"Accept-Encoding": "br, gzip", "Sec-Fetch-Site": "same-origin"}
SERVER_HEADERS = len("HTTP/1.1 200 OK\r\nServer: gunicorn\r\nDate: Thu, 03 Dec 2026 07:00:00 GMT\r\n"
                     "Connection: keep-alive\r\n\r\n")  # what gunicorn adds; the test client does not
FIRST_LOAD_BUDGET = 30 * 1024
FRAGMENT_BUDGET = 5 * 1024
ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"')
HX_GET = re.compile(r'hx-get="([^"]+)"')
HX_POST = re.compile(r'hx-post="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


def transferred(response):
    headers = sum(len(name) + len(value) + 4 for name, value in response.headers.items())
    return len(response.get_data()) + headers + SERVER_HEADERS


def plain_text(response):
    """The body as the browser reads it (decompressed)."""
    import gzip

    import brotli

    body, encoding = response.get_data(), response.headers.get("Content-Encoding")
    return (brotli.decompress(body) if encoding == "br" else gzip.decompress(body) if encoding == "gzip"
            else body).decode()


@pytest.fixture
def mei(app, client):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert login(client, "mei@example.com").status_code == 303
    return client


def first_load(client, path):
    """{url: bytes transferred} for the page and each stylesheet, icon, script and picture it loads."""
    page = client.get(path, headers=BROWSER)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "br"
    sizes = {path: transferred(page)}
    for url in dict.fromkeys(ASSET.findall(plain_text(page))):
        asset = client.get(markup.unescape(url), headers=BROWSER)
        assert asset.status_code == 200, url
        sizes[url] = transferred(asset)
    return sizes


def test_the_member_homes_first_load_is_at_most_30_kb(mei):
    sizes = first_load(mei, "/")
    print("\nmember home, first load:", sizes, "total", sum(sizes.values()))
    assert len(sizes) >= 4  # the page, its stylesheet, its scripts: what is measured is there
    assert sum(sizes.values()) <= FIRST_LOAD_BUDGET, sizes


def test_the_login_pages_first_load_is_at_most_30_kb(client, app):
    sizes = first_load(client, "/login")
    print("\nlogin, first load:", sizes, "total", sum(sizes.values()))
    assert sum(sizes.values()) <= FIRST_LOAD_BUDGET, sizes


def test_every_htmx_fragment_a_member_asks_for_is_at_most_5_kb(mei):
    """Each hx-get and hx-post on the member's pages (Load more, the filters, Redeem, Register...),
    asked for as htmx asks."""
    pages = ["/", "/points", "/events", "/rewards", "/tickets", "/surveys", "/profile", "/notifications"]
    listing = {"/events": re.compile(r'href="(/events/\d+)"'), "/rewards": re.compile(r'href="(/rewards/\d+)"')}
    sizes, seen = {}, set()
    while pages:
        path = pages.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = plain_text(mei.get(path, headers=BROWSER))
        if path in listing:
            pages += list(dict.fromkeys(listing[path].findall(text)))[:3]
        token = CSRF_HEADER.search(text).group(1)
        for method, pattern in (("GET", HX_GET), ("POST", HX_POST)):
            for url in dict.fromkeys(markup.unescape(u) for u in pattern.findall(text)):
                headers = {**BROWSER, "HX-Request": "true", "HX-Current-URL": "http://localhost" + path}
                if method == "POST":
                    headers["X-CSRFToken"] = token
                response = mei.open(url, method=method, headers=headers)
                assert response.status_code < 400, (method, url, response.status_code)
                assert "<html" not in plain_text(response), (method, url)  # a fragment, not the page
                sizes[f"{method} {url}"] = transferred(response)
    print("\nhtmx fragments:", sizes)
    assert any("after=" in request for request in sizes)  # "Load more" on /points
    assert any(request.startswith("POST /events/") for request in sizes)  # Register or Cancel
    assert any("/rewards/" in request for request in sizes)  # Redeem
    too_heavy = {request: size for request, size in sizes.items() if size > FRAGMENT_BUDGET}
    assert not too_heavy


def test_the_load_more_fragments_of_events_and_my_tickets_are_at_most_5_kb(mei):
    """Mei with 45 more upcoming events and 45 more tickets than the demo gives her: the second page
    of each (20 cards, 20 rows) as htmx asks for it from its "Load more"."""
    from datetime import timedelta

    from portal.extensions import db
    from portal.members.models import Member
    from tests.factories import make_event, make_ticket

    member = db.session.scalar(db.select(Member).where(Member.email == "mei@example.com"))
    places = ("Xinyi flagship, 3F tasting room", "Daan shop, garden terrace", "Songshan roastery")
    subjects = ("My voucher was refused at the till", "The app shows the wrong balance",
                "Question about the birthday bonus")
    streets = ("No. 11, Songgao Rd, Xinyi District, Taipei", "No. 88, Section 2, Anhe Rd, Daan District, Taipei",
               "No. 5, Lane 133, Nanjing E Rd Sec 5, Songshan District, Taipei")
    for n in range(45):
        make_event(f"{('Pour-over', 'Latte art', 'Single origin', 'Tea pairing')[n % 4]} session no. {n + 1}",
                   title_zh=f"第 {n + 1} 場咖啡品鑑", online=n % 5 == 0, venue=places[n % 3], address=streets[n % 3],
                   starts_in=timedelta(days=3 + n, hours=n % 6), capacity=10 + n)
        make_ticket(member, kind=("complaint", "feedback", "consultation")[n % 3],
                    subject=f"{subjects[n % 3]} ({n + 1})")
    db.session.commit()
    sizes = {}
    for path in ("/events", "/tickets"):
        page = plain_text(mei.get(path, headers=BROWSER))
        link = re.search(r'id="load-more-link" class="button" href="([^"]+)"', page)
        assert link, path
        url = markup.unescape(link.group(1))
        response = mei.get(url, headers={**BROWSER, "HX-Request": "true", "HX-Current-URL": "http://localhost" + path})
        assert response.status_code == 200 and "<html" not in plain_text(response)
        assert plain_text(response).count("<li>") >= 20, url  # a full page of cards or rows
        sizes[f"GET {url}"] = transferred(response)
    print("\nLoad more fragments:", sizes)
    assert all(size <= FRAGMENT_BUDGET for size in sizes.values()), sizes
