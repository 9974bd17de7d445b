"""Every migration goes down and up again on both databases, and 0005's data migration keeps
security emails out of the notifications a portal already made."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal import create_app
from portal.extensions import db, limiter
from tests.helpers import test_settings


def migrated(fresh_database, tmp_path, work):
    saved_limiter = dict(vars(limiter))  # create_app() rebinds the one shared limiter: put it back after
    try:
        app = create_app(test_settings(fresh_database, tmp_path))
        with app.app_context():
            work()
            db.session.remove()
            db.engine.dispose()
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved_limiter)


def test_every_migration_goes_down_to_the_first_and_up_again(fresh_database, tmp_path):
    def work():
        upgrade()
        downgrade(revision="0001")
        upgrade()
        assert db.session.execute(text("SELECT count(*) FROM tiers")).scalar() == 4

    migrated(fresh_database, tmp_path, work)


def test_0005_removes_security_emails_from_notifications_and_marks_their_kind(fresh_database, tmp_path):
    def work():
        upgrade(revision="0004")
        tier = db.session.execute(text("SELECT id FROM tiers ORDER BY rank LIMIT 1")).scalar()
        db.session.execute(text(
            "INSERT INTO members (email, password_hash, session_version, language, created_at, name, status, "
            "tier_id, marketing_emails, survey_emails, event_reminders, points_balance) VALUES "
            "('mei@example.com', 'x', 1, 'en', CURRENT_TIMESTAMP, 'Mei', 'active', :tier, true, true, true, 0)"),
            {"tier": tier})
        member = db.session.execute(text("SELECT id FROM members")).scalar()
        for template in ("reset_password", "verify_email", "reward_voucher"):
            db.session.execute(text(
                "INSERT INTO notifications (member_id, template, subject, body, created_at) "
                "VALUES (:m, :t, 's', 'http://x/password/reset/SECRET', CURRENT_TIMESTAMP)"),
                {"m": member, "t": template})
            db.session.execute(text(
                "INSERT INTO outbox_messages (template, to_email, to_name, language, subject, body_text, body_html, "
                "status, attempts, created_at) VALUES (:t, 'mei@example.com', '', 'en', 's', 'b', 'h', 'sent', 1, "
                "CURRENT_TIMESTAMP)"), {"t": template})
        db.session.commit()
        upgrade(revision="0005")
        left = db.session.execute(text("SELECT template FROM notifications")).scalars().all()
        assert left == ["reward_voucher"]
        kinds = dict(db.session.execute(text("SELECT template, kind FROM outbox_messages")).all())
        assert kinds == {"reset_password": "security", "verify_email": "security", "reward_voucher": "account"}
        db.session.commit()

    migrated(fresh_database, tmp_path, work)
