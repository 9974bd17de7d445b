"""Journeys: a staff user sets up two-factor sign-in, then logs in with a code from the app and
with a recovery code; a staff user changes their password. Each makes its own staff user."""

import re
import time
import uuid
from types import SimpleNamespace

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import StaffUser
from portal.extensions import db
from tests.factories import make_staff
from tests.helpers import assert_accessible, click_and_load, enrol_staff, log_in, submit_login, unique_email

pytestmark = pytest.mark.e2e

KEY = re.compile(r"((?:[A-Z2-7]{4} ?){8})")


@pytest.fixture
def new_staff(live_server):
    """A committed staff user with `role`; a namespace with name, email and password."""

    def make(role="operations", name="Oscar Ops", password="copper-kettle-5821"):
        email = unique_email("staff")
        with live_server.app.app_context():
            make_staff(role, name=name, email=email, password=password)
            db.session.commit()
        return SimpleNamespace(name=name, email=email, password=password)

    return make


def log_out(page):
    click_and_load(page, page.get_by_role("button", name="Log out"))
    expect(page.get_by_text("You have logged out.")).to_be_visible()


def open_my_account(page):
    click_and_load(page, page.get_by_role("navigation", name="Staff").get_by_role("link", name="My account"))
    expect(page.get_by_role("heading", name="My account")).to_be_visible()


def test_staff_user_sets_up_two_factor_then_logs_in_with_a_code_and_with_a_recovery_code(page, new_staff):
    oscar = new_staff()
    log_in(page, oscar.email, oscar.password)
    page.wait_for_url("**/admin/")
    open_my_account(page)
    expect(page.get_by_role("definition").filter(has_text="Off")).to_be_visible()
    assert_accessible(page)

    # Set up: the QR code and the key to type by hand, confirmed with a code from the "app".
    click_and_load(page, page.get_by_role("link", name=re.compile("^Two-factor sign-in")))
    click_and_load(page, page.get_by_role("button", name="Set up two-factor"))
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    assert_accessible(page)
    key = KEY.search(page.get_by_role("figure").inner_text()).group(1).replace(" ", "")
    totp = pyotp.TOTP(key)
    page.get_by_label("Code from the app").fill("123")
    click_and_load(page, page.get_by_role("button", name="Turn on two-factor"))
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    page.get_by_label("Code from the app").fill(totp.now())
    click_and_load(page, page.get_by_role("button", name="Turn on two-factor"))
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    assert_accessible(page)
    log_out(page)

    # Log in: password, then the code step; the next time step's code (the one that confirmed
    # the setup cannot be used again).
    submit_login(page, oscar.email, oscar.password)
    expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill(totp.at(time.time() + 30))
    click_and_load(page, page.get_by_role("button", name="Continue"))
    page.wait_for_url("**/admin/")
    open_my_account(page)
    expect(page.get_by_role("definition").filter(has_text="On, 10 recovery codes left")).to_be_visible()
    log_out(page)

    # Log in with a recovery code instead: it works once, and the page says how many are left.
    submit_login(page, oscar.email, oscar.password)
    page.get_by_label("Code", exact=True).fill(codes[0].upper())
    click_and_load(page, page.get_by_role("button", name="Continue"))
    page.wait_for_url("**/admin/")
    expect(page.get_by_text("You used a recovery code. 9 are left.")).to_be_visible()
    log_out(page)
    submit_login(page, oscar.email, oscar.password)
    page.get_by_label("Code", exact=True).fill(codes[0])
    click_and_load(page, page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("alert")).to_contain_text("That code is not right, or it was used already.")
    assert_accessible(page)


def test_staff_user_changes_their_password(page, new_staff):
    pat = new_staff(role="service", name="Pat Service", password="harbour-lights-7310")
    log_in(page, pat.email, pat.password)
    page.wait_for_url("**/admin/")
    open_my_account(page)
    click_and_load(page, page.get_by_role("link", name="Change password"))
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill("maple-orchard-2265")
    click_and_load(page, page.get_by_role("button", name="Change password"))
    expect(page.get_by_text("That is not your current password.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Current password").fill(pat.password)
    page.get_by_label("New password").fill("maple-orchard-2265")
    click_and_load(page, page.get_by_role("button", name="Change password"))
    expect(page.get_by_text("Your password is changed. You are logged out everywhere else.")).to_be_visible()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    log_out(page)
    answer = submit_login(page, pat.email, pat.password)
    assert answer.status == 422  # the old password no longer works
    submit_login(page, pat.email, "maple-orchard-2265")
    page.wait_for_url("**/admin/")


def test_team_lead_resets_a_staff_users_two_factor_and_changes_their_role(page, new_staff, live_server):
    lead = new_staff(role="admin", name="Lena Lead", password="granite-ridge-4410")
    olive = new_staff(role="operations", name=f"Olive {uuid.uuid4().hex[:6]}")
    with live_server.app.app_context():
        enrol_staff(db.session.scalar(select(StaffUser).where(StaffUser.email == olive.email)))
        db.session.commit()
    log_in(page, lead.email, lead.password)
    page.wait_for_url("**/admin/")
    click_and_load(page, page.get_by_role("navigation", name="Staff").get_by_role("link", name="Staff", exact=True))
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    assert_accessible(page)
    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=olive.name))
    expect(item).to_contain_text("On, 10 recovery codes left")

    page.once("dialog", lambda dialog: dialog.accept())  # "Reset two-factor for …?"
    item.get_by_role("button", name=f"Reset two-factor for {olive.name}").click()
    expect(page.get_by_text(f"Two-factor is reset for {olive.name}")).to_be_visible()
    expect(item).to_contain_text("Not set up")

    item.get_by_label("Role", exact=True).select_option(label="Member service")
    click_and_load(page, item.get_by_role("button", name=f"Change role of {olive.name}"))
    expect(item.get_by_text("This field is required.")).to_be_visible()  # a reason is needed
    assert_accessible(page)
    item.get_by_label("Role", exact=True).select_option(label="Member service")
    item.get_by_label("Reason", exact=True).fill("Moved to the service desk")
    click_and_load(page, item.get_by_role("button", name=f"Change role of {olive.name}"))
    expect(page.get_by_text(f"{olive.name} is now Member service.")).to_be_visible()

    click_and_load(page, page.get_by_role("navigation", name="Staff").get_by_role("link", name="Audit log"))
    reason = page.get_by_role("row").filter(has_text="Moved to the service desk")
    expect(reason).to_contain_text("Staff role changed")
    expect(reason).to_contain_text("Member operations → Member service")
    expect(page.get_by_role("row").filter(has_text="Two-factor sign-in reset by the team lead").first).to_contain_text(
        "Lena Lead")
