"""Surveys: inviting members (one service for every sender), the signed links, answering once,
and the one reminder. The builder's changes are in builder.py, sending to an audience in
dispatch.py, the results in results.py.

Every invitation goes through invite(): a staff sending, the ticket-resolution survey and the
after-event survey alike. One invitation per survey, member and subject (a unique constraint):
sending twice never invites twice. A member who turned survey emails off is left out.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.care.messages import Link, tell_member
from portal.extensions import db
from portal.forms import CONTROL_IN_TEXT
from portal.mail import outbox
from portal.mail.outbox import MailMerge
from portal.members import ledger
from portal.members.models import Member
from portal.models import utcnow
from portal.surveys.models import MAX_TEXT_ANSWER, Answer, Invitation, Question, Response, Survey

TOKEN_SALT = "survey-invitation"  # noqa: S105 (a signing salt, not a secret)


# ---- the signed link -----------------------------------------------------------------------------

def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def invitation_token(invitation):
    """The token of the invitation's link: it names the invitation and its survey, signed."""
    return _serializer().dumps([invitation.id, invitation.survey_id])


def invitation_for_token(token):
    """The invitation a link's token names, or None (tampered, unknown, not one of ours)."""
    try:
        invitation_id, survey_id = _serializer().loads(token or "")
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(invitation_id, int) or isinstance(invitation_id, bool):
        return None
    # With its member and survey (one query): the link's page reads both.
    invitation = db.session.get(Invitation, invitation_id,
                                options=[joinedload(Invitation.member), joinedload(Invitation.survey)])
    return invitation if invitation is not None and invitation.survey_id == survey_id else None


def link_state(invitation, now=None):
    """What the link shows: "open", "answered" or "expired" (also once the survey is closed or the
    member's account is no longer active)."""
    now = now or utcnow()
    if invitation.answered_at is not None:
        return "answered"
    if invitation.expires_at <= now or invitation.survey.status == "closed" or not invitation.member.is_active:
        return "expired"
    return "open"


def load_questions(survey):
    """Load the survey's questions in order with their choices (two queries, whatever the number of
    questions), so that survey.questions and each question.choices need none."""
    if "questions" not in survey.__dict__:
        questions = db.session.scalars(
            select(Question).where(Question.survey_id == survey.id).options(selectinload(Question.choices))
            .order_by(Question.position, Question.id)).all()
        set_committed_value(survey, "questions", questions)
    return survey.questions


# ---- inviting -----------------------------------------------------------------------------------

def _subject(about):
    """("ticket", 12) for a ticket, ("event", 7) for an event, ("", 0) for none."""
    if about is None:
        return "", 0
    return type(about).__name__.lower(), about.id


def existing_invitation(member, survey, about=None):
    about_type, about_id = _subject(about)
    return db.session.scalar(select(Invitation).where(
        Invitation.survey_id == survey.id, Invitation.member_id == member.id,
        Invitation.about_type == about_type, Invitation.about_id == about_id))


def invite(member, survey, about=None, dispatch=None, now=None, email=True):
    """Invite `member` to answer `survey` (about a ticket or an event, if given) and email them the
    link; the existing invitation when they were already invited; None when the member cannot be
    asked (not active, or survey emails turned off). `email=False` leaves the email to the caller
    (a dispatch sends them in batches: see send_invitation)."""
    now = now or utcnow()
    if not member.is_active or not member.survey_emails:
        return None
    if (found := existing_invitation(member, survey, about)) is not None:
        return found
    about_type, about_id = _subject(about)
    invitation = Invitation(survey_id=survey.id, member_id=member.id, dispatch_id=dispatch.id if dispatch else None,
                            about_type=about_type, about_id=about_id, created_at=now,
                            expires_at=now + timedelta(days=survey.expiry_days))
    try:
        with db.session.begin_nested():  # another sender may invite the same member at the same moment
            db.session.add(invitation)
    except IntegrityError:
        return existing_invitation(member, survey, about)
    if survey.status == "draft":
        survey.status, survey.first_sent_at = "sent", now  # its questions are frozen from now on
    if email:
        send_invitation(invitation, now)
    return invitation


def invite_many(members, survey, dispatch=None, now=None):
    """invite() for many members at once, without their emails (a dispatch sends them in batches):
    one INSERT that skips members already invited (the unique constraint), by invite()'s rules.
    Returns how many invitations were made."""
    now = now or utcnow()
    rows = [{"survey_id": survey.id, "member_id": member.id, "dispatch_id": dispatch.id if dispatch else None,
             "about_type": "", "about_id": 0, "created_at": now, "expires_at": now + timedelta(days=survey.expiry_days),
             "email_failed": False}
            for member in members if member.is_active and member.survey_emails]
    if not rows:
        return 0
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[db.session.get_bind().dialect.name]
    made = db.session.connection().execute(insert(Invitation.__table__).on_conflict_do_nothing(), rows).rowcount
    if survey.status == "draft":
        survey.status, survey.first_sent_at = "sent", now  # its questions are frozen from now on
    db.session.flush()
    return made


def invitation_merge(reminder=False):
    """The invitation (or reminder) email rendered once for many members (mail.outbox.MailMerge)."""
    return MailMerge("survey_reminder" if reminder else "survey_invitation", kind="survey",
                     fields=("name", "to_name", "link"))


def send_invitation(invitation, now=None, reminder=False, enqueue=True, merge=None):
    """Email the invitation's link (and make the notification); marks it emailed (or reminded).
    Returns what the member was told (care.messages.Told); `enqueue=False` leaves sending the
    stored email to the caller (a dispatch sends its emails in batches, rendered once: `merge`,
    an invitation_merge())."""
    now = now or utcnow()
    member, survey = invitation.member, invitation.survey
    told = tell_member(member, "survey_reminder" if reminder else "survey_invitation", {
        "name": member.first_name, "survey": survey, "expires_at": invitation.expires_at,
    }, kind="survey", link=Link("surveys.answer", _l("Answer the survey"), {"token": invitation_token(invitation)}),
        enqueue=enqueue, merge=merge)
    if reminder:
        invitation.reminded_at = now
    else:
        invitation.emailed_at = now
    if enqueue:  # a batch is flushed by its caller, in a few statements for all its rows
        db.session.flush()
    return told


# ---- the reminder ---------------------------------------------------------------------------------

def reminders_due(now=None):
    """Ids of invitations that were emailed at least the survey's reminder days ago, are not answered,
    expired or reminded, to members who still want survey emails."""
    now = now or utcnow()
    return db.session.scalars(
        select(Invitation.id).join(Invitation.survey).join(Member, Member.id == Invitation.member_id).where(
            Survey.reminder_days > 0, Invitation.emailed_at.is_not(None), Invitation.answered_at.is_(None),
            Invitation.reminded_at.is_(None), Invitation.expires_at > now, Member.survey_emails.is_(True),
            Member.status == "active")
        .order_by(Invitation.id)
    ).all()


def send_reminders(invitation_ids, now=None):
    """The one reminder, to each invitation still due (the batch locked in one query, then each
    checked again); their emails stored together and sent by one job over one SMTP connection.
    Returns the ids of those reminded."""
    now = now or utcnow()
    sent, messages, merge = [], [], invitation_merge(reminder=True)
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.id.in_(list(invitation_ids))).order_by(Invitation.id).with_for_update()
        .options(selectinload(Invitation.member), selectinload(Invitation.survey))
        .execution_options(populate_existing=True)).all()
    for invitation in invitations:
        if invitation.reminded_at is not None or invitation.answered_at is not None:
            continue
        member = invitation.member
        if invitation.expires_at <= now or not member.survey_emails or not member.is_active:
            continue
        waited = timedelta(days=invitation.survey.reminder_days)
        if invitation.emailed_at is None or invitation.emailed_at + waited > now:
            continue
        messages.append(send_invitation(invitation, now, reminder=True, enqueue=False, merge=merge).message)
        sent.append(invitation.id)
    db.session.flush()  # the batch's emails and notifications in a few statements
    outbox.enqueue_batch(outbox.to_send(messages))
    return sent


# ---- answering --------------------------------------------------------------------------------------

@dataclass
class Answers:
    """What a member submitted, checked: `values` {question id: number, [choice ids] or text};
    `errors` {question id: message} (lazy text)."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def _clean(value):
    """A submitted value without surrounding spaces or control characters; a line break as one
    character, as the browser counted it for maxlength (it sends CR LF)."""
    return CONTROL_IN_TEXT.sub("", value.replace("\r\n", "\n")).strip()


def read_answers(survey, form):
    """Check the submitted `form` (a MultiDict: q<id> = value, repeated for multiple choice) against
    the survey's questions; the answers and the errors by question."""
    result = Answers()
    for question in survey.questions:
        name = f"q{question.id}"
        raw = [value for value in map(_clean, form.getlist(name)) if value]
        if not raw:
            if question.required:
                result.errors[question.id] = _l("Please answer this question.")
            continue
        if question.scale is not None:
            try:
                number = int(raw[0])
            except ValueError:
                number = None
            if len(raw) != 1 or number not in question.scale:
                result.errors[question.id] = _l("Choose a number from %(low)s to %(high)s.",
                                                low=question.scale.start, high=question.scale.stop - 1)
                continue
            result.values[question.id] = number
        elif question.kind in ("single_choice", "multi_choice"):
            offered = {str(choice.id): choice.id for choice in question.choices}
            if any(value not in offered for value in raw) or (question.kind == "single_choice" and len(raw) > 1):
                result.errors[question.id] = _l("Choose from the options offered.")
                continue
            result.values[question.id] = sorted({offered[value] for value in raw})
        else:
            text = raw[0]
            if len(raw) > 1 or len(text) > MAX_TEXT_ANSWER:
                result.errors[question.id] = _l("Keep your answer under %(count)s characters.",
                                                count=f"{MAX_TEXT_ANSWER:,}")
                continue
            result.values[question.id] = text
    return result


class AlreadyAnswered(Exception):
    """The invitation was answered (in another tab, a moment ago): nothing more is stored."""


def submit(invitation, answers, language="en", now=None):
    """Store the answers in one go, mark the invitation answered (once: a conditional UPDATE) and
    award the survey's points once through the ledger. Raises AlreadyAnswered."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.answered_at.is_(None))
        .values(answered_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise AlreadyAnswered()
    db.session.expire(invitation, ["answered_at"])
    survey, member = invitation.survey, invitation.member
    response = Response(survey_id=survey.id, invitation_id=invitation.id, tier_id=member.tier_id,
                        language=language, submitted_at=now)
    for question in survey.questions:
        value = answers.values.get(question.id)
        if value is None:
            continue
        if question.scale is not None:
            response.answers.append(Answer(question_id=question.id, number=value))
        elif isinstance(value, list):
            response.answers.extend(Answer(question_id=question.id, choice_id=choice) for choice in value)
        else:
            response.answers.append(Answer(question_id=question.id, text=value))
    db.session.add(response)
    db.session.flush()
    if survey.points > 0:
        entry = ledger.earn(member, survey.points, "survey", f"survey:{invitation.id}", reason_code="survey",
                            reason_params={"survey_id": survey.id}, at=now)
        invitation.points_entry_id = entry.id
    db.session.flush()
    return response


def mark_opened(invitation, now=None):
    """Record that the link was opened (the first time only)."""
    db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.opened_at.is_(None))
        .values(opened_at=now or utcnow()).execution_options(synchronize_session=False))
    db.session.expire(invitation, ["opened_at"])


def open_invitations(member, now=None):
    """The member's invitations they can still answer, newest first, with their surveys."""
    now = now or utcnow()
    return db.session.scalars(
        select(Invitation).join(Invitation.survey).options(contains_eager(Invitation.survey))
        .where(Invitation.member_id == member.id, Invitation.answered_at.is_(None), Invitation.expires_at > now,
               Survey.status != "closed")
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
