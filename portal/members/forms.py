"""The member's forms: profile, and the filter of the points history."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.forms import ContactFields, PortalForm
from portal.members.labels import POINTS_KIND_NAMES


class ProfileForm(ContactFields, PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    marketing_emails = BooleanField(_l("News and offers by email"))
    survey_emails = BooleanField(_l("Satisfaction surveys by email"))
    event_reminders = BooleanField(_l("Event reminders by email"))


class PointsFilterForm(PortalForm):
    """The kind filter above the points history: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), default="", choices=[
        SelectChoice("", _l("All kinds")), *(SelectChoice(kind, name) for kind, name in POINTS_KIND_NAMES.items()),
    ])

    def selected_kind(self):
        """The kind asked for, or None for all kinds (an unknown kind also shows all)."""
        return self.kind.data if self.validate() and self.kind.data else None
