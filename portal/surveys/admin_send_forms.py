"""The staff form that sends a survey to an audience: all active members, chosen tiers, or an event's attendees."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from portal.forms import PortalForm
from portal.i18n import localized
from portal.presentation import staff_date


class CheckboxesField(SelectMultipleField):
    """Several options as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SendForm(PortalForm):
    """Who receives the survey."""

    audience = RadioField(_l("Send to"), choices=[
        SelectChoice("all", _l("All active members")),
        SelectChoice("tiers", _l("Chosen tiers")),
        SelectChoice("event", _l("Attendees of an event")),
    ], default="all", validators=[InputRequired(_l("Choose who receives the survey."))])
    tiers = CheckboxesField(_l("Tiers"), choices=[], coerce=str, validate_choice=False)
    event = SelectField(_l("Event"), choices=[], default="", validate_choice=False)

    def setup(self, tiers, events):
        self.tiers.choices = [SelectChoice(str(tier.id), localized(tier, "name")) for tier in tiers]
        self.event.choices = [SelectChoice("", _l("Choose an event"))] + [
            SelectChoice(str(event.id), f"{localized(event, 'title')} ({staff_date(event.starts_at)})")
            for event in events]
        return self

    def validate_tiers(self, field):
        offered = {choice.value for choice in field.choices}
        if any(value not in offered for value in field.data or ()):
            raise ValidationError(_l("Choose tiers from the list."))
        if self.audience.data == "tiers" and not field.data:
            raise ValidationError(_l("Choose at least one tier."))

    def validate_event(self, field):
        offered = {choice.value for choice in field.choices if choice.value}
        if self.audience.data != "event":
            return
        if not field.data:
            raise ValidationError(_l("Choose the event whose attendees receive the survey."))
        if field.data not in offered:
            raise ValidationError(_l("Choose an event from the list."))

    def audience_args(self):
        """(audience, tier ids, event id) as the dispatch takes them."""
        audience = self.audience.data
        tier_ids = [int(value) for value in self.tiers.data or ()] if audience == "tiers" else []
        event_id = int(self.event.data) if audience == "event" and self.event.data else None
        return audience, tier_ids, event_id
