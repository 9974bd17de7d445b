"""Staff forms: record a purchase on the member page, upload a purchases CSV, name an API key."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal.forms import PortalForm
from portal.purchases import services


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DayField(DateField):
    """A calendar day (an <input type=date>), with a message of our own for one it cannot read."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the date as YYYY-MM-DD.")) from None


class RecordPurchaseForm(PortalForm):
    """A purchase the member made: amount, day and the receipt's reference (its idempotency key)."""

    amount = StringField(_l("Amount"), id="purchase-amount", filters=[_strip],
                         validators=[InputRequired(_l("Enter the amount."))],
                         render_kw={"autocomplete": "off", "inputmode": "decimal"})
    date = DayField(_l("Date"), id="purchase-date", default=lambda: datetime.now(services.zone()).date(),
                    validators=[InputRequired(_l("Enter the date of the purchase."))])
    reference = StringField(_l("Reference"), id="purchase-reference", filters=[_strip],
                            validators=[InputRequired(_l("Enter the reference (the receipt or order number)."))],
                            render_kw={"autocomplete": "off", "maxlength": services.MAX_REFERENCE,
                                       "spellcheck": "false"})

    def validate_amount(self, field):
        try:
            field.parsed = services.parse_amount(field.data)
        except services.PurchaseError as error:
            raise ValidationError(error.message) from None

    def validate_date(self, field):
        if field.data is None:
            return
        try:
            services.check_purchased_at(self.purchased_at())
        except services.PurchaseError as error:
            raise ValidationError(error.message) from None

    def validate_reference(self, field):
        try:
            field.data = services.clean_reference(field.data)
        except services.PurchaseError as error:
            raise ValidationError(error.message) from None

    def purchased_at(self):
        return services.start_of_day(self.date.data)

    def field_for(self, name):
        """The form field a service error names."""
        return {"amount": self.amount, "purchased_at": self.date, "reference": self.reference}.get(name, self.amount)


class UploadPurchasesForm(PortalForm):
    file = FileField(_l("CSV file"), id="purchases-file",
                     validators=[FileRequired(_l("Choose the CSV file to check."))],
                     render_kw={"accept": ".csv,text/csv"})

    def validate_file(self, field):
        name = (field.data.filename or "").lower() if field.data else ""
        if not name.endswith(".csv"):
            raise ValidationError(_l("This is not a CSV file: choose a file whose name ends in .csv."))


class ImportPurchasesForm(PortalForm):
    """The second step: import what the preview showed."""

    token = HiddenField(validators=[DataRequired()])
    fingerprint = HiddenField(validators=[DataRequired(), Length(max=64)])


class ApiKeyForm(PortalForm):
    name = StringField(_l("Name"), id="api-key-name", filters=[_strip],
                       validators=[DataRequired(_l("Name the key after the till or system that uses it.")),
                                   Length(max=80)],
                       render_kw={"autocomplete": "off"})
