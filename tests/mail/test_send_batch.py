"""outbox.send_batch: a batch of emails over ONE SMTP connection, each claimed and recorded on its
own, with send_message's failed / retry rules (inline here: the app's SMTP points at a sink)."""

import pytest

from jobs.queues import PENDING
from portal.extensions import db
from portal.mail import outbox
from portal.mail.models import OutboxMessage
from tests import services
from tests.factories import make_member
from tests.helpers import survey_smtp_sink


def queue_batch(count, **fields):
    """`count` committed queued messages, stored without a job of their own; their ids."""
    messages = []
    for n in range(count):
        member = make_member(name=f"Batch Member {n}", email=fields.get("emails", {}).get(n))
        message = outbox.queue_email("verify_email", member.email, {"name": member.name, "link": "http://x/v",
                                                                    "hours": 24}, to_name=member.name,
                                     member=member, enqueue=False)
        messages.append(message)
    assert not db.session.info.get(PENDING)  # no job per message
    db.session.commit()
    return [message.id for message in messages]


def status_of(ids):
    return [db.session.get(OutboxMessage, i, populate_existing=True).status for i in ids]


@pytest.fixture
def sink(app, monkeypatch):
    with survey_smtp_sink(refuse={"refused@example.com"}) as (port, sink):
        monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "SMTP_PORT", port)
        yield sink


def test_a_batch_goes_over_one_connection_and_skips_what_was_sent(app, sink):
    ids = queue_batch(5)
    assert outbox.send_batch(ids[:2]) == {"sent": 2, "skipped": 0, "failed": 0}
    assert sink.connections == 1
    assert outbox.send_batch(ids) == {"sent": 3, "skipped": 2, "failed": 0}
    assert sink.connections == 2 and len(sink.messages) == 5  # one connection per batch, nothing twice
    assert status_of(ids) == ["sent"] * 5
    assert len({m["Message-ID"] for m in sink.messages}) == 5


def test_a_refused_recipient_is_retried_and_the_others_go(app, sink):
    ids = queue_batch(3, emails={1: "refused@example.com"})
    with pytest.raises(outbox.BatchNotSent):
        outbox.send_batch(ids, final_attempt=False)
    assert status_of(ids) == ["sent", "queued", "sent"] and sink.connections == 1
    assert "SMTPRecipientsRefused" in db.session.get(OutboxMessage, ids[1]).last_error
    with pytest.raises(outbox.BatchNotSent):
        outbox.send_batch(ids, final_attempt=True)  # the last retry: it fails for good
    assert status_of(ids) == ["sent", "failed", "sent"] and len(sink.messages) == 2


def test_an_unbuildable_message_fails_alone(app, sink):
    ids = queue_batch(3)
    db.session.get(OutboxMessage, ids[0]).subject = "Two\nlines"
    db.session.commit()
    assert outbox.send_batch(ids) == {"sent": 2, "skipped": 0, "failed": 1}
    assert status_of(ids) == ["failed", "sent", "sent"]


def test_with_the_server_down_the_batch_stops_and_waits_for_its_retry(app, sink, monkeypatch):
    ids = queue_batch(3)
    port = app.config["SMTP_PORT"]
    monkeypatch.setitem(app.config, "SMTP_PORT", services.free_port())
    with pytest.raises(outbox.BatchNotSent):
        outbox.send_batch(ids, final_attempt=False)
    assert status_of(ids) == ["queued"] * 3
    attempts = [db.session.get(OutboxMessage, i).attempts for i in ids]
    assert attempts == [1, 0, 0]  # stopped at the first: the rest wait for the job's retry
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    assert outbox.send_batch(ids) == {"sent": 3, "skipped": 0, "failed": 0}
    assert sink.connections == 1
