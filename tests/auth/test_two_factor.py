"""Staff two-factor sign-in (TOTP and recovery codes), the staff password page, the staff list."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from portal import create_app
from portal.audit.models import AuditEntry
from portal.auth import passwords, two_factor
from portal.auth.models import RecoveryCode
from portal.extensions import db
from tests.factories import make_staff
from tests.helpers import code_now, csrf_token, enrol_staff, login, post_form, test_settings

NOW = 1_800_000_000  # a fixed moment for the rules, 2027-01-15


def html(response):
    return response.get_data(as_text=True)


def audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def two_factor_step(client, code, next_url=None):
    url = "/login/two-factor" + (f"?next={next_url}" if next_url else "")
    return post_form(client, url, {"code": code}, page="/login")


@pytest.fixture
def production(app, monkeypatch):
    """The setting as production has it: every staff user must have two-factor."""
    monkeypatch.setitem(app.config, "STAFF_2FA", "required")
    return app


# --- rules ------------------------------------------------------------------------------------

def test_a_code_is_accepted_one_time_step_either_side_and_no_further(app):
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    step = NOW // 30
    for offset, expected in ((-60, None), (-30, step - 1), (0, step), (30, step + 1), (60, None)):
        assert two_factor.matching_step(secret, totp.at(NOW + offset), now=NOW) == expected, offset
    code = totp.at(NOW)
    assert two_factor.matching_step(secret, f" {code[:3]} {code[3:]} ", now=NOW) == step  # spaces are fine
    for wrong in ("", "12345", "1234567", "abcdef", str((int(code) + 1) % 1_000_000).zfill(6)):
        assert two_factor.matching_step(secret, wrong, now=NOW) is None, wrong
    assert two_factor.matching_step(None, code, now=NOW) is None


def test_the_same_time_step_is_refused_a_second_time_and_older_steps_after_it(app):
    staff = make_staff("service")
    secret, _codes = enrol_staff(staff, at=NOW - 300)
    totp = pyotp.TOTP(secret)
    assert two_factor.use_totp_code(staff, totp.at(NOW), now=NOW)
    assert not two_factor.use_totp_code(staff, totp.at(NOW), now=NOW)  # replayed
    assert not two_factor.use_totp_code(staff, totp.at(NOW - 30), now=NOW)  # older than the one used
    assert two_factor.use_totp_code(staff, totp.at(NOW + 30), now=NOW + 30)  # the next step is fine
    db.session.expire_all()
    assert staff.totp_last_counter == (NOW + 30) // 30  # stored, not only in memory


def test_the_code_that_confirmed_the_enrolment_cannot_log_in(app):
    staff = make_staff("service")
    secret, _codes = enrol_staff(staff, at=NOW)
    assert not two_factor.use_totp_code(staff, pyotp.TOTP(secret).at(NOW), now=NOW)


def test_ten_recovery_codes_each_work_once_and_only_their_hashes_are_kept(app):
    staff = make_staff("service")
    _secret, codes = enrol_staff(staff)
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.staff_id == staff.id)).all()
    assert len(stored) == 10
    assert all(h.startswith("$argon2id$") and codes[0].replace("-", "") not in h for h in stored)
    first = codes[0]
    assert two_factor.use_recovery_code(staff, f"  {first.upper()} ")  # case, spaces do not matter
    assert not two_factor.use_recovery_code(staff, first)  # once only
    assert two_factor.use_recovery_code(staff, codes[1].replace("-", ""))
    assert not two_factor.use_recovery_code(staff, "aaaaa-aaaaa")
    assert two_factor.recovery_codes_left(staff) == 8


def test_an_unconfirmed_secret_changes_nothing_and_a_wrong_code_does_not_confirm_it(app):
    staff = make_staff("service")
    secret, codes = enrol_staff(staff, at=NOW - 300)
    pending = two_factor.start_enrolment(staff)
    assert pending != secret and staff.totp_secret == secret
    assert two_factor.confirm_enrolment(staff, pyotp.TOTP(secret).at(NOW), now=NOW) is None  # the old key's code
    assert staff.totp_secret == secret and two_factor.use_recovery_code(staff, codes[0])
    new_codes = two_factor.confirm_enrolment(staff, pyotp.TOTP(pending).at(NOW), now=NOW)
    assert new_codes and staff.totp_secret == pending and staff.totp_pending_secret is None
    assert not two_factor.use_recovery_code(staff, codes[1])  # the old codes are gone
    assert two_factor.use_recovery_code(staff, new_codes[1])


def test_the_pending_marker_lasts_five_minutes_and_only_for_the_same_sessions(app):
    staff = make_staff("service")
    enrol_staff(staff)
    marker = two_factor.pending_marker(staff, remember=True, now=NOW)
    assert marker == {"id": staff.id, "v": staff.session_version, "remember": True, "at": NOW}
    assert two_factor.account_for_marker(marker, now=NOW + 300) == (staff, True)
    assert two_factor.account_for_marker(marker, now=NOW + 301) is None
    assert two_factor.account_for_marker(marker, now=NOW - 10) is None  # issued in the future: forged
    assert two_factor.account_for_marker({"id": "x"}, now=NOW) is None
    assert two_factor.account_for_marker(None, now=NOW) is None
    staff.session_version += 1  # "log out everywhere" or a new password since the password step
    assert two_factor.account_for_marker(marker, now=NOW) is None


def test_the_setting_is_required_in_production_and_optional_in_development(tmp_path, monkeypatch):
    from portal.config import Config

    settings = test_settings(f"sqlite:///{tmp_path}/x.db", tmp_path)
    settings.pop("STAFF_2FA", None)
    monkeypatch.delenv("PORTAL_STAFF_2FA", raising=False)
    assert create_app(settings).config["STAFF_2FA"] == "optional"
    for name, value in {"PORTAL_ENV": "production", "SECRET_KEY": "x" * 40, "SMTP_HOST": "smtp.example.com",
                        "PORTAL_BASE_URL": "https://members.example.com", "REDIS_URL": "redis://127.0.0.1:6379/0",
                        "PORTAL_INSTANCE_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    production = Config()
    production.check()  # a safe production configuration: nothing refused
    assert production.STAFF_2FA == "required"
    monkeypatch.setenv("PORTAL_STAFF_2FA", "optional")
    with pytest.raises(RuntimeError, match="PORTAL_STAFF_2FA"):
        Config().check()
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setenv("PORTAL_STAFF_2FA", "sometimes")
    with pytest.raises(RuntimeError, match="PORTAL_STAFF_2FA"):
        create_app(settings)


# --- login ------------------------------------------------------------------------------------

def test_staff_without_two_factor_log_in_with_the_password_in_development(client):
    make_staff("service", email="sam@example.com")
    response = login(client, "sam@example.com")
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_enrolled_staff_user_is_logged_in_only_after_the_code(client):
    staff = make_staff("operations", email="olive@example.com")
    secret, _codes = enrol_staff(staff)
    db.session.commit()
    response = login(client, "olive@example.com")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login/two-factor")
    assert client.get("/admin/").status_code == 302  # not logged in yet
    with client.session_transaction() as session:
        assert "_user_id" not in session and secret not in str(dict(session))
    page = client.get("/login/two-factor")
    assert page.status_code == 200 and "Two-factor code" in html(page)
    wrong = two_factor_step(client, "000000" if code_now(secret) != "000000" else "111111")
    assert wrong.status_code == 422 and "That code is not right" in html(wrong)
    assert client.get("/admin/").status_code == 302
    right = two_factor_step(client, code_now(secret))
    assert right.status_code == 303 and right.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        assert "two_factor_pending" not in session and session["_user_id"].startswith("staff:")


def test_a_used_code_does_not_log_in_again(client):
    staff = make_staff("operations", email="olive@example.com")
    secret, _codes = enrol_staff(staff)
    code = code_now(secret)
    login(client, "olive@example.com")
    assert two_factor_step(client, code).status_code == 303
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/admin/")})
    login(client, "olive@example.com")
    replay = two_factor_step(client, code)
    assert replay.status_code == 422 and client.get("/admin/").status_code == 302


def test_next_and_remember_me_carry_through_the_code_step(client):
    staff = make_staff("operations", email="olive@example.com")
    secret, _codes = enrol_staff(staff)
    response = post_form(client, "/login?next=/admin/members",
                         {"email": "olive@example.com", "password": "portal-demo", "remember": "y"}, page="/login")
    assert "remember_token" not in (response.headers.get("Set-Cookie") or "")
    done = two_factor_step(client, code_now(secret), next_url="/admin/members")
    assert done.headers["Location"] == "/admin/members"
    assert any(v.startswith("remember_token=") for v in done.headers.getlist("Set-Cookie"))


def test_the_code_step_expires_after_five_minutes(client):
    staff = make_staff("operations", email="olive@example.com")
    secret, _codes = enrol_staff(staff)
    login(client, "olive@example.com")
    with client.session_transaction() as session:
        session["two_factor_pending"] = {**session["two_factor_pending"], "at": int(time.time()) - 301}
    late = two_factor_step(client, code_now(secret))
    assert late.status_code == 303 and late.headers["Location"] == "/login"
    assert client.get("/admin/").status_code == 302
    assert "not finished within five minutes" in html(client.get("/login"))


def test_a_password_reset_does_not_skip_the_code(client):
    from portal.auth import services

    staff = make_staff("operations", email="olive@example.com")
    secret, _codes = enrol_staff(staff)
    services.reset_password(staff, "fresh-meadow-8812")
    db.session.flush()
    response = login(client, "olive@example.com", "fresh-meadow-8812")
    assert response.headers["Location"].startswith("/login/two-factor")
    assert client.get("/admin/").status_code == 302
    assert two_factor_step(client, code_now(secret)).headers["Location"] == "/admin/"


def test_without_the_password_step_there_is_no_code_step(client):
    staff = make_staff("operations", email="olive@example.com")
    secret, _codes = enrol_staff(staff)
    response = two_factor_step(client, code_now(secret))
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_count_like_failed_logins(client):
    staff = make_staff("operations", email="olive@example.com")
    secret, _codes = enrol_staff(staff)
    login(client, "olive@example.com")
    for _ in range(5):
        assert two_factor_step(client, "abcde-fghjk").status_code == 422
    blocked = two_factor_step(client, code_now(secret))
    assert blocked.status_code == 429 and "Too many attempts" in html(blocked)
    login(client, "olive@example.com")  # the password again does not start a new count
    assert two_factor_step(client, code_now(secret)).status_code == 429


def test_a_recovery_code_logs_in_once_and_says_how_many_are_left(client):
    staff = make_staff("operations", email="olive@example.com")
    _secret, codes = enrol_staff(staff)
    login(client, "olive@example.com")
    response = two_factor_step(client, codes[3])
    assert response.status_code == 303
    assert "You used a recovery code. 9 are left." in html(client.get("/admin/"))
    entry = audit("staff.2fa_recovery_code_used")[0]
    assert entry.target_id == staff.id and entry.after == {"recovery_codes_left": 9}
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/admin/")})
    login(client, "olive@example.com")
    assert two_factor_step(client, codes[3]).status_code == 422


# --- enrolment --------------------------------------------------------------------------------

def setup_key(page):
    match = re.search(r'id="setup-key">([A-Z2-7 ]+)<', page)
    assert match, "no setup key on the page"
    return match.group(1).replace(" ", "")


def test_production_sends_staff_without_two_factor_to_enrol_first(client, production):
    staff = make_staff("operations", email="olive@example.com")
    response = login(client, "olive@example.com")
    assert response.headers["Location"] == "/admin/"
    for path in ("/admin/", "/admin/members", "/admin/account/password", "/admin/rewards/"):
        blocked = client.get(path)
        assert blocked.status_code == 303 and blocked.headers["Location"] == "/admin/account/two-factor", path
    page = html(client.get("/admin/account/two-factor"))
    assert "Staff must use two-factor sign-in" in page
    started = post_form(client, "/admin/account/two-factor/start", {}, page="/admin/account/two-factor")
    assert started.status_code == 303
    page = html(client.get("/admin/account/two-factor"))
    secret = setup_key(page)
    assert '<svg role="img" aria-label="QR code' in page
    assert db.session.get(type(staff), staff.id).totp_pending_secret == secret
    wrong = post_form(client, "/admin/account/two-factor/confirm", {"code": "12345"},
                      page="/admin/account/two-factor")
    assert wrong.status_code == 422 and client.get("/admin/").status_code == 303
    done = post_form(client, "/admin/account/two-factor/confirm", {"code": code_now(secret)},
                     page="/admin/account/two-factor")
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", html(done))
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    entry = audit("staff.2fa_enrol")[0]
    assert entry.actor_staff_id == staff.id and entry.target_id == staff.id
    row = str((entry.before, entry.after, entry.reason))
    assert secret not in row and not any(code in row for code in codes)


def test_production_asks_enrolled_staff_for_the_code_and_unenrolled_ones_to_enrol(client, production):
    staff = make_staff("service", email="sam@example.com")
    secret, _codes = enrol_staff(staff)
    assert login(client, "sam@example.com").headers["Location"].startswith("/login/two-factor")
    assert two_factor_step(client, code_now(secret)).headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_in_development_enrolment_is_optional(client):
    make_staff("service", email="sam@example.com")
    login(client, "sam@example.com")
    assert client.get("/admin/").status_code == 200
    page = html(client.get("/admin/account/two-factor"))
    assert "Set up two-factor" in page and "Staff must use" not in page


def test_setting_up_again_needs_the_password_or_a_current_code_and_is_audited(client, app):
    staff = make_staff("service", email="sam@example.com")
    secret, old_codes = enrol_staff(staff)
    db.session.commit()
    other = app.test_client()
    login(other, "sam@example.com")
    two_factor_step(other, code_now(secret, offset=-30))
    assert other.get("/admin/").status_code == 200
    login(client, "sam@example.com")
    two_factor_step(client, code_now(secret))
    refused = post_form(client, "/admin/account/two-factor/start", {"proof": "not my password"},
                        page="/admin/account/two-factor")
    assert refused.status_code == 422 and "neither your password nor a current code" in html(refused)
    assert db.session.get(type(staff), staff.id).totp_pending_secret is None
    post_form(client, "/admin/account/two-factor/start", {"proof": "portal-demo"}, page="/admin/account/two-factor")
    new_secret = setup_key(html(client.get("/admin/account/two-factor")))
    assert new_secret != secret
    done = post_form(client, "/admin/account/two-factor/confirm", {"code": code_now(new_secret)},
                     page="/admin/account/two-factor")
    assert done.status_code == 200 and "every other session of yours has ended" in html(done)
    assert client.get("/admin/").status_code == 200 and other.get("/admin/").status_code == 302
    db.session.expire_all()
    assert staff.totp_secret == new_secret and not two_factor.use_recovery_code(staff, old_codes[0])
    assert [e.action for e in audit("staff.2fa_reenrol")] == ["staff.2fa_reenrol"]


def test_a_setup_can_be_cancelled(client):
    staff = make_staff("service", email="sam@example.com")
    login(client, "sam@example.com")
    post_form(client, "/admin/account/two-factor/start", {}, page="/admin/account/two-factor")
    assert staff.totp_pending_secret
    post_form(client, "/admin/account/two-factor/cancel", {}, page="/admin/account/two-factor")
    db.session.expire_all()
    assert staff.totp_pending_secret is None and not staff.two_factor_enabled


# --- the team lead's staff page ---------------------------------------------------------------

def test_only_the_team_lead_sees_the_staff_page_and_its_actions(client):
    other = make_staff("operations", name="Olive Ops")
    for role in ("service", "operations", "expansion"):
        make_staff(role, email=f"{role}-x@example.com")
        login(client, f"{role}-x@example.com")
        assert client.get("/admin/staff").status_code == 403
        assert post_form(client, f"/admin/staff/{other.id}/role",
                         {f"staff-{other.id}-role": "admin", f"staff-{other.id}-reason": "me"},
                         page="/admin/").status_code == 403
        assert post_form(client, f"/admin/staff/{other.id}/two-factor/reset", {}, page="/admin/").status_code == 403
        nav = html(client.get("/admin/"))
        assert 'href="/admin/staff"' not in nav and 'href="/admin/account"' in nav
        client.post("/logout", headers={"X-CSRFToken": csrf_token(client, "/admin/")})
    assert db.session.get(type(other), other.id).role == "operations"
    assert audit("staff.role_change") == []


def test_the_staff_page_lists_everyone_with_their_two_factor(client):
    lead = make_staff("admin", name="Lee Lead", email="lee@example.com")
    olive = make_staff("operations", name="Olive Ops", email="olive@example.com")
    enrol_staff(olive)
    login(client, "lee@example.com")
    page = html(client.get("/admin/staff"))
    assert 'href="/admin/staff"' in page
    olive_part = page.split("Olive Ops", 1)[1]
    assert "olive@example.com" in olive_part and "Member operations" in olive_part
    assert "On, 10 recovery codes left" in olive_part
    assert "Not set up" in page.split("Lee Lead", 1)[1].split("Olive Ops", 1)[0]
    assert f"/admin/staff/{olive.id}/two-factor/reset" in page
    assert f"/admin/staff/{lead.id}/two-factor/reset" not in page


def test_a_reset_by_the_team_lead_is_audited_and_logs_the_staff_user_out(client, app, production):
    lead = make_staff("admin", email="lee@example.com")
    olive = make_staff("operations", email="olive@example.com")
    lead_secret, _ = enrol_staff(lead)
    olive_secret, _ = enrol_staff(olive)
    db.session.commit()
    olive_client = app.test_client()
    login(olive_client, "olive@example.com")
    two_factor_step(olive_client, code_now(olive_secret))
    assert olive_client.get("/admin/").status_code == 200
    login(client, "lee@example.com")
    two_factor_step(client, code_now(lead_secret))
    response = post_form(client, f"/admin/staff/{olive.id}/two-factor/reset", {}, page="/admin/staff")
    assert response.status_code == 303
    assert "must set it up again at their next login" in html(client.get("/admin/staff"))
    db.session.expire_all()
    assert not olive.two_factor_enabled and olive.totp_secret is None
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.staff_id == olive.id)).all() == []
    assert olive_client.get("/admin/").status_code == 302  # her session ended
    entry = audit("staff.2fa_reset")[0]
    assert entry.actor_staff_id == lead.id and entry.target_id == olive.id
    # At her next login she must enrol again before anything else.
    assert login(olive_client, "olive@example.com").headers["Location"] == "/admin/"
    assert olive_client.get("/admin/").headers["Location"] == "/admin/account/two-factor"


def test_a_role_change_needs_a_reason_and_is_audited(client):
    lead = make_staff("admin", email="lee@example.com")
    sam = make_staff("service", name="Sam Service")
    login(client, "lee@example.com")
    field = f"staff-{sam.id}-"
    missing = post_form(client, f"/admin/staff/{sam.id}/role", {field + "role": "operations", field + "reason": " "},
                        page="/admin/staff")
    assert missing.status_code == 422 and sam.role == "service"
    bogus = post_form(client, f"/admin/staff/{sam.id}/role", {field + "role": "owner", field + "reason": "x"},
                      page="/admin/staff")
    assert bogus.status_code == 422
    done = post_form(client, f"/admin/staff/{sam.id}/role",
                     {field + "role": "operations", field + "reason": "Moved to the operations desk"},
                     page="/admin/staff")
    assert done.status_code == 303
    db.session.expire_all()
    assert sam.role == "operations"
    assert "Sam Service is now Member operations." in html(client.get("/admin/staff"))
    entry = audit("staff.role_change")[0]
    assert (entry.actor_staff_id, entry.target_id, entry.before, entry.after, entry.reason) == (
        lead.id, sam.id, {"role": "service"}, {"role": "operations"}, "Moved to the operations desk")
    log = html(client.get("/admin/audit"))
    assert "Staff role changed" in log and "Member service → Member operations" in log


def test_the_last_active_team_lead_cannot_step_down(client):
    lead = make_staff("admin", email="lee@example.com")
    login(client, "lee@example.com")
    field = f"staff-{lead.id}-"
    refused = post_form(client, f"/admin/staff/{lead.id}/role",
                        {field + "role": "service", field + "reason": "stepping down"}, page="/admin/staff")
    assert refused.status_code == 422 and "needs an active team lead" in html(refused)
    db.session.expire_all()
    assert lead.role == "admin" and audit("staff.role_change") == []
    make_staff("admin", name="Second Lead")
    stepped = post_form(client, f"/admin/staff/{lead.id}/role",
                        {field + "role": "service", field + "reason": "stepping down"}, page="/admin/staff")
    assert stepped.status_code == 303 and stepped.headers["Location"] == "/admin/"
    db.session.expire_all()
    assert lead.role == "service"


# --- the staff password page ------------------------------------------------------------------

def test_staff_change_their_password_and_other_sessions_end(client, app):
    staff = make_staff("service", email="sam@example.com")
    db.session.commit()
    other = app.test_client()
    login(other, "sam@example.com")
    login(client, "sam@example.com")
    assert 'href="/admin/account"' in html(client.get("/admin/"))
    assert "Change password" in html(client.get("/admin/account"))
    wrong = post_form(client, "/admin/account/password",
                      {"current_password": "nope", "new_password": "amber-lantern-4417"})
    assert wrong.status_code == 422 and "That is not your current password." in html(wrong)
    weak = post_form(client, "/admin/account/password",
                     {"current_password": "portal-demo", "new_password": "password"})
    assert weak.status_code == 422
    done = post_form(client, "/admin/account/password",
                     {"current_password": "portal-demo", "new_password": "amber-lantern-4417"})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/account"
    assert client.get("/admin/").status_code == 200  # this session goes on
    assert other.get("/admin/").status_code == 302  # the other one ended
    db.session.expire_all()
    assert passwords.verify_password(staff.password_hash, "amber-lantern-4417")
    entry = audit("staff.password_change")[0]
    assert entry.actor_staff_id == staff.id and "amber" not in str((entry.before, entry.after, entry.reason))


def test_members_have_no_staff_account_pages(client):
    from tests.factories import make_member

    make_member(email="mei@example.com")
    login(client, "mei@example.com")
    for path in ("/admin/account", "/admin/account/password", "/admin/account/two-factor", "/admin/staff"):
        assert client.get(path).status_code == 403, path
