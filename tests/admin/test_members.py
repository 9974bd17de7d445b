"""Staff member pages: search, the member page, points adjustments and tier changes, by role."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.members import ledger, records, tiers
from portal.members.models import Member, PointsEntry, Tier, TierChange
from portal.models import add_months, utcnow
from portal.rewards import services as rewards
from tests.factories import make_member, make_reward, make_staff
from tests.helpers import as_staff, counting_queries, csrf_token, login, post_form

READERS = ("admin", "operations", "service", "expansion")
WRITERS = ("admin", "operations")
READ_ONLY = ("service", "expansion")
PROGRAMME_ZONE = ZoneInfo("Asia/Taipei")  # the test settings' DEFAULT_TIMEZONE
TODAY = datetime.now(PROGRAMME_ZONE).date()



def give(member, points, **kwargs):
    """Points for `member` as a purchase, through the ledger."""
    return ledger.earn(member, points, "purchase", f"test:{uuid.uuid4()}", reason="Purchase", **kwargs)


def html(response):
    return response.get_data(as_text=True)


def result_names(page):
    return re.findall(r'<td><a href="/admin/members/\d+">([^<]+)</a></td>', page)


def form_key(client, member):
    match = re.search(r'id="adjust-key" name="key" type="hidden" value="([^"]+)"',
                      html(client.get(f"/admin/members/{member.id}")))
    assert match, "no adjust form on the member page"
    return match.group(1)


def adjust(client, member, points, reason, key=None, htmx=True):
    """Post the "Adjust points" form as the page would: with htmx (a fragment back) or without."""
    data = {"points": points, "reason": reason, "key": key or form_key(client, member)}
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://localhost/admin/members/{member.id}"} if htmx else {}
    return post_form(client, f"/admin/members/{member.id}/points", data, page=f"/admin/members/{member.id}",
                     headers=headers)


def _tier(code):
    return db.session.scalar(select(Tier).where(Tier.code == code))


def count(model, **where):
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return db.session.scalar(query)


def entries_of(member):
    return db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.id)
    ).all()


# --- who may do what ----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client):
    member = make_member()
    for path in ("/admin/members", f"/admin/members/{member.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert unquote(response.headers["Location"]).startswith(f"/login?next={path}")
    response = post_form(client, f"/admin/members/{member.id}/points",
                         {"points": "500", "reason": "x", "key": str(uuid.uuid4())}, page="/login")
    assert response.status_code == 302 and count(PointsEntry, member_id=member.id) == 0


def test_a_member_gets_403_everywhere_in_the_members_area(client):
    member = make_member(email="mei@example.com")
    login(client, "mei@example.com")
    for path in ("/admin/members", f"/admin/members/{member.id}"):
        assert client.get(path).status_code == 403
    for path, data in ((f"/admin/members/{member.id}/points",
                        {"points": "500", "reason": "x", "key": str(uuid.uuid4())}),
                       (f"/admin/members/{member.id}/tier", {"tier": "gold", "reason": "x"})):
        assert post_form(client, path, data, page="/").status_code == 403
    assert count(PointsEntry, member_id=member.id) == 0 and count(TierChange, member_id=member.id) == 0


@pytest.mark.parametrize("role", READERS)
def test_every_staff_role_reads_the_list_and_the_member_page(client, role):
    member = make_member(name="Ann Lee")
    as_staff(client, role)
    listing = client.get("/admin/members")
    assert listing.status_code == 200 and "Ann Lee" in result_names(html(listing))
    assert '>Members</a>' in html(listing)  # the staff navigation leads here
    page = client.get(f"/admin/members/{member.id}")
    assert page.status_code == 200 and "<h1 id=\"member-heading\">Ann Lee</h1>" in html(page)


@pytest.mark.parametrize("role", READ_ONLY)
def test_service_and_expansion_read_but_cannot_adjust_or_change_the_tier(client, role):
    member = make_member()
    give(member, 300)
    as_staff(client, role)
    page = html(client.get(f"/admin/members/{member.id}"))
    assert "Points balance" in page and "300" in page
    assert "Adjust points" not in page and "Change tier" not in page and 'name="key"' not in page
    assert "Audit log" not in page  # the audit log is the team lead's
    adjusted = post_form(client, f"/admin/members/{member.id}/points",
                         {"points": "500", "reason": "Goodwill", "key": str(uuid.uuid4())},
                         page=f"/admin/members/{member.id}")
    changed = post_form(client, f"/admin/members/{member.id}/tier", {"tier": "gold", "reason": "VIP"},
                        page=f"/admin/members/{member.id}")
    assert adjusted.status_code == 403 and changed.status_code == 403
    assert [e.amount for e in entries_of(member)] == [300] and count(TierChange, member_id=member.id) == 0
    assert count(AuditEntry, member_id=member.id) == 0


@pytest.mark.parametrize("role", WRITERS)
def test_admin_and_operations_see_both_forms(client, role):
    member = make_member()
    as_staff(client, role)
    page = html(client.get(f"/admin/members/{member.id}"))
    assert '<label for="adjust-points">Points</label>' in page and '<label for="adjust-reason">Reason</label>' in page
    assert ">Adjust points</button>" in page
    assert '<label for="new-tier">Tier</label>' in page and ">Change tier</button>" in page
    assert ("Audit log for this member" in page) == (role == "admin")


def test_an_unknown_member_is_404(client):
    as_staff(client, "admin")
    assert client.get("/admin/members/987654").status_code == 404
    assert post_form(client, "/admin/members/987654/points",
                     {"points": "5", "reason": "x", "key": str(uuid.uuid4())}, page="/admin/members").status_code == 404
    assert post_form(client, "/admin/members/987654/tier", {"tier": "gold", "reason": "x"},
                     page="/admin/members").status_code == 404


# --- search ------------------------------------------------------------------------------------


@pytest.fixture
def people(app):
    return {
        "mei": make_member(name="Mei Lin", email="mei.lin@example.com", phone="+886 912 345 678"),
        "ann": make_member(name="Ann Lee", email="ann@sample.org", phone="02-2345-6789", tier="gold"),
        "bo": make_member(name="Bo Chen", email="bo@example.com", tier="gold"),
    }


def search(client, query="", **params):
    return result_names(html(client.get("/admin/members", query_string={"q": query, **params})))


@pytest.mark.parametrize(("query", "found"), [
    ("mei", ["Mei Lin"]),
    ("MEI", ["Mei Lin"]),
    ("lin mei", ["Mei Lin"]),  # every word, in any order
    ("ee", ["Ann Lee"]),  # part of a name
    ("SAMPLE.ORG", ["Ann Lee"]),  # part of an email
    ("ann@sample.org", ["Ann Lee"]),
    ("example.com", ["Bo Chen", "Mei Lin"]),
    ("0912 345 678", ["Mei Lin"]),  # the phone as written locally
    ("912345678", ["Mei Lin"]),
    ("+886-912-345-678", ["Mei Lin"]),
    ("912 345", ["Mei Lin"]),  # part of a phone
    ("2345-6789", ["Ann Lee"]),
    ("nobody", []),
    ("%", []),  # LIKE wildcards are searched for, not obeyed
    ("_", []),
])
def test_search_by_name_email_and_phone(client, people, query, found):
    as_staff(client, "service")
    assert search(client, query) == found


def test_search_by_member_number_in_each_form(client, people):
    as_staff(client, "expansion")
    bo = people["bo"]
    for query in (bo.number, bo.number.lower(), f"m{bo.id}", str(bo.id), f" M{bo.id:06d} "):
        names = search(client, query)
        assert names[:1] == ["Bo Chen"], query  # the member with that number comes first
    assert search(client, "M999999") == []


def test_an_empty_search_lists_everyone_by_name_and_filters_by_tier(client, people):
    as_staff(client, "operations")
    assert search(client) == ["Ann Lee", "Bo Chen", "Mei Lin"]
    assert search(client, tier="gold") == ["Ann Lee", "Bo Chen"]
    assert search(client, "example.com", tier="gold") == ["Bo Chen"]
    assert search(client, tier="regular") == ["Mei Lin"]
    assert search(client, tier="no-such-tier") == ["Ann Lee", "Bo Chen", "Mei Lin"]
    page = html(client.get("/admin/members?tier=gold"))
    assert '<option selected value="gold">Gold</option>' in page  # the filter shows what it filters by
    assert "2 members found." in page


def test_the_search_form_searches_as_you_type_and_works_without_javascript(client):
    as_staff(client, "operations")
    page = html(client.get("/admin/members"))
    form = re.search(r'<form method="get" action="/admin/members"[^>]*>.*?</form>', page, re.S).group(0)
    assert '<label for="q">Search members</label>' in form
    search_box = re.search(r"<input[^>]*id=\"q\"[^>]*>", form).group(0)
    for attribute in ('type="search"', 'name="q"', 'hx-get="/admin/members"',
                      'hx-trigger="input changed delay:300ms, search"', 'hx-target="#member-results"',
                      'hx-push-url="true"'):
        assert attribute in search_box
    assert '<label for="tier">Tier</label>' in form and '<button type="submit">Search</button>' in form


def test_htmx_search_returns_only_the_results_and_varies_on_hx_request(client, people):
    as_staff(client, "operations")
    partial = client.get("/admin/members?q=mei", headers={"HX-Request": "true"})
    body = html(partial)
    assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
    assert body.lstrip().startswith('<div id="member-results"')
    assert "<html" not in body and "<nav" not in body and "Search members" not in body
    assert result_names(body) == ["Mei Lin"]
    full = client.get("/admin/members?q=mei")
    assert "<html" in html(full) and "HX-Request" in full.headers["Vary"]
    # a boosted navigation and a history restore get the whole page
    boosted = client.get("/admin/members?q=mei", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in html(boosted)


def test_results_come_25_a_page_with_links_that_keep_the_query(client):
    for n in range(30):
        make_member(name=f"Pager {n:02d}", tier="silver" if n % 2 else "regular")
    make_member(name="Someone Else")
    as_staff(client, "operations")
    first = html(client.get("/admin/members?q=pager"))
    assert result_names(first) == [f"Pager {n:02d}" for n in range(25)]
    assert "30 members found." in first and "Page 1 of 2" in first
    assert 'href="/admin/members?page=2&amp;q=pager" rel="next">Next</a>' in first and ">Previous<" not in first
    second = html(client.get("/admin/members?page=2&q=pager"))
    assert result_names(second) == [f"Pager {n:02d}" for n in range(25, 30)]
    assert 'href="/admin/members?page=1&amp;q=pager" rel="prev">Previous</a>' in second and ">Next<" not in second
    silver = html(client.get("/admin/members?q=pager&tier=silver"))
    assert "15 members found." in silver and "Page 1 of" not in silver
    past_the_end = html(client.get("/admin/members?page=99&q=pager"))
    assert result_names(past_the_end)[-1] == "Pager 29"  # the last page


def test_a_search_matching_more_than_the_cap_says_so_and_pages_by_name(client, monkeypatch):
    from portal.members import search

    monkeypatch.setattr(search, "COUNT_CAP", 20)
    for n in range(30):
        make_member(name=f"Pager {n:02d}")
    as_staff(client, "operations")
    first = html(client.get("/admin/members?q=pager"))
    assert "More than 20 members found: they are listed by name. Add a word to narrow the search." in first
    assert result_names(first) == [f"Pager {n:02d}" for n in range(25)] and "Page 1<" in first
    assert 'href="/admin/members?page=2&amp;q=pager" rel="next">Next</a>' in first and "Page 1 of" not in first
    second = html(client.get("/admin/members?page=2&q=pager"))
    assert result_names(second) == [f"Pager {n:02d}" for n in range(25, 30)] and ">Next<" not in second
    client.post("/language", data={"language": "zh_Hant", "csrf_token": csrf_token(client, "/admin/members")})
    chinese = html(client.get("/admin/members?q=pager"))
    assert "超過 20 位會員符合" in chinese and "第 1 頁" in chinese


def test_the_list_and_the_member_page_run_a_fixed_number_of_queries(client):
    staff = [make_staff("operations", name=f"Op {n}") for n in range(4)]
    few, many = make_member(name="Few Entries"), make_member(name="Many Entries")
    give(few, 100)
    ledger.adjust(few, 10, "Small correction", staff[0], "q:few")
    for n in range(70):
        give(many, 50)
        ledger.adjust(many, 5, f"Correction {n}", staff[n % 4], f"q:many:{n}")
    for n, tier in enumerate(("gold", "diamond", "silver", "gold")):
        tiers.change_tier(many, _tier(tier), f"Review {n}", staff[n])
    tiers.change_tier(few, _tier("gold"), "Review", staff[0])
    db.session.commit()
    as_staff(client, "admin")

    def queries(path, **kwargs):
        with counting_queries() as statements:
            assert client.get(path, **kwargs).status_code == 200
        return len(statements)

    assert queries("/admin/members?q=entries") == queries("/admin/members?q=few")
    for n in range(30):
        make_member(name=f"Entries {n}")
    db.session.commit()
    assert queries("/admin/members?q=entries") == queries("/admin/members?q=few") <= 6
    few_page, many_page = queries(f"/admin/members/{few.id}"), queries(f"/admin/members/{many.id}")
    # one query for each part other features add (redemptions, registrations, tickets)
    assert few_page == many_page <= 10
    older = ledger.history(many, limit=records.LEDGER_PAGE_SIZE)[0][-1].id
    assert queries(f"/admin/members/{many.id}?after={older}", headers={"HX-Request": "true"}) <= many_page


# --- the member page ---------------------------------------------------------------------------


def test_the_member_page_shows_profile_tier_balance_and_ledger(client):
    member = make_member(name="Mei Lin", email="mei@example.com", phone="+886 912 345 678",
                         birthday_month=3, birthday_day=14, marketing_emails=False)
    ops = make_staff("operations", name="Olive Operations")
    give(member, 1200, at=utcnow() - timedelta(days=3))
    ledger.adjust(member, -200, "Duplicate purchase", ops, "page:adjust")
    db.session.commit()
    as_staff(client, "service")
    page = html(client.get(f"/admin/members/{member.id}"))
    for text in (member.number, '<span class="email"><span>mei</span><wbr><span>@example</span><wbr><span>.com</span>',
                 "+886 912 345 678", "Active",
                 "Member since", "Last login",
                 "Never", "March 14", "News and offers: No", "Satisfaction surveys: Yes"):
        assert text in page, text
    assert '<dd id="current-tier">Silver</dd>' in page  # 1,200 qualifying points
    history = page.split('id="tier-history-heading"')[1]
    assert "Regular" in history and "Silver" in history and "Automatic" in history
    assert re.search(r'<output id="balance" aria-labelledby="balance-label">1,000</output>', page)
    ledger_rows = re.findall(r"<tr>\s*<td class=\"when\">[^<]+</td>\s*<td>(\w[\w ]*)</td>"
                             r"\s*<td class=\"num (?:plus|minus)\">([^<]+)</td>"
                             r"\s*<td>([^<]*)</td>\s*<td>([^<]+)</td>\s*<td class=\"when\">([^<]*)</td>", page)
    assert [row[:4] for row in ledger_rows] == [
        ("Adjustment", "−200", "Duplicate purchase", "Olive Operations"),  # newest first
        ("Purchase", "+1,200", "Purchase", "—"),
    ]
    assert ledger_rows[0][4] == "" and ledger_rows[1][4]  # earnings show when they expire


def test_the_ledger_shows_20_entries_then_older_entries(client):
    member = make_member()
    start = utcnow() - timedelta(days=300)
    for n in range(25):
        ledger.earn(member, 10, "purchase", f"older:{n}", at=start + timedelta(days=n), reason=f"Purchase {n:02d}")
    db.session.commit()
    as_staff(client, "service")
    page = html(client.get(f"/admin/members/{member.id}"))
    reasons = re.findall(r"<td>(Purchase \d\d)</td>", page)
    assert reasons == [f"Purchase {n:02d}" for n in range(24, 4, -1)]
    link = re.search(r'<a href="(/admin/members/\d+\?after=\d+)"\s+hx-get="\1"', page)
    assert link and ">Older entries</a>" in page
    more = client.get(link.group(1), headers={"HX-Request": "true"})  # htmx: only the next rows
    assert "<html" not in html(more) and "HX-Request" in more.headers["Vary"]
    assert re.findall(r"<td>(Purchase \d\d)</td>", html(more)) == [f"Purchase {n:02d}" for n in range(4, -1, -1)]
    assert "Older entries" not in html(more)
    plain = html(client.get(link.group(1)))  # without JavaScript: a page of the older entries
    assert "<html" in plain and "Newest entries" in plain and "Purchase 04" in plain and "Purchase 05" not in plain


# --- adjusting points --------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_adjusting_points_with_htmx_shows_the_entry_and_the_balance_at_once(client, role):
    member = make_member(name="Mei Lin")
    give(member, 1000)
    db.session.commit()
    staff = as_staff(client, role, name="Lee Team Lead")
    response = adjust(client, member, "500", "Goodwill after a late delivery")
    body = html(response)
    assert response.status_code == 200 and "<html" not in body and 'id="member-live"' in body
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", body.split('<table class="ledger"')[1], re.S).group(1)
    assert "Adjustment" in first_row and "+500" in first_row
    assert "Goodwill after a late delivery" in first_row and "Lee Team Lead" in first_row
    assert '<output id="balance" aria-labelledby="balance-label">1,500</output>' in body
    assert "Added 500 points. The balance is now 1,500." in body
    assert 'value="500"' not in re.search(r'<input[^>]*id="adjust-points"[^>]*>', body).group(0)  # a fresh form

    assert member.points_balance == 1500 == ledger.ledger_balance(member.id)
    entry = entries_of(member)[-1]
    assert (entry.amount, entry.kind, entry.reason, entry.actor_staff_id) == (
        500, "adjustment", "Goodwill after a late delivery", staff.id)
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == member.id)).all()
    assert len(audit) == 1
    assert (audit[0].action, audit[0].actor_staff_id, audit[0].reason) == (
        "points.adjust", staff.id, "Goodwill after a late delivery")
    assert audit[0].before == {"balance": 1000} and audit[0].after == {"balance": 1500, "amount": 500}


def test_a_repeated_submission_adjusts_once(client):
    member = make_member()
    as_staff(client, "operations")
    key = form_key(client, member)
    first = adjust(client, member, "500", "Goodwill", key=key)
    again = adjust(client, member, "500", "Goodwill", key=key)  # a double click, a resent request
    assert first.status_code == again.status_code == 200
    assert [e.amount for e in entries_of(member)] == [500] and member.points_balance == 500
    assert count(AuditEntry, member_id=member.id) == 1
    assert form_key(client, member) != key  # each rendering of the form has its own key


def test_adjusting_without_javascript_posts_and_redirects_back(client):
    member = make_member()
    give(member, 100)
    db.session.commit()
    as_staff(client, "operations", name="Olive Operations")
    response = adjust(client, member, "-40", "Points given twice", htmx=False)
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/members/{member.id}"
    page = html(client.get(response.headers["Location"]))
    # the confirmation is where the form was, focused on load, just above the new entry; not at the top
    assert re.search(r'<p class="flash success confirmation" role="status" tabindex="-1" autofocus data-focus>'
                     r'Took away 40 points. The balance is now 60.</p>\s*<h3 id="ledger-heading">', page)
    assert page.count("Took away 40 points.") == 1
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page.split('<table class="ledger"')[1], re.S).group(1)
    assert "Points given twice" in first_row and "−40" in first_row and "Olive Operations" in first_row
    assert member.points_balance == 60
    assert "Took away 40 points." not in html(client.get(response.headers["Location"]))  # shown once


@pytest.mark.parametrize(("points", "reason", "message"), [
    ("0", "Goodwill", "Enter a number other than 0."),
    ("abc", "Goodwill", "Enter a whole number of points, such as 500 or -200."),
    ("12.5", "Goodwill", "Enter a whole number of points, such as 500 or -200."),
    ("1000001", "Goodwill", "An adjustment can be at most 1,000,000 points either way."),
    ("-1000001", "Goodwill", "An adjustment can be at most 1,000,000 points either way."),
    ("99999999999999999999999", "Goodwill", "An adjustment can be at most 1,000,000 points either way."),
    ("", "Goodwill", "Enter the number of points."),
    ("500", "", "Give a reason: it is kept in the audit log."),
    ("500", "   ", "Give a reason: it is kept in the audit log."),
    ("-301", "Too much", "The member has 300 points: an adjustment cannot take away more than that."),
])
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_bad_adjustments_come_back_with_a_message_and_write_nothing(client, points, reason, message, htmx):
    member = make_member()
    give(member, 300)
    db.session.commit()
    as_staff(client, "operations")
    response = adjust(client, member, points, reason, htmx=htmx)
    body = html(response)
    assert response.status_code == 422
    field = "adjust-reason" if "reason" in message else "adjust-points"
    assert f'<p class="error" id="{field}-error">{message}</p>' in body
    marked = re.search(rf'<input[^>]*id="{field}"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in marked and re.search(rf'aria-describedby="[^"]*\b{field}-error"', marked)
    assert ("<html" in body) == (not htmx)
    assert [e.amount for e in entries_of(member)] == [300] and member.points_balance == 300
    assert count(AuditEntry, member_id=member.id) == 0


def test_points_that_expired_unnoticed_cannot_be_taken_away(client):
    member = make_member()
    give(member, 300, at=utcnow() - timedelta(days=400), expires_at=utcnow() - timedelta(days=1))
    db.session.commit()  # the expiry job has not run: the cached balance still says 300
    as_staff(client, "operations")
    response = adjust(client, member, "-200", "Return")
    assert response.status_code == 422
    assert "The member no longer has that many points: some have expired or been used." in html(response)
    assert [e.kind for e in entries_of(member)] == ["purchase"] and count(AuditEntry, member_id=member.id) == 0


def test_a_malformed_key_is_a_bad_request(client):
    member = make_member()
    as_staff(client, "operations")
    for key in ("", "not-a-uuid"):
        response = post_form(client, f"/admin/members/{member.id}/points",
                             {"points": "5", "reason": "x", "key": key}, page=f"/admin/members/{member.id}")
        assert response.status_code == 400
    assert count(PointsEntry, member_id=member.id) == 0


def test_a_key_used_for_one_member_cannot_adjust_another(client):
    ann, bo = make_member(name="Ann Lee"), make_member(name="Bo Chen")
    as_staff(client, "operations")
    key = form_key(client, ann)
    assert adjust(client, ann, "50", "Goodwill", key=key).status_code == 200
    assert adjust(client, bo, "50", "Goodwill", key=key).status_code == 400
    assert count(PointsEntry, member_id=bo.id) == 0 and count(AuditEntry, member_id=bo.id) == 0


def test_an_adjustment_that_crosses_a_threshold_upgrades_the_tier(client):
    member = make_member(tier="regular")
    give(member, 900)
    db.session.commit()
    as_staff(client, "operations", name="Olive Operations")
    body = html(adjust(client, member, "150", "Birthday party goodwill"))
    assert '<dd id="current-tier">Silver</dd>' in body
    history = body.split('id="tier-history-heading"')[1]
    assert re.search(r"<td>Regular</td>\s*<td>Silver</td>\s*<td>Qualifying points reached 1,050</td>", history)
    assert member.tier.code == "silver"
    assert [(c.from_tier.code, c.to_tier.code) for c in db.session.scalars(
        select(TierChange).where(TierChange.member_id == member.id))] == [("regular", "silver")]


# --- changing the tier by hand ------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_changing_the_tier_by_hand_is_audited(client, htmx):
    member = make_member(tier="silver")
    staff = as_staff(client, "operations", name="Olive Operations")
    headers = {"HX-Request": "true"} if htmx else {}
    response = post_form(client, f"/admin/members/{member.id}/tier",
                         {"tier": "gold", "reason": "VIP customer", "keep_until": "2027-06-30"},
                         page=f"/admin/members/{member.id}", headers=headers)
    if htmx:
        assert response.status_code == 200
        body = html(response)
    else:
        assert response.status_code == 303 and response.headers["Location"] == f"/admin/members/{member.id}"
        body = html(client.get(response.headers["Location"]))
    assert ("The member is now in the Gold tier. The monthly review leaves them there until 2027-06-30."
            in body) and '<dd id="current-tier">Gold</dd>' in body
    assert '<dd id="kept-until">Gold until 2027-06-30</dd>' in body
    history = body.split('id="tier-history-heading"')[1]
    assert re.search(r"<td>Silver</td>\s*<td>Gold</td>\s*<td>VIP customer</td>\s*<td>Olive Operations</td>"
                     r"\s*<td class=\"when\">2027-06-30</td>", history)
    assert member.tier.code == "gold"
    assert db.session.scalars(select(TierChange).where(TierChange.member_id == member.id)).one().keep_until == (
        date(2027, 6, 30))
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == member.id)).one()
    assert (audit.action, audit.actor_staff_id, audit.reason) == ("member.tier_change", staff.id, "VIP customer")
    assert audit.before == {"tier": "silver"} and audit.after == {"tier": "gold", "keep_until": "2027-06-30"}


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"tier": "gold", "reason": ""}, "tier-reason", "Give a reason: it is kept in the audit log."),
    ({"tier": "gold", "reason": "  "}, "tier-reason", "Give a reason: it is kept in the audit log."),
    ({"tier": "silver", "reason": "Same"}, "new-tier", "The member is already in this tier: choose another."),
    ({"tier": "platinum", "reason": "No such tier"}, "new-tier", "Not a valid choice."),
    ({"tier": "gold", "reason": "VIP", "keep_until": ""}, "tier-keep-until",
     "Enter the day the member keeps this tier until."),
    ({"tier": "gold", "reason": "VIP", "keep_until": "31/12/2027"}, "tier-keep-until", "Enter the date as YYYY-MM-DD."),
    ({"tier": "gold", "reason": "VIP", "keep_until": str(TODAY - timedelta(days=1))}, "tier-keep-until",
     "Choose today or a later day."),
    ({"tier": "gold", "reason": "VIP", "keep_until": str(add_months(TODAY, 60) + timedelta(days=1))},
     "tier-keep-until", "Choose a day at most 5 years ahead."),
])
def test_a_bad_tier_change_comes_back_with_a_message_and_writes_nothing(client, data, field, message):
    member = make_member(tier="silver")
    as_staff(client, "admin")
    data = {"keep_until": str(TODAY + timedelta(days=90)), **data}
    response = post_form(client, f"/admin/members/{member.id}/tier", data, page=f"/admin/members/{member.id}",
                         headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert f'<p class="error" id="{field}-error">{message}</p>' in html(response)
    assert member.tier.code == "silver"
    assert count(TierChange, member_id=member.id) == 0 and count(AuditEntry, member_id=member.id) == 0


def test_members_are_listed_by_their_current_tier_after_a_change(client):
    member = make_member(name="Bo Chen", tier="regular")
    as_staff(client, "admin")
    post_form(client, f"/admin/members/{member.id}/tier",
              {"tier": "diamond", "reason": "Partner", "keep_until": tiers.default_keep_until().isoformat()},
              page=f"/admin/members/{member.id}")
    assert search(client, tier="diamond") == ["Bo Chen"]
    assert db.session.scalar(select(Member.tier_id).where(Member.id == member.id)) == member.tier.id


@pytest.fixture
def redemption(app):
    """Mei redeemed a tea set: a voucher with a whole code."""
    mei = make_member(name="Mei Lin", email="mei.redeems@example.com")
    ledger.earn(mei, 1000, "purchase", "redeem-seed")
    reward = make_reward(name="Tea set", points_cost=300)
    with app.test_request_context():  # the voucher email links to the voucher page
        redeemed = rewards.redeem(mei, reward, "redeem-key-1")
    db.session.commit()
    return redeemed


@pytest.mark.parametrize("role", WRITERS)
def test_admin_and_operations_see_whole_voucher_codes_linked_to_the_voucher_desk(client, redemption, role):
    as_staff(client, role)
    page = html(client.get(f"/admin/members/{redemption.member_id}"))
    section = page.split('id="redemptions-heading"')[1].split("</section>")[0]
    assert "Tea set" in section and "300" in section and "Ready to use" in section
    assert (f'<a href="/admin/rewards/vouchers?code={redemption.voucher_code}">{redemption.voucher_code}</a>'
            in section)


@pytest.mark.parametrize("role", READ_ONLY)
def test_service_and_expansion_see_only_the_last_4_characters_of_a_voucher_code(client, redemption, role):
    as_staff(client, role)
    page = html(client.get(f"/admin/members/{redemption.member_id}"))
    code = redemption.voucher_code  # "K7QM-2XRT-9HPW"
    section = page.split('id="redemptions-heading"')[1].split("</section>")[0]
    assert "Tea set" in section
    assert ('<td class="code"><span aria-hidden="true">••••-••••-</span>'
            f'<span class="visually-hidden">Code ending in </span>{code[-4:]}</td>') in section
    raw = code.replace("-", "")
    assert code not in page and raw not in page and code[:4] not in page and code[5:9] not in page
    assert "/admin/rewards/vouchers" not in page


# --- what staff read: dates, emails, sections, confirmations, keep-until ------------------------


def test_dates_read_the_same_in_every_language_in_the_programmes_time_zone(client):
    member = make_member(name="Mei Lin", language="zh_Hant", last_login_at=datetime(2026, 3, 1, 16, 5, tzinfo=UTC))
    at = datetime(2026, 10, 2, 4, 32, tzinfo=UTC)  # 12:32 in Taipei
    ledger.earn(member, 100, "purchase", "dated", at=at, expires_at=datetime(2027, 10, 31, 16, 0, tzinfo=UTC))
    member.created_at = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # 1 Jan 2026 in Taipei
    db.session.commit()
    for language in ("en", "zh_Hant"):
        staff = make_staff("service", language=language)
        db.session.commit()
        login(client, staff.email)
        page = html(client.get(f"/admin/members/{member.id}"))
        facts = page.split('id="member-heading"')[1].split("</dl>")[0]
        assert "<dd>2026-01-01</dd>" in facts  # member since
        assert "<dd>2026-03-02 00:05</dd>" in facts  # last login
        row = re.search(r"<tr>\s*<td class=\"when\">2026-10-02 12:32</td>.*?</tr>", page, re.S)
        assert row and '<td class="when">2027-11-01</td>' in row.group(0), language  # the expiry day, in Taipei
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", page)  # never 10/2/26
        client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/admin/")})


def test_email_addresses_wrap_only_before_the_at_sign_and_dots(client, app):
    make_member(name="Ann Lee", email="ann.lee@sample.example.org")
    as_staff(client, "service")
    page = html(client.get("/admin/members?q=ann"))
    assert ('<td><span class="email"><span>ann</span><wbr><span>.lee</span><wbr><span>@sample</span><wbr>'
            '<span>.example</span><wbr><span>.org</span></span></td>') in page
    css = (Path(app.static_folder) / "css" / "admin.css").read_text(encoding="utf-8")
    assert re.search(r"\.email \{[^}]*overflow-wrap: normal", css)  # the portal's "anywhere" does not apply
    assert re.search(r"\.email > span \{[^}]*white-space: nowrap", css)  # nor a break after a hyphen


def test_the_member_page_has_a_section_menu_and_the_ledger_comes_last(client, redemption):
    for _ in range(55):
        give(db.session.get(Member, redemption.member_id), 1)
    db.session.commit()
    as_staff(client, "operations")
    page = html(client.get(f"/admin/members/{redemption.member_id}"))
    menu = re.search(r'<nav class="sections" aria-label="On this page">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r'<a href="#(\w+)">([^<]+)</a>', menu) == [
        ("tier", "Tier"), ("redemptions", "Redemptions"), ("points", "Points")]
    for target in ("tier", "redemptions", "points"):
        assert f'<section class="card wide" id="{target}"' in page
    # tier history and redemptions come before the 50 ledger rows, not below them
    assert page.index('id="tier-history-heading"') < page.index('id="redemptions-heading"') < page.index(
        '<table class="ledger"')


@pytest.mark.parametrize("role", WRITERS)
def test_after_adjusting_the_confirmation_sits_above_the_new_entry_and_takes_the_focus(client, role):
    member = make_member()
    as_staff(client, role)
    body = html(adjust(client, member, "500", "Goodwill"))
    confirmation = re.search(r'<p class="flash success confirmation"([^>]*)>([^<]*)</p>', body)
    assert confirmation and confirmation.group(2) == "Added 500 points. The balance is now 500."
    for attribute in ('role="status"', 'tabindex="-1"', "autofocus"):  # htmx focuses [autofocus] it swaps in
        assert attribute in confirmation.group(1)
    after = body[confirmation.end():]
    assert re.match(r'\s*<h3 id="ledger-heading">Ledger</h3>', after)  # the ledger, newest first, right below
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", after, re.S).group(1)
    assert "+500" in first_row and "Goodwill" in first_row
    assert body.count("confirmation") == 1  # and only there
    tier_body = html(post_form(client, f"/admin/members/{member.id}/tier",
                               {"tier": "gold", "reason": "VIP", "keep_until": str(TODAY + timedelta(days=30))},
                               page=f"/admin/members/{member.id}", headers={"HX-Request": "true"}))
    tier_part = tier_body.split('id="tier-heading"')[1].split('id="redemptions-heading"')[0]
    assert 'class="flash success confirmation"' in tier_part and 'id="tier-history-heading"' in tier_part


def test_the_tier_form_offers_to_keep_the_member_12_months_from_today(client):
    member = make_member(tier="silver")
    as_staff(client, "operations")
    page = html(client.get(f"/admin/members/{member.id}"))
    assert '<label for="tier-keep-until">Keep until</label>' in page
    keep = re.search(r'<input[^>]*id="tier-keep-until"[^>]*>', page).group(0)
    assert 'type="date"' in keep and f'value="{add_months(TODAY, 12).isoformat()}"' in keep
    assert "The monthly review leaves the member in this tier until the end of this day." in page


def test_the_member_page_shows_how_long_staff_keep_the_member_in_a_tier(client):
    member = make_member(tier="silver")
    tiers.change_tier(member, _tier("gold"), "VIP customer", make_staff("operations"), keep_until=TODAY)
    db.session.commit()
    as_staff(client, "service")
    page = html(client.get(f"/admin/members/{member.id}"))
    assert f'<dd id="kept-until">Gold until {TODAY.isoformat()}</dd>' in page
    tiers.change_tier(member, _tier("silver"), "Ended", make_staff("operations"), keep_until=TODAY)
    db.session.execute(TierChange.__table__.update().where(TierChange.member_id == member.id)
                       .values(keep_until=TODAY - timedelta(days=1)))
    db.session.commit()
    page = html(client.get(f"/admin/members/{member.id}"))
    assert 'id="kept-until"' not in page  # the keep is over
    assert page.count(f'<td class="when">{(TODAY - timedelta(days=1)).isoformat()}</td>') == 2  # in the history
