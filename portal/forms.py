"""Form pieces that several features share."""

import re
from datetime import date
from functools import cache

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.uploads import pictures

# C0 control characters (NUL, tab, LF, CR …) and DEL: they cannot be stored in PostgreSQL (NUL) or
# put in an email header (CR, LF), and nobody types them into a name.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The same in text of several lines: tab, LF and CR are allowed there.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,19}$")
MONTHS = [SelectChoice("", _l("Month"))] + [
    SelectChoice(str(number), name) for number, name in enumerate((
        _l("January"), _l("February"), _l("March"), _l("April"), _l("May"), _l("June"), _l("July"),
        _l("August"), _l("September"), _l("October"), _l("November"), _l("December"),
    ), start=1)
]
DAYS = [SelectChoice("", _l("Day"))] + [SelectChoice(str(d), str(d)) for d in range(1, 32)]


def one_line(_form, field):
    """WTForms validator: one line of text, no control characters (CR, LF, NUL, tab …)."""
    if isinstance(field.data, str) and CONTROL.search(field.data):
        raise ValidationError(_l("Use one line of text, without line breaks or other control characters."))


def is_one_line(field_class):
    """Text fields a person types one line into: every StringField but text areas, passwords and hidden ones."""
    return issubclass(field_class, StringField) and not issubclass(
        field_class, (TextAreaField, PasswordField, HiddenField))


# WTForms' own catalogue for each of our languages. Left to itself, Flask-WTF asks gettext for
# "zh_Hant", which falls back to WTForms' "zh" catalogue: Simplified Chinese.
WTFORMS_LOCALES = {"zh_Hant": "zh_TW"}


@cache
def _wtforms_catalogue(language):
    return support.Translations.load(messages_path(), [WTFORMS_LOCALES.get(language, language)], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' built-in messages ("This field is required.") in the language of the request."""

    def _catalogue(self):
        if not has_request_context() or not current_app.config.get("WTF_I18N_ENABLED", True):
            return None
        return _wtforms_catalogue(str(get_locale() or "en"))

    def gettext(self, string):
        catalogue = self._catalogue()
        return string if catalogue is None else catalogue.gettext(string)

    def ngettext(self, singular, plural, n):
        catalogue = self._catalogue()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ngettext(singular, plural, n)


_translations = _WTFormsTranslations()


class PortalForm(FlaskForm):
    """The base of every form in the portal: WTForms' own messages in the reader's language (zh_TW's
    catalogue for zh_Hant), and every one-line text field refuses control characters (with 422)."""

    class Meta:
        def get_translations(self, form):
            return _translations

        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            if is_one_line(unbound_field.field_class):
                field.validators = [*field.validators, one_line]
            return field


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


def language_choices():
    return [SelectChoice(code, name) for code, name in current_app.config["LANGUAGES"].items()]


PICTURE_PROBLEMS = {
    "empty": _l("The file is empty."),
    "size": _l("The picture is larger than 2 MB. Choose a smaller one."),
    "type": _l("This is not a JPEG, PNG or WebP picture."),
    "dimensions": _l("The picture must be between 16 and 8,000 pixels wide and high."),
}


class PictureUpload:
    """A form's optional `picture` (a FileField): checked by its bytes (portal/uploads); the accepted
    bytes are in `picture_bytes` (None when no picture was sent)."""

    picture_bytes = None

    def validate_picture(self, field):
        if not isinstance(field.data, FileStorage) or not field.data:
            return
        data = field.data.read()
        try:
            pictures.inspect(data)
        except pictures.PictureError as error:
            raise ValidationError(PICTURE_PROBLEMS[error.code]) from None
        self.picture_bytes = data


class ContactFields:
    """Phone, birthday (month and day, year optional) and language, as sign-up and profile use them."""

    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=32)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    birthday_month = SelectField(_l("Birthday month (optional)"), choices=MONTHS,
                                 coerce=_int_or_none)
    birthday_day = SelectField(
        _l("Birthday day (optional)"), coerce=_int_or_none,
        choices=DAYS,
    )
    birth_year = IntegerField(_l("Year of birth (optional)"),
                              validators=[Optional(), NumberRange(min=1900, max=date.today().year)],
                              render_kw={"inputmode": "numeric", "autocomplete": "bday-year"})
    language = SelectField(_l("Language"), choices=[])

    def setup_choices(self):
        self.language.choices = language_choices()

    def validate_phone(self, field):
        if field.data and not PHONE.match(field.data.strip()):
            raise ValidationError(_l("Enter a phone number with digits only, e.g. +886 912 345 678."))

    def validate_birthday_day(self, field):
        month, day = self.birthday_month.data, field.data
        if (month is None) != (day is None):
            raise ValidationError(_l("Choose both the month and the day, or neither."))
        if month and day:
            try:
                date(self.birth_year.data or 2000, month, day)  # 2000 is a leap year: 29 Feb is fine
            except ValueError:
                raise ValidationError(_l("That day does not exist in that month.")) from None
