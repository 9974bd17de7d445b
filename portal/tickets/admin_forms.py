"""Tickets forms for staff: the reply box (a reply or an internal note), a status change, an assignment."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.forms import PortalForm
from portal.tickets.models import MAX_BODY

MAX_VERSION = 2**31 - 1


def _version_field():
    """The version of the ticket the staff user saw when the form was written (hidden)."""
    return IntegerField(_l("Ticket version"), validators=[InputRequired(), NumberRange(min=0, max=MAX_VERSION)])


class ReplyForm(PortalForm):
    """A reply to the member (emailed) or, with the "Add internal note" button, a note for staff only."""

    body = TextAreaField(_l("Message"), validators=[
        DataRequired(_l("Write a message of 1 to 10,000 characters.")),
        Length(max=MAX_BODY, message=_l("Write a message of 1 to 10,000 characters."))])
    seen_version = _version_field()
    action = HiddenField(_l("Send as"), default="reply")

    @property
    def internal(self):
        return self.action.data == "note"


class StatusForm(PortalForm):
    """A move of the ticket's status (the button pressed names the new status)."""

    to = HiddenField(_l("New status"), validators=[DataRequired(_l("Choose a status."))])
    seen_version = _version_field()


class AssignForm(PortalForm):
    """Give the ticket to a colleague (or to nobody); the "Assign to me" button sends `me`."""

    assignee = SelectField(_l("Assign to"), choices=[], default="", validate_choice=False)
    me = HiddenField(_l("Assign to me"))

    def setup(self, staff):
        self.assignee.choices = [SelectChoice("", _l("Nobody"))] + [
            SelectChoice(str(person.id), person.name) for person in staff]
        return self

    def chosen_id(self):
        """The id of the staff user chosen, 0 for nobody, None for a value that is no choice."""
        value = (self.assignee.data or "").strip()
        if not value:
            return 0
        offered = {choice[0] if isinstance(choice, tuple) else choice.value for choice in self.assignee.choices}
        return int(value) if value in offered and value.isdigit() else None
