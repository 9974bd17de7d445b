"""Surveys: what staff build (a survey, its questions and their choices), who is asked (one
invitation per survey and member, each with its own signed link), and what members answered.

A survey is a draft until its first sending; from then on its questions are frozen (answers would
lose their meaning): staff copy it to a new draft instead.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.members.models import Member, Tier
from portal.models import UTCDateTime, utcnow

SURVEY_STATUSES = ("draft", "sent", "closed")
QUESTION_KINDS = ("rating", "nps", "single_choice", "multi_choice", "text")
# A survey marked with a trigger is sent by that feature, through invite(), to each member it concerns.
TRIGGERS = ("ticket_resolved", "event_attended")
AUDIENCES = ("all", "tiers", "event")
DISPATCH_STATUSES = ("queued", "running", "done")
DEFAULT_EXPIRY_DAYS = 30
DEFAULT_REMINDER_DAYS = 3
MAX_TEXT_ANSWER = 5000


class Survey(db.Model):
    """A questionnaire: title and introduction in English and optionally Chinese, points for
    completing it, how long its links last, when the one reminder goes, and whether it is anonymous."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint(f"status IN {SURVEY_STATUSES!r}", name="status"),
        CheckConstraint(f"trigger IS NULL OR trigger IN {TRIGGERS!r}", name="trigger"),
        CheckConstraint("points >= 0", name="points"),
        CheckConstraint("expiry_days > 0", name="expiry_days"),
        CheckConstraint("reminder_days >= 0", name="reminder_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    title_zh: Mapped[str] = mapped_column(String(160), default="")
    introduction: Mapped[str] = mapped_column(Text, default="")  # plain text, line breaks kept
    introduction_zh: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    points: Mapped[int] = mapped_column(default=0)  # for completing it, once, through the ledger
    expiry_days: Mapped[int] = mapped_column(default=DEFAULT_EXPIRY_DAYS)
    reminder_days: Mapped[int] = mapped_column(default=DEFAULT_REMINDER_DAYS)  # 0: no reminder
    anonymous: Mapped[bool] = mapped_column(default=False)  # staff never see who answered
    trigger: Mapped[str | None] = mapped_column(String(32))  # sent automatically after a ticket or an event
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    first_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    questions: Mapped[list["Question"]] = relationship(
        back_populates="survey", order_by="Question.position, Question.id", cascade="all, delete-orphan")
    created_by: Mapped[StaffUser | None] = relationship()

    @property
    def frozen(self):
        """Whether its questions can no longer change (it was sent, or it is sent automatically and answered)."""
        return self.status != "draft"


class Question(db.Model):
    """One question: its kind, text in both languages, whether it must be answered, its place."""

    __tablename__ = "survey_questions"
    __table_args__ = (
        CheckConstraint(f"kind IN {QUESTION_KINDS!r}", name="kind"),
        db.Index("ix_survey_questions_survey_position", "survey_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(500))
    text_zh: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool] = mapped_column(default=True)

    survey: Mapped[Survey] = relationship(back_populates="questions")
    choices: Mapped[list["Choice"]] = relationship(
        back_populates="question", order_by="Choice.position, Choice.id", cascade="all, delete-orphan")

    @property
    def scale(self):
        """The numbers a rating (1–10) or NPS (0–10) answer may take, else None."""
        if self.kind == "rating":
            return range(1, 11)
        if self.kind == "nps":
            return range(0, 11)
        return None


class Choice(db.Model):
    """An option of a single- or multiple-choice question."""

    __tablename__ = "survey_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200))
    label_zh: Mapped[str] = mapped_column(String(200), default="")

    question: Mapped[Question] = relationship(back_populates="choices")


class Dispatch(db.Model):
    """One sending of a survey to an audience, done by a job; its counts show the progress."""

    __tablename__ = "survey_dispatches"
    __table_args__ = (
        CheckConstraint(f"audience IN {AUDIENCES!r}", name="audience"),
        CheckConstraint(f"status IN {DISPATCH_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    tier_ids: Mapped[list | None] = mapped_column(JSON(none_as_null=True))  # audience "tiers"
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))  # audience "event": its attendees
    status: Mapped[str] = mapped_column(String(16), default="queued")
    audience_size: Mapped[int] = mapped_column(default=0)  # members in the audience when it started
    left_out: Mapped[int] = mapped_column(default=0)  # of them, those who turned survey emails off
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    survey: Mapped[Survey] = relationship()
    created_by: Mapped[StaffUser | None] = relationship()


class Invitation(db.Model):
    """A member asked to answer a survey, once: its signed link names this row. `about_type` and
    `about_id` name what it asks about (a ticket, an event) for automatic surveys."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("survey_id", "member_id", "about_type", "about_id", name="uq_survey_invitations_once"),
        db.Index("ix_survey_invitations_dispatch", "dispatch_id", "emailed_at"),
        db.Index("ix_survey_invitations_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("survey_dispatches.id"))
    about_type: Mapped[str] = mapped_column(String(16), default="")  # "", "ticket", "event"
    about_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the email is stored in the outbox
    email_failed: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))

    survey: Mapped[Survey] = relationship()
    member: Mapped[Member] = relationship()
    dispatch: Mapped[Dispatch | None] = relationship()


class Response(db.Model):
    """A member's answers to a survey, stored in one transaction; the tier is kept for the results'
    filter. For an anonymous survey staff pages never show the invitation's member."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("survey_invitations.id"), unique=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    language: Mapped[str] = mapped_column(String(16), default="en")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invitation: Mapped[Invitation] = relationship()
    tier: Mapped[Tier | None] = relationship()
    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(db.Model):
    """One answer: a number (rating, NPS), a choice (one row per chosen option), or text."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint("number IS NULL OR (number >= 0 AND number <= 10)", name="number"),
        # The results page reads a survey's answers by question from this index alone (0015).
        db.Index("ix_survey_answers_question_response", "question_id", "response_id", "number", "choice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"))
    number: Mapped[int | None]
    choice_id: Mapped[int | None] = mapped_column(ForeignKey("survey_choices.id"))
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    choice: Mapped[Choice | None] = relationship()
