"""Journeys: expansion staff check Mei in by her member number on a phone-sized page at the door →
her points rise once; checking her in again (a second search, or a second phone still showing the
"Check in" button) changes nothing. And the camera: "Scan with camera" reads the QR code of her
membership card (Chromium's fake camera plays a video of it) and finds her registration.

The journey makes its own Mei and its own event through the services (the demo accounts are
read by other journeys).
"""

import os
import re
import uuid
from datetime import timedelta

import pytest
import segno
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import StaffUser
from portal.events import services
from portal.extensions import db
from portal.members.card import card_token
from portal.members.models import Member
from portal.models import utcnow
from tests.factories import make_member
from tests.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SMALL_PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    click_and_load,
    log_in,
    staff_page,
)

pytestmark = pytest.mark.e2e

POINTS = 80


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def mei_registered_for_an_event(live_server, run):
    """A new Mei, registered (confirmed) for a new published event that starts in an hour."""
    with live_server.app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "expansion@example.com"))
        mei = make_member(name=f"Mei {run}", email=f"mei-{run}@example.com")
        now = utcnow()
        event = services.create_event(dict(
            title=f"Tea tasting {run}", title_zh="", description="", description_zh="",
            registration_opens_at=None, registration_closes_at=None, min_tier_id=None,
            attendance_points=POINTS, cancel_cutoff_hours=24, starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=3), online=False, online_url="", venue="Da'an Hall", address="",
            capacity=10), staff)
        services.publish(event, staff)
        services.register(mei, event)
        db.session.commit()
        return mei.id, mei.number, mei.name, event.id, event.title


def balance(live_server, member_id):
    with live_server.app.app_context():
        return db.session.scalar(select(Member.points_balance).where(Member.id == member_id))


def test_expansion_staff_check_mei_in_by_her_member_number_on_a_phone(new_context, live_server):
    run = uuid.uuid4().hex[:6]
    mei_id, number, name, event_id, title = mei_registered_for_an_event(live_server, run)
    before = balance(live_server, mei_id)

    desk = staff_page(new_context, SMALL_PHONE)
    log_in(desk, "expansion@example.com")
    desk.wait_for_url("**/admin/")
    check(desk)

    # Events → the event → its check-in desk
    click_and_load(desk, desk.get_by_role("navigation", name="Staff").get_by_role("link", name="Events"))
    expect(desk.get_by_role("heading", name="Events", exact=True)).to_be_visible()
    check(desk)
    click_and_load(desk, desk.get_by_role("link", name="New event"))
    expect(desk.get_by_role("heading", name="New event")).to_be_visible()
    check(desk)
    desk.go_back()
    click_and_load(desk, desk.get_by_role("link", name=title))
    expect(desk.get_by_role("heading", name=title, level=1)).to_be_visible()
    check(desk)
    click_and_load(desk, desk.get_by_role("link", name="Registrations"))
    expect(desk.get_by_role("heading", name="Registered (1)")).to_be_visible()
    check(desk)
    click_and_load(desk, desk.get_by_role("link", name="Check-in desk"))
    expect(desk.get_by_role("heading", name="Check-in desk")).to_be_visible()
    expect(desk.get_by_text("Checked in: 0 of 1")).to_be_visible()
    check(desk)

    # Her member number finds her registration, with a "Check in" button
    desk.get_by_label("Member number, name or code").fill(number)
    desk.get_by_role("button", name="Find").click()
    expect(desk.get_by_role("heading", name=name)).to_be_visible()
    expect(desk).to_have_url(re.compile(rf"/check-in\?q={number}$"))
    check(desk)

    # A second phone at the door finds her too, before she is checked in
    other = desk.context.new_page()
    other.goto(f"/admin/events/{event_id}/check-in?q={number}")
    expect(other.get_by_role("button", name="Check in")).to_be_visible()
    check(other)

    desk.get_by_role("button", name="Check in").click()
    expect(desk.get_by_text(f"{name} ({number}) is checked in and earned {POINTS} points.")).to_be_visible()
    expect(desk.get_by_text("Checked in: 1 of 1")).to_be_visible()
    check(desk)
    assert balance(live_server, mei_id) == before + POINTS

    # Checking her in again: a second search says so and offers no button …
    desk.get_by_label("Member number, name or code").fill(number)
    desk.get_by_role("button", name="Find").click()
    expect(desk.get_by_text(re.compile(r"^Already checked in at \d{4}-\d\d-\d\d \d\d:\d\d$"))).to_be_visible()
    expect(desk.get_by_role("button", name="Check in")).to_have_count(0)
    check(desk)
    # … and the other phone's button, pressed now, changes nothing either
    other.get_by_role("button", name="Check in").click()
    expect(other.get_by_role("alert")).to_contain_text(f"{name} is already checked in")
    check(other)
    assert balance(live_server, mei_id) == before + POINTS
    # The other phone's count caught up by itself (htmx polls it)
    expect(other.get_by_text("Checked in: 1 of 1")).to_be_visible(timeout=10_000)


def qr_video(path, text, width=640, height=480, scale=8, border=4):
    """A two-frame Y4M video (which Chromium's fake camera loops) of a QR code carrying `text`."""
    matrix = [list(row) for row in segno.make_qr(text, error="m").matrix]
    side = (len(matrix) + 2 * border) * scale
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray([235]) * (width * height)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    at = (top + (r + border) * scale + dy) * width + left + (c + border) * scale
                    luma[at:at + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode() + frame * 2)
    return path


def test_the_camera_reads_the_membership_cards_qr_code_and_finds_the_registration(playwright, live_server,
                                                                                tmp_path):
    run = uuid.uuid4().hex[:6]
    mei_id, number, name, event_id, _title = mei_registered_for_an_event(live_server, run)
    with live_server.app.app_context():
        token = card_token(db.session.get(Member, mei_id))
    video = qr_video(tmp_path / "card.y4m", token)
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(args=args, **({"executable_path": CHROMIUM} if os.path.exists(CHROMIUM)
                                                       else {}))
    try:
        context = browser.new_context(base_url=live_server.url, viewport=SMALL_PHONE)
        context.grant_permissions(["camera"])
        desk = context.new_page()
        log_in(desk, "expansion@example.com")
        desk.wait_for_url("**/admin/")
        desk.goto(f"/admin/events/{event_id}/check-in")
        scan = desk.get_by_role("button", name="Scan with camera")
        expect(scan).to_be_visible()  # a camera API exists: the button shows
        check(desk)
        scan.click()
        expect(desk.get_by_role("heading", name=name)).to_be_visible(timeout=20_000)
        expect(desk.get_by_label("Member number, name or code")).to_have_value(token)
        expect(desk.get_by_role("button", name="Check in")).to_be_visible()
        expect(scan).to_have_attribute("aria-pressed", "false")  # the camera is off again
        check(desk)
        assert balance(live_server, mei_id) == 0  # finding is not checking in
    finally:
        browser.close()
