"""Member care rules: expiry and its 30-day notice, the monthly tier review, birthdays."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.care import birthdays, points, review
from portal.care.models import BirthdayGreeting, ExpiryNotice
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import PointsEntry, Tier, TierChange
from portal.models import add_months
from tests.factories import make_member
from tests.helpers import counting_queries

# 01:00 on 2 Dec 2026 in Asia/Taipei, when the daily jobs run.
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def tier(code):
    return db.session.scalar(select(Tier).where(Tier.code == code))


def emails(member, template):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.member_id == member.id, OutboxMessage.template == template)
        .order_by(OutboxMessage.id)
    ).all()


def notices(member):
    return [(n.expires_on, n.points) for n in db.session.scalars(
        select(ExpiryNotice).where(ExpiryNotice.member_id == member.id).order_by(ExpiryNotice.expires_on))]


def earn_expiring(member, amount, expires_at, key=None):
    """An earning made a while ago that expires at `expires_at`."""
    return ledger.earn(member, amount, "purchase", key or f"order-{member.id}-{expires_at.isoformat()}",
                       at=NOW - timedelta(days=300), expires_at=expires_at)


# Expiry notices


def test_points_expiring_within_30_days_are_announced_once_per_day_even_if_run_twice(app):
    mei = make_member(name="Mei Lin")
    earn_expiring(mei, 1200, datetime(2026, 12, 31, 3, tzinfo=UTC))  # 11:00 on 31 Dec in Taipei

    [notice] = points.send_expiry_notices(NOW)
    assert notices(mei) == [(date(2026, 12, 31), 1200)]
    [email] = emails(mei, "expiry_notice")
    assert email.subject == "1,200 points expire on 31 Dec 2026"
    assert "1,200 points expire on 31 Dec 2026" in email.body_text and email.to_email == mei.email
    assert "1,200 points expire on 31 Dec 2026" in email.body_html
    assert "Your balance is 1,200 points" in email.body_text

    assert points.send_expiry_notices(NOW) == []
    assert points.send_expiry_notices(NOW + timedelta(days=1)) == []  # the next day's run too
    assert len(notices(mei)) == 1 and len(emails(mei, "expiry_notice")) == 1


def test_only_the_next_30_programme_days_are_announced(app):
    mei = make_member()
    # Taipei is UTC+8: the horizon is the end of 1 Jan 2027 there (16:00 UTC).
    earn_expiring(mei, 100, datetime(2027, 1, 1, 15, 59, tzinfo=UTC))  # 23:59 on day 30: in
    earn_expiring(mei, 200, datetime(2027, 1, 1, 16, 0, tzinfo=UTC))  # 00:00 on day 31: out
    earn_expiring(mei, 300, NOW + timedelta(days=45))
    points.send_expiry_notices(NOW)
    assert notices(mei) == [(date(2027, 1, 1), 100)]

    points.send_expiry_notices(NOW + timedelta(days=1))  # a day later, day 31 comes in
    assert notices(mei) == [(date(2027, 1, 1), 100), (date(2027, 1, 2), 200)]
    assert len(emails(mei, "expiry_notice")) == 2


def test_two_batches_make_two_notices_in_one_email(app):
    mei = make_member()
    earn_expiring(mei, 40, NOW + timedelta(days=3))
    earn_expiring(mei, 60, NOW + timedelta(days=3, hours=2))  # same day: one batch
    earn_expiring(mei, 1, NOW + timedelta(days=20))
    points.send_expiry_notices(NOW)
    assert notices(mei) == [(date(2026, 12, 5), 100), (date(2026, 12, 22), 1)]
    [email] = emails(mei, "expiry_notice")
    assert email.subject == "Some of your points expire soon"
    assert "100 points expire on 5 Dec 2026" in email.body_text
    assert "1 point expires on 22 Dec 2026" in email.body_text


def test_the_notice_is_in_the_members_language(app):
    mei = make_member(language="zh_Hant")
    earn_expiring(mei, 1200, datetime(2026, 12, 31, 3, tzinfo=UTC))
    points.send_expiry_notices(NOW)
    [email] = emails(mei, "expiry_notice")
    assert email.language == "zh_Hant" and "2026年12月31日" in email.subject


def test_spent_points_and_inactive_members_get_no_notice(app):
    spent, closed, pending = make_member(), make_member(), make_member(status="pending")
    earn_expiring(spent, 100, NOW + timedelta(days=5))
    ledger.spend(spent, 100, "redemption", "spend-all", at=NOW - timedelta(days=1))
    earn_expiring(closed, 100, NOW + timedelta(days=5))
    closed.status = "closed"
    earn_expiring(pending, 100, NOW + timedelta(days=5))
    assert points.members_with_points_expiring(NOW) == []
    assert points.send_expiry_notices(NOW) == []
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "expiry_notice")).all() == []


# Expiry


def balance(member):
    db.session.refresh(member)
    return member.points_balance


def test_expiry_writes_the_due_entries_once_even_if_run_twice_the_same_day(app):
    mei, ann = make_member(), make_member()
    earn_expiring(mei, 500, NOW - timedelta(hours=1))
    earn_expiring(mei, 300, NOW + timedelta(days=2))
    earn_expiring(ann, 70, NOW - timedelta(days=3))

    written = points.expire_points(NOW)
    assert sorted((e.member_id, e.amount, e.kind) for e in written) == sorted(
        [(mei.id, -500, "expiry"), (ann.id, -70, "expiry")])
    assert (balance(mei), balance(ann)) == (300, 0)

    assert points.expire_points(NOW) == []
    assert points.expire_points(NOW + timedelta(hours=6)) == []
    assert (balance(mei), balance(ann)) == (300, 0)
    assert len(db.session.scalars(select(PointsEntry).where(PointsEntry.kind == "expiry")).all()) == 2


def test_one_query_finds_every_member_with_due_points(app):
    members = [make_member() for _ in range(6)]
    for member in members[:5]:
        earn_expiring(member, 10, NOW - timedelta(days=1))
    with counting_queries() as statements:
        due = points.members_with_due_points(NOW)
    assert due == [member.id for member in members[:5]]
    assert len(statements) == 1


def test_a_closed_members_points_are_left_alone(app):
    closed = make_member()
    earn_expiring(closed, 10, NOW - timedelta(days=1))
    closed.status = "closed"
    assert points.expire_points(NOW) == [] and balance(closed) == 10


# Monthly tier review

REVIEW_AT = datetime(2026, 12, 1, 2, tzinfo=UTC)  # the cron moment: 02:00 UTC on the 1st


def qualify(member, amount, months_ago=2):
    ledger.earn(member, amount, "purchase", f"q-{member.id}-{amount}-{months_ago}",
                at=add_months(REVIEW_AT, -months_ago))


def tier_changes(member):
    return [(c.from_tier.code, c.to_tier.code) for c in db.session.scalars(
        select(TierChange).where(TierChange.member_id == member.id).order_by(TierChange.id))]


def test_below_the_threshold_a_member_goes_down_one_tier_and_is_told_what_gets_it_back(app):
    mei = make_member(name="Mei Lin", tier="gold")
    qualify(mei, 3800)
    qualify(mei, 4000, months_ago=13)  # out of the 12-month window

    [moved] = review.review_tiers(REVIEW_AT)
    assert (moved.from_tier.code, moved.to_tier.code, moved.qualifying, moved.needed) == ("gold", "silver", 3800, 1200)
    assert mei.tier.code == "silver" and tier_changes(mei) == [("gold", "silver")]
    [email] = emails(mei, "tier_review")
    assert email.subject == "Your membership tier is now Silver"
    assert "you had 3,800 qualifying points from the last 12 months; Gold needs 5,000" in email.body_text
    assert "Earn 1,200 more qualifying points to get Gold back" in email.body_text
    assert "Earn 1,200 more qualifying points to get Gold back" in email.body_html


@pytest.mark.parametrize(("code", "earned"), [("gold", 5000), ("gold", 7000), ("silver", 1000)])
def test_at_or_above_the_threshold_nothing_changes(app, code, earned):
    mei = make_member(tier=code)
    qualify(mei, earned)
    assert review.review_tiers(REVIEW_AT) == []
    assert mei.tier.code == code and tier_changes(mei) == [] and emails(mei, "tier_review") == []


def test_the_lowest_tier_stays(app):
    mei = make_member(tier="regular")
    assert mei.id not in review.members_to_review()
    assert review.review_tier(mei, REVIEW_AT) is None
    assert mei.tier.code == "regular" and tier_changes(mei) == []


def test_a_member_two_tiers_too_high_drops_one_tier_a_month_even_if_the_review_runs_twice(app):
    mei = make_member(tier="diamond")
    qualify(mei, 1500)
    review.review_tiers(REVIEW_AT)
    review.review_tiers(REVIEW_AT + timedelta(hours=3))  # a re-run the same month
    assert mei.tier.code == "gold" and tier_changes(mei) == [("diamond", "gold")]
    assert len(emails(mei, "tier_review")) == 1

    [moved] = review.review_tiers(add_months(REVIEW_AT, 1))
    assert moved.needed == 5000 - 1500
    assert mei.tier.code == "silver" and tier_changes(mei) == [("diamond", "gold"), ("gold", "silver")]
    assert review.review_tiers(add_months(REVIEW_AT, 2)) == []  # 1,500 keeps Silver


def test_inactive_members_are_not_reviewed(app):
    closed, pending = make_member(tier="gold", status="closed"), make_member(tier="gold", status="pending")
    assert review.review_tiers(REVIEW_AT) == []
    assert closed.tier.code == pending.tier.code == "gold"


# Birthdays


def greetings(member):
    return db.session.scalars(select(BirthdayGreeting).where(BirthdayGreeting.member_id == member.id)).all()


def birthday_entries(member):
    return db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id, PointsEntry.kind == "birthday")).all()


def test_a_member_is_greeted_on_their_birthday_once_even_if_the_job_runs_twice(app):
    mei = make_member(name="Mei Lin", tier="gold", birthday_month=3, birthday_day=14)
    other = make_member(birthday_month=3, birthday_day=15)
    nobody = make_member()  # no birthday given

    [greeting] = birthdays.greet_birthdays(date(2026, 3, 14))
    assert (greeting.member_id, greeting.year, greeting.points, greeting.emailed) == (mei.id, 2026, 500, True)
    [entry] = birthday_entries(mei)
    assert (entry.amount, entry.idempotency_key) == (500, f"birthday:{mei.id}:2026")
    assert balance(mei) == 500
    [email] = emails(mei, "birthday")
    assert email.subject == "Happy birthday, Mei!"
    assert "As a Gold member you get 500 birthday points" in email.body_text
    assert "news and offers are on in your profile" in email.body_html  # why, and the unsubscribe link

    assert birthdays.greet_birthdays(date(2026, 3, 14)) == []
    assert len(greetings(mei)) == 1 and len(birthday_entries(mei)) == 1 and len(emails(mei, "birthday")) == 1
    assert greetings(other) == [] and greetings(nobody) == []

    birthdays.greet_birthdays(date(2027, 3, 14))  # next year, again
    assert sorted(g.year for g in greetings(mei)) == [2026, 2027] and balance(mei) == 1000


@pytest.mark.parametrize(("day", "greeted"), [
    (date(2027, 2, 28), True),  # not a leap year: 28 Feb
    (date(2027, 3, 1), False),
    (date(2028, 2, 28), False),  # a leap year: wait for 29 Feb
    (date(2028, 2, 29), True),
])
def test_a_29_february_birthday_is_kept_on_28_february_in_other_years(app, day, greeted):
    leap = make_member(birthday_month=2, birthday_day=29)
    birthdays.greet_birthdays(day)
    assert [g.year for g in greetings(leap)] == ([day.year] if greeted else [])


@pytest.mark.parametrize(("code", "bonus"), [("regular", 100), ("silver", 200), ("gold", 500), ("diamond", 1000)])
def test_the_bonus_is_the_tiers(app, code, bonus):
    mei = make_member(tier=code, birthday_month=7, birthday_day=1)
    birthdays.greet_birthdays(date(2026, 7, 1))
    assert [e.amount for e in birthday_entries(mei)] == [bonus] and tier(code).birthday_bonus == bonus


def test_without_marketing_emails_the_points_come_without_the_email(app):
    mei = make_member(birthday_month=7, birthday_day=1, marketing_emails=False)
    [greeting] = birthdays.greet_birthdays(date(2026, 7, 1))
    assert greeting.emailed is False and greeting.points == 100
    assert balance(mei) == 100 and emails(mei, "birthday") == []


def test_closed_and_pending_members_are_not_greeted(app):
    closed = make_member(status="closed", birthday_month=7, birthday_day=1)
    pending = make_member(status="pending", birthday_month=7, birthday_day=1)
    assert birthdays.members_with_birthday(date(2026, 7, 1)) == []
    assert birthdays.greet_birthdays(date(2026, 7, 1), member_ids=[closed.id, pending.id]) == []
    assert greetings(closed) == greetings(pending) == []
