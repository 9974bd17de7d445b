"""What a member sees: the home, the points history, the benefits comparison; who may see them."""

import re
from datetime import datetime, time, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import current_app

from portal.extensions import db
from portal.members import ledger
from portal.members.benefits import compare_tiers, tiers_with_benefits
from portal.models import add_months, utcnow
from tests.factories import make_member, make_staff
from tests.helpers import login

MEMBER_PAGES = ("/points", "/benefits", "/card")
ENTRY = re.compile(r'<li class="entry">(.*?)</li>', re.S)


def noon(moment):
    """Midday UTC on `moment`'s day: the same calendar day in Taipei, whatever the clock says."""
    return datetime.combine(moment.date(), time(12), tzinfo=moment.tzinfo)


def day(moment):
    """A date as the English pages show it: 31 Dec 2026 — a moment on the programme's calendar."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    return format_date(moment, "d MMM y", locale="en")


def entries(html):
    """[(kind name, detail, signed amount, the rest)] of the entry rows on a page."""
    rows = []
    for row in ENTRY.findall(html):
        kind = re.search(r"<strong>(.*?)</strong>", row).group(1)
        detail = re.search(r'<span class="detail">(.*?)</span>', row)
        amount = re.search(r'<div class="how-much [a-z]+">(.*?)</div>', row)
        when = re.search(r'<div class="when">(.*?)</div>', row, re.S).group(1)
        rows.append((kind, detail.group(1) if detail else "", amount.group(1) if amount else None,
                     " ".join(re.sub(r"<[^>]+>", " ", when).split())))
    return rows


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def mei(app):
    """A member with four known entries: an old purchase, one that expires in ten days (partly
    spent), a redemption and a survey. 4,680 qualifying points: Silver, 320 short of Gold."""
    now = utcnow()
    member = make_member(name="Mei Lin", email="mei@example.com", tier="regular")
    member.dates = {"first": noon(now - timedelta(days=200)), "expiring": noon(now + timedelta(days=10))}
    ledger.earn(member, 2500, "purchase", "t:first", at=member.dates["first"], reason="Purchase at Xinyi store")
    ledger.earn(member, 1700, "purchase", "t:expiring", at=noon(now - timedelta(days=40)),
                expires_at=member.dates["expiring"], reason="Double points weekend")
    ledger.spend(member, 500, "redemption", "t:spend", at=now - timedelta(days=20), reason="Discount at the till")
    ledger.earn(member, 480, "survey", "t:survey", at=now - timedelta(days=5), reason="Thank you for the survey")
    return member


@pytest.fixture
def many(app):
    """A member with 45 purchases, "Purchase 1" (oldest) to "Purchase 45" (newest), and another
    member whose entries are interleaved with hers."""
    member = make_member(name="Mei Lin", email="mei@example.com")
    other = make_member(name="Ann Lee", email="ann@example.com")
    start = utcnow() - timedelta(days=300)
    for n in range(1, 46):
        ledger.earn(member, 10, "purchase", f"t:many:{n}", at=start + timedelta(days=5 * n), reason=f"Purchase {n}")
        if n % 3 == 0:
            ledger.earn(other, 10, "purchase", f"t:other:{n}", at=start + timedelta(days=5 * n, hours=1),
                        reason=f"Ann's purchase {n}")
    ledger.earn(member, 50, "birthday", "t:many:birthday", at=start + timedelta(days=1), reason="Happy birthday!")
    return member, other


# --- access ---------------------------------------------------------------------------------


def test_every_member_page_needs_a_login(client):
    assert client.get("/").headers["Location"] == "/login"
    for path in MEMBER_PAGES:
        response = client.get(path)
        assert response.status_code == 302
        assert unquote(response.headers["Location"]).startswith(f"/login?next={path}")


@pytest.mark.parametrize("role", ["admin", "service", "operations", "expansion"])
def test_staff_get_403_on_member_pages(client, role):
    make_staff(role, email="staff@example.com")
    login(client, "staff@example.com")
    assert client.get("/").headers["Location"] == "/admin/"  # staff land in their own pages
    for path in (*MEMBER_PAGES, "/points?after=1", "/points?kind=purchase"):
        assert client.get(path).status_code == 403, path


# --- home -----------------------------------------------------------------------------------


def test_home_shows_tier_balance_expiring_points_progress_benefits_and_activity(client, mei):
    login(client, "mei@example.com")
    html = text(client.get("/"))
    assert '<span class="badge tier-silver" aria-hidden="true"></span> Silver</dd>' in html
    assert '<dd class="balance">4,180</dd>' in html
    # 1,700 expire in ten days, 500 of them were spent first (first to expire, first spent)
    assert f"<li>1,200 points expire on {day(mei.dates['expiring'])}</li>" in html
    by = add_months(mei.dates["first"], 12)  # when the oldest qualifying points leave the window
    assert ('<p id="progress-text" class="progress-text">320 more points to reach Gold — 2,500 of your points '
            f'stop counting on {day(by)}</p>') in html  # what the date means, not a deadline
    assert 'href="/benefits#qualifying">How qualifying points work</a>' in html
    assert '<progress class="tier-progress" max="100" value="92" aria-labelledby="progress-text">' in html
    assert "4,680 qualifying points in the last 12 months" in html
    assert "What Gold adds" in html and "<li>Priority support</li>" in html
    assert "Your Silver benefits" in html and "<strong>1.25× points</strong>" in html
    assert entries(html) == [
        ("Moved up to Silver", "Qualifying points reached 2,500", None, day(utcnow())),  # judged now: see 2.2
        ("Survey", "Thank you for the survey", "+480", day(utcnow() - timedelta(days=5))),
        ("Redemption", "Discount at the till", "\u2212500", day(utcnow() - timedelta(days=20))),
        ("Purchase", "Double points weekend", "+1,700", day(noon(utcnow() - timedelta(days=40)))),
        ("Purchase", "Purchase at Xinyi store", "+2,500", day(mei.dates["first"])),
    ]
    assert 'href="/card">Membership card</a>' in html and 'href="/benefits"' in html


@pytest.mark.parametrize(("language", "heading", "not_a_deadline"), [
    ("en", "How qualifying points work", "It is not a deadline"),
    ("zh_Hant", "有效積分怎麼算", "這不是截止日期"),
])
def test_the_benefits_page_explains_when_points_stop_counting(client, app, language, heading, not_a_deadline):
    make_member(email="ann.benefits@example.com", language=language)
    login(client, "ann.benefits@example.com")
    html = text(client.get("/benefits"))
    assert f'<h2 id="qualifying-heading">{heading}</h2>' in html and not_a_deadline in html


def test_home_of_a_new_member_is_calm(client, app):
    make_member(name="Ann Lee", email="ann@example.com", tier="silver")
    login(client, "ann@example.com")
    html = text(client.get("/"))
    assert "No points expire in the next 30 days." in html
    assert ">5,000 more points to reach Gold</p>" in html  # no qualifying points yet: no date
    assert '<dd class="balance">0</dd>' in html
    assert "Nothing here yet." in html


def test_home_at_the_top_tier_says_so(client, app):
    make_member(name="Dee Diamond", email="dee@example.com", tier="diamond")
    login(client, "dee@example.com")
    html = text(client.get("/"))
    assert "Diamond is our highest tier" in html and "<progress" not in html and "more points" not in html


def test_home_in_chinese_shows_the_tier_and_dates_in_chinese(client, mei):
    mei.language = "zh_Hant"
    db.session.flush()
    login(client, "mei@example.com")
    html = text(client.get("/"))
    assert 'lang="zh-Hant"' in html and "銀牌會員" in html and "金牌會員" in html  # Silver, and the next tier
    expiring = mei.dates["expiring"]
    assert f"{expiring.year}年{expiring.month}月{expiring.day}日" in html
    assert "1.25 倍積分" in html  # Silver's benefits, in Chinese


# --- points ---------------------------------------------------------------------------------


def test_points_page_shows_balance_expiring_points_and_the_history_with_expiry_dates(client, mei):
    login(client, "mei@example.com")
    response = client.get("/points")
    html = text(response)
    assert "HX-Request" in response.headers["Vary"]
    assert '<dd class="balance">4,180</dd>' in html
    assert f"1,200 points expire on {day(mei.dates['expiring'])}" in html
    rows = entries(html)
    assert [(kind, amount) for kind, _detail, amount, _when in rows] == [
        ("Survey", "+480"), ("Redemption", "\u2212500"), ("Purchase", "+1,700"), ("Purchase", "+2,500")]
    assert f"expires {day(mei.dates['expiring'])}" in rows[2][3]  # an earning shows its expiry date
    assert f"expires {day(add_months(mei.dates['first'], 24))}" in rows[3][3]  # by default 24 months
    assert "expire" not in rows[1][3]  # a redemption does not expire
    assert 'id="load-more-link"' not in html  # four entries: nothing more to load


def test_an_expired_earning_says_when_it_expired(client, app):
    member = make_member(email="ann@example.com")
    earned = noon(utcnow() - timedelta(days=60))
    ledger.earn(member, 300, "purchase", "t:promo", at=earned, expires_at=earned + timedelta(days=30), reason="Promo")
    ledger.expire_due(member)
    login(client, "ann@example.com")
    rows = entries(text(client.get("/points")))
    assert [(kind, amount) for kind, _d, amount, _w in rows] == [("Expired", "\u2212300"), ("Purchase", "+300")]
    assert f"expired {day(earned + timedelta(days=30))}" in rows[1][3]


def test_points_history_of_a_new_member_says_there_is_nothing_yet(client, app):
    make_member(email="ann@example.com")
    login(client, "ann@example.com")
    html = text(client.get("/points"))
    assert "No points yet." in html and 'class="entry"' not in html and 'id="load-more-link"' not in html


def load_more_link(html):
    match = re.search(r'<a id="load-more-link" class="button" href="([^"]+)" hx-get="([^"]+)"', html)
    assert match and match.group(1) == match.group(2), "no Load more link (or its href and hx-get differ)"
    return match.group(1).replace("&amp;", "&")


def test_points_history_pages_by_20_newest_first_and_load_more_appends_the_next_with_htmx(client, many):
    login(client, "mei@example.com")
    first = text(client.get("/points"))
    assert [detail for _k, detail, _a, _w in entries(first)] == [f"Purchase {n}" for n in range(45, 25, -1)]
    more = load_more_link(first)
    assert 'hx-target="#points-list" hx-swap="beforeend"' in first and 'hx-select-oob="#load-more"' in first

    response = client.get(more, headers={"HX-Request": "true"})
    fragment = text(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<div id="history">')  # the block alone: no page, no nav
    assert "<html" not in fragment and "<nav" not in fragment
    assert [detail for _k, detail, _a, _w in entries(fragment)] == [f"Purchase {n}" for n in range(25, 5, -1)]
    last = text(client.get(load_more_link(fragment), headers={"HX-Request": "true"}))
    assert [detail for _k, detail, _a, _w in entries(last)] == [
        *(f"Purchase {n}" for n in range(5, 0, -1)), "Happy birthday!"]
    assert 'id="load-more-link"' not in last
    assert re.search(r'<div id="load-more" class="load-more">\s*</div>', last)  # replaces the old link
    assert "Ann's purchase" not in first + fragment + last


def test_load_more_without_javascript_opens_the_next_page_with_a_way_back(client, many):
    login(client, "mei@example.com")
    response = client.get(load_more_link(text(client.get("/points"))))
    html = text(response)
    assert html.startswith("<!doctype html>") and "<nav" in html  # a whole page
    assert [detail for _k, detail, _a, _w in entries(html)] == [f"Purchase {n}" for n in range(25, 5, -1)]
    assert '<a class="more" href="/points">Back to the newest</a>' in html and 'id="load-more-link"' in html


def test_after_an_entry_of_another_member_shows_nothing_of_theirs(client, many):
    _member, other = many
    theirs = ledger.history(other)[0][0]
    login(client, "mei@example.com")
    for headers in ({}, {"HX-Request": "true"}):
        html = text(client.get(f"/points?after={theirs.id}", headers=headers))
        assert entries(html) == [] and "Ann" not in html and "No older entries." in html
    assert entries(text(client.get("/points?after=not-a-number")))  # ignored: the first page


def test_the_kind_filter_shows_only_that_kind_and_keeps_it_when_loading_more(client, many):
    login(client, "mei@example.com")
    html = text(client.get("/points"))
    assert '<label for="kind">Kind</label>' in html
    assert '<option selected value="">All kinds</option>' in html
    assert '<option value="birthday">Birthday bonus</option>' in html
    assert '<button type="submit">Show</button>' in html and 'hx-trigger="change, submit" hx-target="#history"' in html

    birthday = text(client.get("/points?kind=birthday"))
    assert [(kind, detail) for kind, detail, _a, _w in entries(birthday)] == [("Birthday bonus", "Happy birthday!")]
    assert '<option selected value="birthday">Birthday bonus</option>' in birthday

    purchases = client.get("/points?kind=purchase", headers={"HX-Request": "true"})
    fragment = text(purchases)
    assert fragment.lstrip().startswith('<div id="history">')
    assert {kind for kind, _d, _a, _w in entries(fragment)} == {"Purchase"} and len(entries(fragment)) == 20
    more = load_more_link(fragment)
    assert "kind=purchase" in more and "after=" in more
    rest = entries(text(client.get(more, headers={"HX-Request": "true"})))
    assert {kind for kind, _d, _a, _w in rest} == {"Purchase"} and len(rest) == 20

    assert "No entries of this kind." in text(client.get("/points?kind=reversal"))
    assert len(entries(text(client.get("/points?kind=nonsense")))) == 20  # an unknown kind: all kinds


# --- benefits -------------------------------------------------------------------------------


def tier_sections(html):
    return dict(re.findall(r'<section class="card tier-card[^"]*" aria-labelledby="tier-(\w+)">(.*?)</section>',
                           html, re.S))


def test_benefits_compare_every_tier_and_highlight_the_members(client, app):
    make_member(email="gold@example.com", tier="gold")
    login(client, "gold@example.com")
    html = text(client.get("/benefits"))
    sections = tier_sections(html)
    assert list(sections) == ["regular", "silver", "gold", "diamond"]
    assert re.search(r'class="card tier-card mine" aria-labelledby="tier-gold"', html)
    assert html.count('class="card tier-card mine"') == 1 and html.count('<p class="your-tier">Your tier</p>') == 1
    assert "Your tier" in sections["gold"]
    assert "Where everyone starts" in sections["regular"] and "<dd>1×</dd>" in sections["regular"]
    assert "<dd>1,000 a year</dd>" in sections["silver"] and "<dd>1.25×</dd>" in sections["silver"]
    assert "<dd>20,000 a year</dd>" in sections["diamond"] and "<dd>2×</dd>" in sections["diamond"]
    assert "Adds over Silver" in sections["gold"]
    assert re.search(r"<strong>Priority support</strong> <span class=\"tag\">New</span>", sections["gold"])
    assert re.search(r"<strong>1.5× points</strong> <span class=\"tag\">Better</span>", sections["gold"])
    assert "Also included" in sections["silver"] and "<li>Member events</li>" in sections["silver"]


def test_benefits_in_chinese_name_the_tiers_in_chinese(client, app):
    make_member(email="lin@example.com", tier="silver", language="zh_Hant")
    login(client, "lin@example.com")
    sections = tier_sections(text(client.get("/benefits")))
    for code, name in {"regular": "普通會員", "silver": "銀牌會員", "gold": "金牌會員", "diamond": "鑽石會員"}.items():
        assert name in sections[code]
    assert "優先服務" in sections["gold"]


def test_compare_tiers_says_what_each_tier_adds_over_the_one_below(app):
    offers = {offer.tier.code: offer for offer in compare_tiers(tiers_with_benefits())}
    titles = lambda benefits: [b.title for b in benefits]  # noqa: E731
    assert offers["regular"].below is None and len(offers["regular"].new) == 3
    assert titles(offers["silver"].better) == ["1.25× points", "Birthday bonus"]  # same kinds, better terms
    assert titles(offers["silver"].kept) == ["Member events"] and offers["silver"].new == []
    assert titles(offers["gold"].new) == ["Priority support", "Exclusive events"]
    assert titles(offers["gold"].added) == ["1.5× points", "Birthday bonus", "Priority support", "Exclusive events"]
    assert titles(offers["diamond"].kept) == ["Priority support"]
    assert offers["diamond"].below.code == "gold"


# --- navigation -----------------------------------------------------------------------------


def test_the_navigation_leads_to_points_and_benefits(client, mei):
    login(client, "mei@example.com")
    html = text(client.get("/points"))
    assert '<a href="/points" aria-current="page">Points</a>' in html
    assert re.search(r'<a href="/benefits"\s*>Benefits</a>', html)
    assert '<a href="/benefits" aria-current="page">Benefits</a>' in text(client.get("/benefits"))


def test_the_navigation_is_rendered_once_per_language_and_page_and_kept(client, mei, app):
    """portal/fragments.py: the member navigation depends on the language and the page only; each
    (language, page) is rendered once and reused, and no page gets another's current item."""
    from tests.helpers import csrf_token

    login(client, "mei@example.com")
    kept = app.extensions.setdefault("portal_fragments", {})
    kept.clear()
    for _round in range(2):
        assert '<a href="/points" aria-current="page">Points</a>' in text(client.get("/points"))
        benefits = text(client.get("/benefits"))
        assert '<a href="/benefits" aria-current="page">Benefits</a>' in benefits
        assert 'aria-current="page">Points' not in benefits
    client.post("/language", data={"language": "zh_Hant", "csrf_token": csrf_token(client, "/benefits")})
    chinese = text(client.get("/benefits"))
    assert '<a href="/benefits" aria-current="page">權益</a>' in chinese and ">Points<" not in chinese
    assert sorted((language, endpoint) for _template, language, endpoint, _root in kept) == [
        ("en", "members.benefits"), ("en", "members.points"), ("zh_Hant", "members.benefits")]
