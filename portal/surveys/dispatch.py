"""Sending a survey to an audience by hand: who is in it (and who is left out because they turned
survey emails off), the dispatch staff start, and the jobs' work.

The dispatch job (run_dispatch) invites the members not yet invited (one invitation per survey and
member: the unique constraint), a batch per commit, then enqueues a job per batch of invitations
(email_batch) so that every worker takes some: each claims its invitations with one conditional
UPDATE, stores their emails (rendered once per language: mail.outbox.MailMerge) in one commit, and
has them sent by one job over one SMTP connection (mail.outbox.send_batch). Any of them can be
killed at any moment and run again, even twice at once: what is claimed is stored once, what is
stored is sent once. A dispatch left "running" by a lost job is run again by the reminders job
(resume_stale).
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.orm import selectinload

from jobs.queues import enqueue_after_commit
from portal.audit.services import record
from portal.events.models import Event, Registration
from portal.extensions import db
from portal.mail import outbox
from portal.mail.models import OutboxMessage
from portal.members.models import Member, Tier
from portal.models import utcnow
from portal.surveys import services
from portal.surveys.models import AUDIENCES, Dispatch, Invitation, Survey

RUN_JOB = "jobs.surveys.run_dispatch"
EMAIL_JOB = "jobs.surveys.email_dispatch_batch"
RUN_TIMEOUT = 3600  # seconds: a dispatch to every member takes longer than RQ's default 180
STALE_AFTER = timedelta(minutes=15)  # a dispatch that made no progress for this long lost its job


class DispatchRefused(Exception):
    """The survey cannot be sent by hand: `code` is "trigger" (sent automatically), "closed" or
    "no_questions"."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


# ---- the audience -------------------------------------------------------------------------------

def _in_audience(audience, tier_ids=(), event_id=None):
    """The conditions on Member of an audience: active members (of the chosen tiers; who attended the event)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    conditions = [Member.status == "active"]
    if audience == "tiers":
        conditions.append(Member.tier_id.in_(list(tier_ids or ())))
    elif audience == "event":
        conditions.append(exists().where(Registration.member_id == Member.id, Registration.event_id == event_id,
                                         Registration.checked_in_at.is_not(None)))
    return conditions


@dataclass(frozen=True)
class AudienceSize:
    """How many members an audience holds, and of them how many turned survey emails off."""

    members: int
    left_out: int

    @property
    def invited(self):
        return self.members - self.left_out


def audience_size(audience, tier_ids=(), event_id=None):
    """The members in the audience and those left out because survey emails are off (one query)."""
    members, left_out = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Member.survey_emails.is_(False), 1), else_=0)), 0))
        .select_from(Member).where(*_in_audience(audience, tier_ids, event_id))
    ).one()
    return AudienceSize(members, left_out)


def past_events(now=None, limit=50):
    """Published events that have started, newest first: those whose attendees can be asked."""
    return db.session.scalars(
        select(Event).where(Event.status == "published", Event.starts_at <= (now or utcnow()))
        .order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit)
    ).all()


def all_tiers():
    return db.session.scalars(select(Tier).order_by(Tier.rank)).all()


# ---- starting ------------------------------------------------------------------------------------

def start_dispatch(survey, audience, tier_ids=(), event_id=None, staff=None, now=None):
    """Record that `staff` send `survey` to the audience (audited) and run the job once this
    commits; the Dispatch. Raises DispatchRefused for a survey that is not sent by hand."""
    if survey.trigger:
        raise DispatchRefused("trigger")
    if survey.status == "closed":
        raise DispatchRefused("closed")
    if not survey.questions:
        raise DispatchRefused("no_questions")
    now = now or utcnow()
    tier_ids = sorted(set(tier_ids or ())) if audience == "tiers" else None
    event_id = event_id if audience == "event" else None
    size = audience_size(audience, tier_ids, event_id)
    dispatch = Dispatch(survey_id=survey.id, audience=audience, tier_ids=tier_ids, event_id=event_id,
                        status="queued", audience_size=size.members, left_out=size.left_out, created_at=now,
                        created_by_staff_id=staff.id if staff is not None else None)
    db.session.add(dispatch)
    db.session.flush()
    record("survey.send", survey, actor=staff, at=now, after={
        "audience": audience, "tiers": tier_ids, "event": event_id, "members": size.members,
        "left_out": size.left_out})
    enqueue_after_commit(RUN_JOB, dispatch.id, queue="default", timeout=RUN_TIMEOUT)
    return dispatch


# ---- the job's work --------------------------------------------------------------------------------

def _locked(dispatch_id):
    """The dispatch, its row locked until the commit (two runs of it take turns, batch by batch)."""
    return db.session.scalar(select(Dispatch).where(Dispatch.id == dispatch_id).with_for_update()
                             .execution_options(populate_existing=True))


def _invite_batch(dispatch, survey, after, size):
    """Invite the next `size` members of the audience (ids above `after`); the last id. Those
    already invited are skipped by the insert itself (ON CONFLICT DO NOTHING), not by the query: an
    anti-join on the invitations, a table that grows as the dispatch runs, let PostgreSQL pick a
    plan that scanned it once per member (20,000 members took minutes)."""
    members = db.session.scalars(
        select(Member).where(*_in_audience(dispatch.audience, dispatch.tier_ids, dispatch.event_id),
                             Member.survey_emails.is_(True), Member.id > after)
        .order_by(Member.id).limit(size)
    ).all()
    services.invite_many(members, survey, dispatch=dispatch, now=utcnow())
    return members[-1].id if members else None


def _email(invitation, now, merge=None):
    """Store the invitation's email without its own job; the outbox message, or None when the
    member turned survey emails off meanwhile (they are told in the portal only)."""
    message = services.send_invitation(invitation, now, enqueue=False, merge=merge).message
    if message is not None:
        # The invitation names its email by the moment it was stored (see _message_of_invitation).
        message.created_at = invitation.emailed_at = now
    return message


def _not_emailed(dispatch_id):
    return (Invitation.dispatch_id == dispatch_id, Invitation.emailed_at.is_(None),
            Invitation.email_failed.is_(False))


def email_batch(dispatch_id, invitation_ids):
    """Store the emails of the invitations `invitation_ids` of the dispatch not yet emailed, in one
    commit, and send them after it in one job over one SMTP connection; then mark the dispatch done
    when none of its invitations waits for its email. Returns how many emails were stored.

    The invitations are claimed by one conditional UPDATE: two jobs given the same ids (a dispatch
    run again) store each email once. A batch that fails is done again one invitation per commit."""
    now = utcnow()
    claimed = db.session.scalars(
        update(Invitation).where(Invitation.id.in_(list(invitation_ids)), *_not_emailed(dispatch_id))
        .values(emailed_at=now).returning(Invitation.id).execution_options(synchronize_session=False)).all()
    try:
        invitations = db.session.scalars(
            select(Invitation).where(Invitation.id.in_(claimed))
            .options(selectinload(Invitation.member), selectinload(Invitation.survey))
            .order_by(Invitation.id).execution_options(populate_existing=True)).all()
        merge = services.invitation_merge()
        messages = [_email(each, now, merge) for each in invitations]
        db.session.flush()  # the batch's emails and notifications in a few statements
        outbox.enqueue_batch(outbox.to_send(messages))  # one job, one SMTP connection, once this commits
        db.session.commit()
        stored = len(messages)
    except Exception:
        db.session.rollback()
        current_app.logger.warning("survey dispatch %s: a batch failed; emailing it one by one", dispatch_id)
        stored = _email_one_by_one(dispatch_id, invitation_ids)
    _finish_if_emailed(dispatch_id)
    return stored


def _email_one_by_one(dispatch_id, invitation_ids):
    """After a batch failed: the same invitations one per commit; one that fails is marked
    email_failed (counted as failed, never tried again). How many were stored."""
    stored = 0
    for invitation_id in sorted(invitation_ids):
        claimed = db.session.scalar(
            update(Invitation).where(Invitation.id == invitation_id, *_not_emailed(dispatch_id))
            .values(emailed_at=utcnow()).returning(Invitation.id).execution_options(synchronize_session=False))
        if claimed is None:
            db.session.rollback()
            continue
        invitation = db.session.get(Invitation, invitation_id, populate_existing=True)
        try:
            message = _email(invitation, invitation.emailed_at)
            db.session.flush()
            outbox.enqueue_batch(outbox.to_send([message]))
            db.session.commit()
            stored += 1
        except Exception:
            db.session.rollback()
            current_app.logger.exception("survey dispatch %s: invitation %s could not be emailed",
                                         dispatch_id, invitation_id)
            db.session.execute(update(Invitation).where(Invitation.id == invitation_id)
                               .values(email_failed=True).execution_options(synchronize_session=False))
            db.session.commit()
    return stored


def _finish_if_emailed(dispatch_id):
    """Mark the dispatch done once every invitation of it has its email (or failed to get one)."""
    dispatch = _locked(dispatch_id)
    waiting = db.session.scalar(select(exists().where(*_not_emailed(dispatch_id))))
    if dispatch.status == "running" and not waiting:
        dispatch.status, dispatch.finished_at = "done", utcnow()
    db.session.commit()


def queued_messages(dispatch_id):
    """Outbox ids of the dispatch's emails still waiting to be sent (their job may have been lost)."""
    return db.session.scalars(
        select(OutboxMessage.id).join(Invitation, _message_of_invitation())
        .where(Invitation.dispatch_id == dispatch_id, OutboxMessage.status == "queued")
        .order_by(OutboxMessage.id)).all()


def run_dispatch(dispatch_id, size=None):
    """Invite the dispatch's audience, a batch per commit, then give their emails to batch jobs
    (EMAIL_JOB: every worker takes some); safe to run again after any failure. Returns
    {"invited": …, "batches": …} (what this run did), or None when the dispatch was done."""
    size = size or current_app.config["SURVEY_BATCH_SIZE"]
    dispatch = _locked(dispatch_id)
    if dispatch is None or dispatch.status == "done":
        db.session.rollback()
        return None
    resumed = dispatch.status == "running"
    dispatch.status = "running"
    survey = db.session.get(Survey, dispatch.survey_id)
    db.session.commit()

    invited_before = _count(Invitation.dispatch_id == dispatch_id)
    after = 0
    while after is not None:
        dispatch = _locked(dispatch_id)
        after = _invite_batch(dispatch, survey, after, size)
        db.session.commit()

    waiting = db.session.scalars(select(Invitation.id).where(*_not_emailed(dispatch_id))
                                 .order_by(Invitation.id)).all()
    batches = [waiting[start:start + size] for start in range(0, len(waiting), size)]
    for batch in batches:
        enqueue_after_commit(EMAIL_JOB, dispatch_id, batch, queue="default", timeout=RUN_TIMEOUT)
    if resumed:  # a lost run may have stored emails whose batch job never got to Redis
        queued = queued_messages(dispatch_id)
        for start in range(0, len(queued), size):
            outbox.enqueue_batch(queued[start:start + size])
    db.session.commit()
    if not batches:
        _finish_if_emailed(dispatch_id)
    return {"invited": _count(Invitation.dispatch_id == dispatch_id) - invited_before, "batches": len(batches)}


def _count(*conditions):
    return db.session.scalar(select(func.count()).select_from(Invitation).where(*conditions))


def resume_stale(now=None, stale_after=STALE_AFTER):
    """Run again each dispatch not done that made no progress for `stale_after` (its job was lost:
    a dead worker, Redis down); the ids."""
    now = now or utcnow()
    last_progress = (
        select(Dispatch.id, Dispatch.created_at,
               func.max(Invitation.created_at).label("invited"), func.max(Invitation.emailed_at).label("emailed"))
        .outerjoin(Invitation, Invitation.dispatch_id == Dispatch.id)
        .where(Dispatch.status != "done").group_by(Dispatch.id, Dispatch.created_at))
    ids = []
    for dispatch_id, created, invited, emailed in db.session.execute(last_progress):
        latest = max(moment for moment in (created, invited, emailed) if moment is not None)
        if latest <= now - stale_after:
            enqueue_after_commit(RUN_JOB, dispatch_id, queue="default", timeout=RUN_TIMEOUT)
            ids.append(dispatch_id)
    return ids


# ---- progress --------------------------------------------------------------------------------------

def _message_of_invitation():
    # An invitation's email: to its member, of the invitation template, stored at its emailed_at.
    return and_(OutboxMessage.member_id == Invitation.member_id, OutboxMessage.template == "survey_invitation",
                OutboxMessage.created_at == Invitation.emailed_at)


@dataclass(frozen=True)
class Progress:
    invited: int
    emailed: int
    failed: int
    left_out: int
    done: bool


def progress(dispatch):
    """Invited (the dispatch's invitations), emailed (stored in the outbox), failed (their email
    failed or could not be made), left out (survey emails off), done."""
    invited, emailed, not_made = db.session.execute(
        select(func.count(), func.count(Invitation.emailed_at),
               func.coalesce(func.sum(case((Invitation.email_failed.is_(True), 1), else_=0)), 0))
        .where(Invitation.dispatch_id == dispatch.id)).one()
    failed = db.session.scalar(
        select(func.count()).select_from(Invitation).join(OutboxMessage, _message_of_invitation())
        .where(Invitation.dispatch_id == dispatch.id, OutboxMessage.status == "failed"))
    return Progress(invited, emailed, failed + not_made, dispatch.left_out, dispatch.status == "done")


def dispatches_of(survey):
    """The survey's dispatches, newest first."""
    return db.session.scalars(select(Dispatch).where(Dispatch.survey_id == survey.id)
                              .order_by(Dispatch.id.desc())).all()
