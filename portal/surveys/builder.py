"""The survey builder: a survey's settings, its questions and their choices, their order, and
copying a sent survey to a new draft. Every change is audited.

Once a survey is sent its questions are frozen (answers would lose their meaning): every change to
them raises SurveyFrozen, and staff copy the survey to a new draft instead.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit.services import record
from portal.extensions import db
from portal.surveys.models import QUESTION_KINDS, TRIGGERS, Choice, Invitation, Question, Survey

# What the survey form sets by assignment.
SURVEY_FIELDS = ("title", "title_zh", "introduction", "introduction_zh", "points", "expiry_days", "reminder_days",
                 "anonymous", "trigger")
CHOICE_KINDS = ("single_choice", "multi_choice")
MIN_CHOICES = 2


class BuilderError(Exception):
    """A change the builder does not make; `message` (lazy text) says why, for the staff page."""

    message = _l("This change cannot be made.")

    def __init__(self, message=None):
        super().__init__(self.message if message is None else message)  # lazy text: read in the reader's language
        if message is not None:
            self.message = message


class SurveyFrozen(BuilderError):
    """The survey was sent: its questions can no longer change."""

    message = _l("This survey has been sent, so its questions can no longer change. Copy it to a new draft "
                 "to change them.")


# ---- reading --------------------------------------------------------------------------------

def all_surveys():
    """Every survey, drafts first, then the latest sent first."""
    return db.session.scalars(select(Survey).order_by(
        Survey.status != "draft", Survey.first_sent_at.desc(), Survey.id.desc())).all()


def counts_for(surveys):
    """{survey id: (invited, answered)} for `surveys`, in one grouped query."""
    ids = [survey.id for survey in surveys]
    counts = {survey_id: (0, 0) for survey_id in ids}
    if ids:
        rows = db.session.execute(
            select(Invitation.survey_id, func.count(Invitation.id), func.count(Invitation.answered_at))
            .where(Invitation.survey_id.in_(ids)).group_by(Invitation.survey_id))
        counts.update({survey_id: (invited, answered) for survey_id, invited, answered in rows})
    return counts


# ---- the survey -------------------------------------------------------------------------------

def _state(survey):
    return {field: getattr(survey, field) for field in SURVEY_FIELDS}


def _check_fields(fields):
    if not (fields.get("title") or "").strip():
        raise BuilderError(_l("Give the survey a title."))
    if fields.get("trigger") not in (None, *TRIGGERS):
        raise BuilderError(_l("Choose when the survey is sent automatically from the list."))
    if fields["points"] < 0 or fields["expiry_days"] < 1 or fields["reminder_days"] < 0:
        raise BuilderError(_l("Points and reminder days cannot be negative, and links last at least a day."))


def create_survey(fields, staff):
    """A new draft survey from `fields` (SURVEY_FIELDS); audited."""
    _check_fields(fields)
    survey = Survey(status="draft", created_by_staff_id=staff.id,
                    **{field: fields[field] for field in SURVEY_FIELDS if field in fields})
    db.session.add(survey)
    db.session.flush()
    record("survey.create", survey, actor=staff, after=_state(survey))
    return survey


def update_survey(survey, fields, staff):
    """Change the survey's settings (SURVEY_FIELDS); audited with what changed. A sent survey keeps
    its anonymity: members answered under that promise (raises SurveyFrozen)."""
    _check_fields(fields)
    if survey.frozen and bool(fields.get("anonymous", survey.anonymous)) != survey.anonymous:
        raise SurveyFrozen(_l("This survey has been sent: whether it is anonymous can no longer change."))
    before = _state(survey)
    for field in SURVEY_FIELDS:
        if field in fields:
            setattr(survey, field, fields[field])
    db.session.flush()
    after = _state(survey)
    changed = [field for field in SURVEY_FIELDS if before[field] != after[field]]
    if changed:
        record("survey.update", survey, actor=staff, before={f: before[f] for f in changed},
               after={f: after[f] for f in changed})
    return survey


# ---- questions ----------------------------------------------------------------------------------

def _unfrozen(survey):
    if survey.frozen:
        raise SurveyFrozen()


def _check_question(kind, text, choices):
    if kind not in QUESTION_KINDS:
        raise BuilderError(_l("Choose a kind of question from the list."))
    if not (text or "").strip():
        raise BuilderError(_l("Write the question."))
    if kind in CHOICE_KINDS and len(choices) < MIN_CHOICES:
        raise BuilderError(_l("A choice question needs at least two choices."))


def _choices(kind, choices):
    """Choice rows for (label, label_zh) pairs; none for a question that is not a choice."""
    if kind not in CHOICE_KINDS:
        return []
    return [Choice(label=label, label_zh=label_zh or "", position=n) for n, (label, label_zh) in
            enumerate(choices, start=1)]


def _question_state(question):
    return {"kind": question.kind, "text": question.text, "text_zh": question.text_zh,
            "required": question.required, "position": question.position,
            "choices": " · ".join(choice.label for choice in question.choices)}


def _renumber(survey):
    for position, question in enumerate(survey.questions, start=1):
        question.position = position


def add_question(survey, kind, text, staff, text_zh="", required=True, choices=()):
    """Add a question at the end of a draft survey; `choices` are (label, label_zh) pairs for a
    choice question (at least two). Audited. Raises SurveyFrozen, BuilderError."""
    _unfrozen(survey)
    choices = list(choices)
    _check_question(kind, text, choices)
    _renumber(survey)
    question = Question(kind=kind, text=text.strip(), text_zh=(text_zh or "").strip(), required=required,
                        position=len(survey.questions) + 1, choices=_choices(kind, choices))
    survey.questions.append(question)
    db.session.flush()
    record("survey.question_add", survey, actor=staff, after=_question_state(question))
    return question


def update_question(question, kind, text, staff, text_zh="", required=True, choices=()):
    """Change a draft survey's question (its choices are replaced). Audited. Raises SurveyFrozen, BuilderError."""
    survey = question.survey
    _unfrozen(survey)
    choices = list(choices)
    _check_question(kind, text, choices)
    before = _question_state(question)
    question.kind, question.text, question.text_zh, question.required = kind, text.strip(), \
        (text_zh or "").strip(), required
    question.choices = _choices(kind, choices)  # a draft has no answers that could name the old ones
    db.session.flush()
    record("survey.question_update", survey, actor=staff, before=before, after=_question_state(question))
    return question


def delete_question(question, staff):
    """Remove a draft survey's question; the others close up. Audited. Raises SurveyFrozen."""
    survey = question.survey
    _unfrozen(survey)
    before = _question_state(question)
    survey.questions.remove(question)  # delete-orphan: the question and its choices go
    db.session.flush()
    _renumber(survey)
    db.session.flush()
    record("survey.question_delete", survey, actor=staff, before=before)


def move_question(question, direction, staff):
    """Swap a draft survey's question with the one above ("up") or below ("down"); False when it is
    already first or last (nothing changes). Audited. Raises SurveyFrozen, BuilderError."""
    survey = question.survey
    _unfrozen(survey)
    if direction not in ("up", "down"):
        raise BuilderError(_l("Move a question up or down."))
    _renumber(survey)
    questions = list(survey.questions)
    index = questions.index(question)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(questions):
        return False
    neighbour = questions[other]
    question.position, neighbour.position = neighbour.position, question.position
    db.session.flush()
    db.session.expire(survey, ["questions"])  # read again in the new order
    record("survey.question_move", survey, actor=staff, after={"text": question.text, "position": question.position})
    return True


# ---- copying ------------------------------------------------------------------------------------

def copy_to_draft(survey, staff):
    """A new draft with the survey's settings, questions and choices, to change and send anew.
    It is not sent automatically until staff choose a trigger for it (two surveys would go out
    after each ticket or event). Audited."""
    copy = Survey(status="draft", trigger=None, copied_from_id=survey.id, created_by_staff_id=staff.id,
                  **{field: getattr(survey, field) for field in SURVEY_FIELDS if field != "trigger"})
    for question in survey.questions:
        copy.questions.append(Question(
            kind=question.kind, text=question.text, text_zh=question.text_zh, required=question.required,
            position=question.position,
            choices=[Choice(label=c.label, label_zh=c.label_zh, position=c.position) for c in question.choices]))
    db.session.add(copy)
    db.session.flush()
    record("survey.copy", copy, actor=staff, after={"copied_from": survey.id, "title": copy.title})
    return copy
