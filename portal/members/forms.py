"""The member's forms: sign-up, profile, and the filter of the points history."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from portal.auth.forms import check_password
from portal.forms import ContactFields, PortalForm
from portal.presentation import POINTS_KIND_NAMES


class SignupForm(ContactFields, PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False),
                                                Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), check_password],
                             render_kw={"autocomplete": "new-password", "minlength": 8})


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
