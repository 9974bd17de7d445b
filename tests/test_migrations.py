"""Every migration goes down and up again on both databases, and 0005's data migration keeps
security emails out of the notifications a portal already made."""

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from tests.helpers import migrated


def test_every_migration_goes_down_to_the_first_and_up_again(fresh_database, tmp_path):
    def work():
        upgrade()
        downgrade(revision="0001")
        upgrade()
        assert db.session.execute(text("SELECT count(*) FROM tiers")).scalar() == 4

    migrated(fresh_database, tmp_path, work)


def insert_mei():
    """Mei, a member inserted in SQL (the models may be ahead of the revision the test stands at); her id."""
    tier = db.session.execute(text("SELECT id FROM tiers ORDER BY rank LIMIT 1")).scalar()
    db.session.execute(text(
        "INSERT INTO members (email, password_hash, session_version, language, created_at, name, status, "
        "tier_id, marketing_emails, survey_emails, event_reminders, points_balance) VALUES "
        "('mei@example.com', 'x', 1, 'en', CURRENT_TIMESTAMP, 'Mei', 'active', :tier, true, true, true, 0)"),
        {"tier": tier})
    return db.session.execute(text("SELECT id FROM members")).scalar()


def test_0005_removes_security_emails_from_notifications_and_marks_their_kind(fresh_database, tmp_path):
    def work():
        upgrade(revision="0004")
        member = insert_mei()
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


def test_0013_moves_ticket_pictures_out_of_the_public_folder_and_keeps_resolution_hours(fresh_database, tmp_path):
    def work():
        from flask import current_app
        upgrade(revision="0012")
        member = insert_mei()
        db.session.execute(text(
            "INSERT INTO tickets (number, member_id, kind, subject, status, priority, first_response_due_at, "
            "resolution_due_at, version, created_at, updated_at) VALUES ('T-2026-000001', :m, 'complaint', 's', "
            "'new', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"m": member})
        ticket = db.session.execute(text("SELECT id FROM tickets")).scalar()
        db.session.execute(text(
            "INSERT INTO ticket_messages (ticket_id, member_id, internal, body, created_at, version) "
            "VALUES (:t, :m, false, 'b', CURRENT_TIMESTAMP, 1)"), {"t": ticket, "m": member})
        message = db.session.execute(text("SELECT id FROM ticket_messages")).scalar()
        name = "abcdefghijklmnopqrstuvwx.png"
        db.session.execute(text(
            "INSERT INTO ticket_attachments (ticket_id, message_id, stored_name, content_type, size, original_name) "
            "VALUES (:t, :msg, :name, 'image/png', 3, 'a.png')"), {"t": ticket, "msg": message, "name": name})
        db.session.commit()
        folder = Path(current_app.config["UPLOAD_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"png")
        (folder / "reward0123456789abcdef.png").write_bytes(b"reward")  # a public picture stays
        upgrade(revision="0013")
        assert not (folder / name).exists() and (folder / "tickets" / name).read_bytes() == b"png"
        assert (folder / "reward0123456789abcdef.png").exists()
        assert db.session.execute(text("SELECT resolution_hours, running_due_at FROM tickets")).one()[0] == 24
        db.session.commit()

    migrated(fresh_database, tmp_path, work)
