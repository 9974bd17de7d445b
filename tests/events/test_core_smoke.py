from datetime import timedelta

from portal.events import services
from portal.events.models import Event
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.models import utcnow
from tests.factories import make_member, make_staff


def test_smoke(app):
    staff = make_staff("expansion")
    now = utcnow()
    fields = dict(title="Tea", title_zh="", description="x", description_zh="", registration_opens_at=None,
                  registration_closes_at=None, min_tier_id=None, attendance_points=50, cancel_cutoff_hours=24,
                  starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2), online=False,
                  online_url="", venue="Hall", address="1 Road", capacity=1)
    event = services.create_event(fields, staff)
    services.publish(event, staff)
    a, b = make_member("A"), make_member("B")
    ra = services.register(a, event)
    rb = services.register(b, event)
    assert (ra.status, rb.status) == ("confirmed", "waitlisted")
    assert services.waitlist_position(rb) == 1
    services.cancel_registration(ra)
    db.session.refresh(rb)
    assert rb.status == "confirmed"
    services.check_in(rb, staff, event)
    assert b.points_balance == 50
    msgs = db.session.query(OutboxMessage).all()
    print([(m.template, [x.filename for x in m.attachments]) for m in msgs])
    print(msgs[0].attachments[0].content.decode()[:2000])
    services.change_capacity(event, 3, staff)
    moved = services.update_event(event, {**fields, "venue": "Other hall"}, staff)
    assert moved and db.session.get(Event, event.id).sequence == 1
