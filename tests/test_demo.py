from sqlalchemy import func, select

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.members import ledger
from portal.members.models import Member, PointsEntry
from tests.helpers import login


def test_seed_demo_creates_the_accounts_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "mei@example.com" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already present" in second.output
    roles = dict(db.session.execute(select(StaffUser.email, StaffUser.role)).all())
    assert roles == {"lead@example.com": "admin", "service@example.com": "service",
                     "ops@example.com": "operations", "expansion@example.com": "expansion"}
    assert db.session.scalar(select(func.count()).select_from(Member)) == 1
    mei = db.session.scalar(select(Member))
    assert (mei.name, mei.status) == ("Mei Lin", "active")


def test_mei_has_eighteen_months_of_believable_history(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    mei = db.session.scalar(select(Member))
    entries = db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == mei.id)
                                 .order_by(PointsEntry.created_at)).all()
    assert len(entries) >= 45
    assert {"purchase", "adjustment", "expiry"} <= {e.kind for e in entries}
    assert (entries[-1].created_at - entries[0].created_at).days >= 17 * 30
    assert mei.points_balance == ledger.ledger_balance(mei.id) > 0 and ledger.reconcile() == []
    assert mei.tier.code == "silver"  # her home shows progress towards Gold
    assert ledger.expiring_soon(mei)  # and points that expire soon
    app.test_cli_runner().invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == len(entries)


def test_the_demo_accounts_log_in_with_the_demo_password(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    assert login(client, "mei@example.com").headers["Location"] == "/"
    other = app.test_client()
    assert login(other, "lead@example.com").headers["Location"] == "/admin/"


def test_seed_demo_is_refused_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "refused" in result.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_db_empty_tells_make_run_whether_to_seed(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db-empty"]).exit_code == 0
    runner.invoke(args=["seed-demo"])
    assert runner.invoke(args=["db-empty"]).exit_code == 1
