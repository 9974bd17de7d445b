"""The password-reset job on a real Redis and a real worker: the request only queues it."""

import pytest
from rq import Queue
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.factories import make_member
from tests.helpers import post_form

pytestmark = pytest.mark.jobs


def test_a_worker_decides_and_sends_the_reset_email(jobs_app, redis, mailbox, run_worker):
    make_member(name="Mei Lin", email="mei.jobs@example.com")
    db.session.commit()
    client = jobs_app.test_client()
    for email in ("mei.jobs@example.com", "nobody.jobs@example.com"):
        response = post_form(client, "/password/forgot", {"email": email},
                             environ_base={"REMOTE_ADDR": "198.51.100.20"})
        assert response.status_code == 303
    jobs = Queue("mail", connection=redis).get_jobs()
    assert [(job.func_name, job.args) for job in jobs] == [
        ("jobs.accounts.send_password_reset", ("mei.jobs@example.com", "198.51.100.20")),
        ("jobs.accounts.send_password_reset", ("nobody.jobs@example.com", "198.51.100.20")),
    ]
    db.session.rollback()
    assert db.session.scalars(select(OutboxMessage)).all() == []  # the request sent nothing itself

    run_worker(jobs_app)
    [email] = mailbox.wait_for("mei.jobs@example.com")
    assert "/password/reset/" in email.get_body(("plain",)).get_content()
    assert mailbox.to("nobody.jobs@example.com") == []
    requested = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.reset_requested")).all()
    assert sorted(entry.member_id is not None for entry in requested) == [False, True]
    assert {entry.address for entry in requested} == {"198.51.100.20"}
