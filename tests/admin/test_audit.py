"""The audit log page: the team lead's, newest first, filterable, paged, read-only."""

import re
from datetime import date
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.audit.services import record
from portal.extensions import db
from portal.members import ledger, tiers
from portal.members.models import Tier
from tests.factories import make_member, make_staff
from tests.helpers import login, post_form


def html(response):
    return response.get_data(as_text=True)


def rows(page):
    """The table's body rows, as lists of cell texts (tags removed, spaces collapsed)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]

    def text(cell):
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()

    return [[text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.fixture
def history(app):
    """Two members, a points adjustment and a tier change by named staff."""
    lead = make_staff("admin", name="Lee Team Lead")
    ops = make_staff("operations", name="Olive Operations")
    mei = make_member(name="Mei Lin")
    bo = make_member(name="Bo Chen", tier="silver")
    ledger.adjust(mei, 500, "Goodwill", lead, "audit:mei")
    tiers.change_tier(bo, db.session.scalar(select(Tier).where(Tier.code == "gold")), "VIP customer", ops,
                      keep_until=date(2027, 6, 30))
    ledger.adjust(mei, -200, "Given twice", ops, "audit:mei:2")
    db.session.commit()
    return {"lead": lead, "ops": ops, "mei": mei, "bo": bo}


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and unquote(response.headers["Location"]).startswith("/login?next=/admin/audit")


def test_a_member_gets_403(client):
    make_member(email="mei@example.com")
    login(client, "mei@example.com")
    assert client.get("/admin/audit").status_code == 403


@pytest.mark.parametrize("role", ["operations", "service", "expansion"])
def test_only_the_team_lead_reads_the_audit_log(client, history, role):
    staff = make_staff(role)
    login(client, staff.email)
    assert client.get("/admin/audit").status_code == 403
    assert client.get(f"/admin/audit?member={history['mei'].number}").status_code == 403
    assert "Audit log" not in html(client.get("/admin/"))  # not in the navigation either


def test_the_log_lists_who_did_what_to_whom_newest_first(client, history):
    login(client, history["lead"].email)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    page = html(response)
    assert '>Audit log</a>' in page  # in the staff navigation
    listed = rows(page)
    assert [row[1:] for row in listed] == [
        ["Lee Team Lead 127.0.0.1", "Logged in", "—", "", ""],
        ["Olive Operations", "Points adjusted", f"Mei Lin {history['mei'].number}",
         "Balance: 500 → 300 Amount: −200", "Given twice"],
        ["Olive Operations", "Tier changed", f"Bo Chen {history['bo'].number}",
         "Tier: Silver → Gold Kept until: 2027-06-30", "VIP customer"],
        ["Lee Team Lead", "Points adjusted", f"Mei Lin {history['mei'].number}",
         "Balance: 0 → 500 Amount: +500", "Goodwill"],
    ]
    assert all(row[0] for row in listed)  # when
    assert f'<a href="/admin/members/{history["mei"].id}">Mei Lin</a>' in page


def test_filter_by_action_and_by_member(client, history):
    login(client, history["lead"].email)
    by_action = rows(html(client.get("/admin/audit?action=member.tier_change")))
    assert [row[2:4] for row in by_action] == [["Tier changed", f"Bo Chen {history['bo'].number}"]]
    for number in (history["mei"].number, history["mei"].number.lower(), str(history["mei"].id)):
        page = html(client.get("/admin/audit", query_string={"member": number}))
        assert [row[5] for row in rows(page)] == ["Given twice", "Goodwill"], number
        assert f"Entries for Mei Lin ({history['mei'].number})." in page
    both = rows(html(client.get(f"/admin/audit?action=points.adjust&member={history['bo'].number}")))
    assert both == [["No entries."]]
    page = html(client.get("/admin/audit"))
    assert '<option value="member.tier_change">Tier changed</option>' in page
    assert '<option value="points.adjust">Points adjusted</option>' in page


def test_the_member_page_links_to_the_members_audit_log(client, history):
    login(client, history["lead"].email)
    page = html(client.get(f"/admin/members/{history['bo'].id}"))
    link = re.search(r'<a href="([^"]+)">Audit log for this member</a>', page).group(1)
    assert [row[5] for row in rows(html(client.get(link)))] == ["VIP customer"]


def test_an_unknown_or_malformed_member_filter(client, history):
    login(client, history["lead"].email)
    unknown = client.get("/admin/audit?member=M999999")
    assert unknown.status_code == 200 and "No member has that number." in html(unknown)
    assert rows(html(unknown)) == [["No entries."]]
    malformed = client.get("/admin/audit?member=Mei")
    assert malformed.status_code == 422
    assert '<p class="error" id="member-error">Enter a member number, such as M000123.</p>' in html(malformed)


def test_the_log_comes_50_entries_a_page(client, app):
    lead = make_staff("admin", name="Lee Team Lead")
    member = make_member(name="Paged Member")
    for n in range(60):
        record("points.adjust", member, actor=lead, member=member, before={"balance": n},
               after={"balance": n + 1, "amount": 1}, reason=f"Entry {n:02d}")
    db.session.commit()
    login(client, lead.email)
    first = html(client.get("/admin/audit?action=points.adjust"))
    assert [row[5] for row in rows(first)] == [f"Entry {n:02d}" for n in range(59, 9, -1)]
    older = re.search(r'<a href="([^"]+)" rel="next">Older entries</a>', first).group(1)
    assert "action=points.adjust" in older  # the filter is kept
    second = html(client.get(older.replace("&amp;", "&")))
    assert [row[5] for row in rows(second)] == [f"Entry {n:02d}" for n in range(9, -1, -1)]
    assert "Older entries" not in second and "Newest entries" in second


def test_the_log_is_read_only(client, app, history):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/audit")]
    assert rules and all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in rules)
    login(client, history["lead"].email)
    entry_id = db.session.scalar(select(AuditEntry.id).limit(1))
    for path in ("/admin/audit", f"/admin/audit/{entry_id}"):
        response = post_form(client, path, {"reason": "changed"}, page="/admin/audit")
        assert response.status_code in (404, 405)
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.id == entry_id)) != "changed"


PORTAL = __import__("pathlib").Path(__file__).resolve().parents[2] / "portal"
RECORDED = re.compile(r"""record\(\s*(?:"([a-z_0-9.]+)"|([^,]+? if [^,]+? else [^,]+?)),""")


def audited_actions():
    """Every action name that the code writes with record(…), read from the source."""
    names = set()
    for path in PORTAL.rglob("*.py"):
        for literal, conditional in RECORDED.findall(path.read_text()):
            names |= {literal} if literal else set(re.findall(r'"([a-z_0-9.]+)"', conditional))
    return names - {""}


def test_every_audited_action_has_a_name_and_its_row_renders_whatever_its_values(client, history):
    """The page answered 500 for a true/false value (Jinja's `True is number`); one row of every kind."""
    from portal.presentation import AUDIT_ACTION_NAMES

    actions = audited_actions()
    assert {"points.adjust", "reward.deactivate", "reward.activate"} <= actions
    assert actions <= set(AUDIT_ACTION_NAMES), sorted(actions - set(AUDIT_ACTION_NAMES))
    values = [True, False, None, 0, -5, 1200, "text", 1.5, ["a", "b"], {"nested": True}]
    for action in sorted(AUDIT_ACTION_NAMES):
        record(action, history["mei"], actor=history["lead"], member=history["mei"],
               before={"active": False, "balance": 5, "flag": None},
               after={f"v{i}": value for i, value in enumerate(values)} | {"active": True, "amount": -3})
    db.session.commit()
    login(client, history["lead"].email)
    page = html(client.get(f"/admin/audit?member={history['mei'].number}"))
    names = [row[2] for row in rows(page)]
    with client.application.test_request_context():
        for action in AUDIT_ACTION_NAMES:
            assert str(AUDIT_ACTION_NAMES[action]) in names, action
    assert "In the catalogue: No → Yes" in re.sub(r"\s+", " ", page)
    assert "Amount: −3" in re.sub(r"\s+", " ", page)  # one signed format, with a real minus sign


def test_staff_pages_show_moments_unambiguously_in_the_programmes_zone(client, history, app):
    """4.6: "2026-10-02 12:32" in Asia/Taipei on the audit log and the outbox, whatever the language."""
    login(client, history["lead"].email)
    for url in ("/admin/audit", "/admin/outbox"):
        for language in ("en", "zh-TW"):
            page = html(client.get(url, headers={"Accept-Language": language}))
            body = page.split("<tbody>", 1)[1]
            assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}</td>", body) or "No messages" in body or \
                "沒有" in body, (url, language)
    first = rows(html(client.get("/admin/audit")))[0][0]
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    with app.test_request_context():
        from portal.dates import local
        assert first == local(entry.created_at).strftime("%Y-%m-%d %H:%M")
