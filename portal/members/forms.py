"""The member's profile form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from portal.forms import ContactFields


class ProfileForm(ContactFields, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    marketing_emails = BooleanField(_l("News and offers by email"))
    survey_emails = BooleanField(_l("Satisfaction surveys by email"))
    event_reminders = BooleanField(_l("Event reminders by email"))
