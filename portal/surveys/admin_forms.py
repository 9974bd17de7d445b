"""Survey builder forms for staff: the survey's settings, a question, moving a question."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.forms import PortalForm
from portal.surveys.builder import CHOICE_KINDS
from portal.surveys.models import DEFAULT_EXPIRY_DAYS, DEFAULT_REMINDER_DAYS

MAX_POINTS = 1_000_000
MAX_DAYS = 365
MAX_CHOICES = 30
MAX_CHOICE_LENGTH = 200

QUESTION_KIND_NAMES = {
    "rating": _l("Rating from 1 to 10"),
    "nps": _l("Recommendation from 0 to 10 (NPS)"),
    "single_choice": _l("One choice"),
    "multi_choice": _l("Several choices"),
    "text": _l("Free text"),
}
TRIGGER_NAMES = {
    "": _l("None: staff send it"),
    "ticket_resolved": _l("After a ticket is resolved"),
    "event_attended": _l("After event attendance"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SurveyForm(PortalForm):
    """A survey's title and introduction in both languages, points, how long links last, the
    reminder, anonymity, and whether it is sent automatically."""

    title = StringField(_l("Title"), filters=[_strip], validators=[
        DataRequired(_l("Give the survey a title.")), Length(max=160)])
    title_zh = StringField(_l("Title in Chinese (optional)"), filters=[_strip], validators=[Length(max=160)])
    introduction = TextAreaField(_l("Introduction (optional)"), filters=[_strip], validators=[Length(max=5000)])
    introduction_zh = TextAreaField(_l("Introduction in Chinese (optional)"), filters=[_strip],
                                    validators=[Length(max=5000)])
    points = IntegerField(_l("Points for completing it"), default=0, validators=[
        InputRequired(_l("Enter the points for completing it (0 for none).")),
        NumberRange(min=0, max=MAX_POINTS, message=_l("Enter a whole number from 0 to 1,000,000."))],
        render_kw={"inputmode": "numeric"})
    expiry_days = IntegerField(_l("Links work for (days)"), default=DEFAULT_EXPIRY_DAYS, validators=[
        InputRequired(_l("Enter how many days the links work.")),
        NumberRange(min=1, max=MAX_DAYS, message=_l("Enter a whole number of days from 1 to 365."))],
        render_kw={"inputmode": "numeric"})
    reminder_days = IntegerField(_l("Reminder after (days)"), default=DEFAULT_REMINDER_DAYS, validators=[
        InputRequired(_l("Enter after how many days the reminder goes (0 for no reminder).")),
        NumberRange(min=0, max=MAX_DAYS, message=_l("Enter a whole number of days from 0 to 365."))],
        render_kw={"inputmode": "numeric"})
    anonymous = BooleanField(_l("Anonymous: staff never see who answered"))
    trigger = RadioField(_l("Sent automatically"), default="",
                         choices=[SelectChoice(code, name) for code, name in TRIGGER_NAMES.items()])

    def validate_reminder_days(self, field):
        expiry = self.expiry_days.data
        if field.data and isinstance(expiry, int) and field.data >= expiry:
            raise ValidationError(_l("The reminder must go before the links stop working."))

    def fields(self):
        """The values for builder.create_survey / update_survey."""
        return {"title": self.title.data, "title_zh": self.title_zh.data or "",
                "introduction": self.introduction.data or "", "introduction_zh": self.introduction_zh.data or "",
                "points": self.points.data, "expiry_days": self.expiry_days.data,
                "reminder_days": self.reminder_days.data, "anonymous": bool(self.anonymous.data),
                "trigger": self.trigger.data or None}


class QuestionForm(PortalForm):
    """One question: its kind, text in both languages, whether it must be answered, and for a
    choice question its choices, one a line ("English | 中文")."""

    kind = SelectField(_l("Kind"), default="rating",
                       choices=[SelectChoice(code, name) for code, name in QUESTION_KIND_NAMES.items()])
    text = StringField(_l("Question"), filters=[_strip], validators=[
        DataRequired(_l("Write the question.")), Length(max=500)])
    text_zh = StringField(_l("Question in Chinese (optional)"), filters=[_strip], validators=[Length(max=500)])
    required = BooleanField(_l("An answer is required"), default=True)
    choices = TextAreaField(_l("Choices"), filters=[_strip], validators=[Length(max=10000)])

    def parsed_choices(self):
        """The (label, label_zh) pairs typed, one a line, in order; blank lines left out."""
        pairs = []
        for line in (self.choices.data or "").splitlines():
            label, _bar, label_zh = line.partition("|")
            if label.strip() or label_zh.strip():
                pairs.append((label.strip(), label_zh.strip()))
        return pairs

    def validate_choices(self, field):
        if self.kind.data not in CHOICE_KINDS:
            return
        pairs = self.parsed_choices()
        if len(pairs) < 2:
            raise ValidationError(_l("Give at least two choices, one a line."))
        if len(pairs) > MAX_CHOICES:
            raise ValidationError(_l("Give at most 30 choices."))
        if any(not label for label, _zh in pairs):
            raise ValidationError(_l("Each choice needs its English text before the “|”."))
        if any(len(label) > MAX_CHOICE_LENGTH or len(zh) > MAX_CHOICE_LENGTH for label, zh in pairs):
            raise ValidationError(_l("Keep each choice under 200 characters."))
        if len({label.casefold() for label, _zh in pairs}) != len(pairs):
            raise ValidationError(_l("Each choice must be different."))

    def fill_from(self, question):
        """Show a saved question's values."""
        self.choices.data = "\n".join(f"{c.label} | {c.label_zh}" if c.label_zh else c.label
                                      for c in question.choices)
        return self

    def values(self):
        """The keyword arguments of builder.add_question / update_question."""
        return {"kind": self.kind.data, "text": self.text.data, "text_zh": self.text_zh.data or "",
                "required": bool(self.required.data), "choices": self.parsed_choices()}


class MoveQuestionForm(PortalForm):
    """The "Move up" and "Move down" buttons: each posts its direction."""

    direction = SelectField(_l("Direction"), choices=[SelectChoice("up", _l("Move up")),
                                                      SelectChoice("down", _l("Move down"))],
                            validators=[InputRequired(_l("Move a question up or down."))])
