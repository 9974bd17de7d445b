"""Security events in the audit log: who, from which address, when; never a password or token."""

import json
import re

import pytest
from sqlalchemy import select

from jobs import accounts
from portal.audit.models import AuditEntry
from portal.auth import events
from portal.auth.throttle import email_digest
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.presentation import AUDIT_ACTION_NAMES
from tests.factories import make_member, make_staff
from tests.helpers import csrf_token, login, post_form

ADDRESS = "198.51.100.20"
SECRETS = ("portal-demo", "wrong password", "a brand new secret")


@pytest.fixture
def mei(app):
    return make_member(name="Mei Lin", email="mei@example.com")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    from portal.auth import throttle

    monkeypatch.setattr(throttle, "pause", lambda seconds: None)


def entries(action=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query).all()


def from_address(client, url, data, page=None):
    return post_form(client, url, data, page=page, environ_base={"REMOTE_ADDR": ADDRESS})


def assert_no_secrets():
    """No audit column holds a password, a token or a link."""
    for entry in entries():
        text = json.dumps([entry.before, entry.after, entry.reason, entry.target_type, entry.address])
        assert not any(secret in text for secret in SECRETS), text
        assert "/password/reset/" not in text and "token" not in text


def test_a_login_is_audited_with_the_account_address_and_time(client, mei):
    from_address(client, "/login", {"email": "mei@example.com", "password": "portal-demo"})
    [entry] = entries(events.LOGIN)
    assert (entry.actor_member_id, entry.member_id, entry.target_type, entry.target_id) == \
        (mei.id, mei.id, "Member", mei.id)
    assert entry.address == ADDRESS and entry.created_at is not None
    assert_no_secrets()


def test_a_staff_login_names_the_staff_user(client):
    pat = make_staff("service", email="pat@example.com")
    login(client, "pat@example.com")
    [entry] = entries(events.LOGIN)
    assert (entry.actor_staff_id, entry.member_id, entry.address) == (pat.id, None, "127.0.0.1")


def test_a_wrong_password_is_audited_on_the_account_without_an_actor(client, mei):
    from_address(client, "/login", {"email": "mei@example.com", "password": "wrong password"})
    [entry] = entries(events.LOGIN_FAILED)
    assert (entry.actor_member_id, entry.actor_staff_id, entry.member_id) == (None, None, mei.id)
    assert entry.address == ADDRESS and entry.after is None
    assert_no_secrets()


def test_a_failure_for_an_unknown_email_keeps_the_address_and_a_hash_of_the_email_only(client, app):
    typed = "Someone.Else@example.com"
    from_address(client, "/login", {"email": typed, "password": "wrong password"})
    [entry] = entries(events.LOGIN_FAILED)
    assert (entry.actor_member_id, entry.actor_staff_id, entry.member_id, entry.target_id) == (None,) * 4
    with app.test_request_context():
        assert entry.after == {"email_digest": email_digest("someone.else@example.com")}
    assert "someone" not in json.dumps(entry.after).lower() and entry.address == ADDRESS
    assert_no_secrets()


def test_throttling_is_audited(client, mei):
    for _ in range(5):
        from_address(client, "/login", {"email": "mei@example.com", "password": "wrong password"})
    assert from_address(client, "/login", {"email": "mei@example.com", "password": "portal-demo"}).status_code == 429
    [entry] = entries(events.THROTTLED)
    assert (entry.member_id, entry.actor_member_id, entry.address) == (mei.id, None, ADDRESS)
    assert len(entries(events.LOGIN_FAILED)) == 5 and entries(events.LOGIN) == []


def test_a_reset_request_and_its_completion_are_audited(client, mei, monkeypatch):
    from jobs import queues

    queued = []
    monkeypatch.setattr(queues, "run_or_enqueue", lambda func, args, *rest: queued.append(args))
    from_address(client, "/password/forgot", {"email": "mei@example.com"})
    from_address(client, "/password/forgot", {"email": "nobody@example.com"})
    for args in queued:
        accounts.send_password_reset(*args)
    known, unknown = entries(events.RESET_REQUESTED)
    assert (known.member_id, known.actor_member_id, known.address) == (mei.id, None, ADDRESS)
    assert (unknown.member_id, unknown.target_id, unknown.address) == (None, None, ADDRESS)
    assert set(unknown.after) == {"email_digest"}

    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "reset_password"))
    path = re.search(r"http://localhost(/password/reset/[\w.\-]+)", mail.body_text).group(1)
    post_form(client, path, {"password": "a brand new secret"})
    [done] = entries(events.RESET_COMPLETED)
    assert (done.actor_member_id, done.member_id, done.address) == (mei.id, mei.id, "127.0.0.1")
    assert_no_secrets()


def test_a_password_change_and_a_wrong_current_password_are_audited(client, mei):
    login(client, "mei@example.com")
    change = {"current_password": "wrong password", "new_password": "a brand new secret"}
    assert from_address(client, "/profile/password", change, page="/profile").status_code == 422
    change["current_password"] = "portal-demo"
    assert from_address(client, "/profile/password", change, page="/profile").status_code == 303
    [failed] = entries(events.LOGIN_FAILED)
    [changed] = entries(events.PASSWORD_CHANGED)
    assert (failed.member_id, failed.actor_member_id) == (mei.id, None)
    assert (changed.actor_member_id, changed.member_id, changed.address) == (mei.id, mei.id, ADDRESS)
    assert_no_secrets()


def test_logging_out_and_logging_out_everywhere_are_audited(client, mei):
    login(client, "mei@example.com")
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/")})
    login(client, "mei@example.com")
    from_address(client, "/profile/sessions/end", {}, page="/profile")
    [logout] = entries(events.LOGGED_OUT)
    [everywhere] = entries(events.SESSIONS_ENDED)
    assert (logout.actor_member_id, logout.member_id) == (mei.id, mei.id)
    assert (everywhere.actor_member_id, everywhere.address) == (mei.id, ADDRESS)


def test_the_audit_log_page_names_each_security_event_and_shows_the_address(client, mei):
    for _ in range(5):
        from_address(client, "/login", {"email": "nobody@example.com", "password": "wrong password"})
    from_address(client, "/login", {"email": "nobody@example.com", "password": "wrong password"})
    make_staff("admin", email="lead@example.com", name="Lee Lead")
    login(client, "lead@example.com")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("Wrong password") >= 5 and "Attempts paused (too many failures)" in page
    assert "Visitor" in page and ADDRESS in page and "Logged in" in page
    assert all(action in AUDIT_ACTION_NAMES for action in (
        events.LOGIN, events.LOGIN_FAILED, events.THROTTLED, events.RESET_REQUESTED, events.RESET_COMPLETED,
        events.PASSWORD_CHANGED, events.LOGGED_OUT, events.SESSIONS_ENDED))


def test_a_staff_users_wrong_current_password_counts_like_a_failed_login_and_is_audited(client):
    """A stolen staff session must not be able to guess the password on "Change password"."""
    ops = make_staff("operations", email="olive@example.com")
    login(client, ops.email)
    for attempt in range(5):
        answer = post_form(client, "/admin/account/password",
                           {"current_password": f"guess-{attempt}", "new_password": "a brand new secret"})
        assert answer.status_code == 422
    paused = post_form(client, "/admin/account/password",
                       {"current_password": "portal-demo", "new_password": "a brand new secret"})
    assert paused.status_code == 429  # paused here, like the login: even the right password waits
    assert len(entries(events.LOGIN_FAILED)) == 5 and len(entries(events.THROTTLED)) == 1
    assert all(e.target_id == ops.id and e.target_type == "StaffUser" for e in entries(events.LOGIN_FAILED))
    assert_no_secrets()


def test_setting_two_factor_up_again_guards_the_password_like_a_login(client):
    from tests.helpers import enrol_staff

    lead = make_staff("admin", email="lee@example.com")
    enrol_staff(lead)
    db.session.commit()
    from tests.helpers import code_now

    post_form(client, "/login", {"email": lead.email, "password": "portal-demo"})
    secret = db.session.get(type(lead), lead.id).totp_secret
    post_form(client, "/login/two-factor", {"code": code_now(secret)}, page="/login/two-factor")
    answer = post_form(client, "/admin/account/two-factor/start", {"proof": "not my password"},
                       page="/admin/account/two-factor")
    assert answer.status_code == 422
    assert len(entries(events.LOGIN_FAILED)) == 1


def test_a_wrong_second_factor_code_is_audited_as_a_failed_login(client):
    from tests.helpers import enrol_staff

    lead = make_staff("admin", email="lee@example.com")
    enrol_staff(lead)
    db.session.commit()
    from_address(client, "/login", {"email": lead.email, "password": "portal-demo"})
    answer = post_form(client, "/login/two-factor", {"code": "000000"}, page="/login/two-factor",
                       environ_base={"REMOTE_ADDR": ADDRESS})
    assert answer.status_code == 422
    [failed] = entries(events.LOGIN_FAILED)
    assert failed.target_id == lead.id and failed.after == {"step": "second_factor"} and failed.address == ADDRESS
    assert not entries(events.LOGIN)  # logged in (and audited) only after a right code


def test_staff_changes_made_in_a_request_carry_the_clients_address(client):
    lead = make_staff("admin", email="lee@example.com")
    ops = make_staff("operations", email="olive@example.com")
    login(client, lead.email)
    from_address(client, f"/admin/staff/{ops.id}/role", {f"staff-{ops.id}-role": "service",
                                                           f"staff-{ops.id}-reason": "Moved teams"},
                 page="/admin/staff")
    [change] = entries("staff.role_change")
    assert change.address == ADDRESS and change.actor_staff_id == lead.id
