"""Rewards forms: the member's redeem confirmation, the staff's reward form and voucher desk."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from portal import dates
from portal.forms import PictureUpload, PortalForm
from portal.i18n import localized
from portal.uploads import pictures

MAX_COST = 10_000_000
MAX_STOCK = 1_000_000
def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RedeemForm(PortalForm):
    """The confirmation step: its key, made when the step is shown, makes a repeated POST redeem once."""

    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def key_is_valid(self):
        """False for a malformed POST: no key, or not one the confirmation step handed out (the
        default would otherwise make up a new key, and a replay would redeem again)."""
        if not self.key.raw_data:
            return False
        try:
            return str(uuid.UUID(self.key.data or "")) == self.key.data
        except ValueError:
            return False


class RewardForm(PictureUpload, PortalForm):
    """A reward's details; NewRewardForm and EditRewardForm add the stock each one sets."""

    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Name in Chinese (optional)"), filters=[_strip], validators=[Length(max=120)])
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Length(max=2000)])
    description_zh = TextAreaField(_l("Description in Chinese (optional)"), filters=[_strip],
                                   validators=[Length(max=2000)])
    points_cost = IntegerField(_l("Points cost"), validators=[
        InputRequired(_l("Enter the points it costs.")),
        NumberRange(min=1, max=MAX_COST, message=_l("Enter a whole number of points from 1 to 10,000,000.")),
    ], render_kw={"inputmode": "numeric"})
    min_tier = SelectField(_l("Minimum tier"), choices=[], default="")
    available_from = DateField(_l("Available from (optional)"), validators=[Optional()])
    available_until = DateField(_l("Available until (optional)"), validators=[Optional()])
    picture = FileField(_l("Picture (optional)"), render_kw={"accept": pictures.ACCEPT})

    def setup(self, tiers, everyone):
        self.tiers = {str(tier.id): tier for tier in tiers}
        self.min_tier.choices = [("", everyone)] + [(str(t.id), localized(t, "name")) for t in tiers]
        return self

    def fill_from(self, reward):
        """Show a reward's stored values (dates in the programme's time zone)."""
        self.min_tier.data = str(reward.min_tier_id) if reward.min_tier_id else ""
        self.available_from.data = dates.day_of(reward.available_from)
        self.available_until.data = dates.day_of(reward.available_until, last=True)
        return self

    def validate_min_tier(self, field):
        if field.data and field.data not in self.tiers:
            raise ValidationError(_l("Choose a tier from the list."))

    def validate_available_until(self, field):
        if field.data and self.available_from.data and field.data < self.available_from.data:
            raise ValidationError(_l("The last day cannot be before the first."))

    def fields(self):
        """The values for services.create_reward / update_reward (REWARD_FIELDS)."""
        return {
            "name": self.name.data, "name_zh": self.name_zh.data or "",
            "description": self.description.data or "", "description_zh": self.description_zh.data or "",
            "points_cost": self.points_cost.data,
            "min_tier_id": int(self.min_tier.data) if self.min_tier.data else None,
            "available_from": dates.start_of_day(self.available_from.data),
            "available_until": dates.end_of_day(self.available_until.data),
        }


def _units_unless_unlimited(form, field):
    # Before Optional(), which would end the checks for an empty field.
    empty = not field.raw_data or not str(field.raw_data[0]).strip()
    if empty and not form.unlimited.data:
        field.errors[:] = []  # not also "Not a valid integer value"
        raise StopValidation(_l("Enter how many are in stock, or tick “Unlimited stock”."))


class NewRewardForm(RewardForm):
    """A new reward starts with a number of units, or unlimited."""

    unlimited = BooleanField(_l("Unlimited stock"))
    stock = IntegerField(_l("Units in stock"), validators=[
        _units_unless_unlimited, Optional(),
        NumberRange(min=0, max=MAX_STOCK, message=_l("Enter a number from 0 to 1,000,000.")),
    ], render_kw={"inputmode": "numeric"})

    def first_stock(self):
        """The stock to create the reward with: None for unlimited."""
        return None if self.unlimited.data else self.stock.data


class EditRewardForm(RewardForm):
    """A saved reward's stock changes by a number of units, so that redemptions made while the
    form was open are kept; it never takes the number the form showed."""

    unlimited = BooleanField(_l("Unlimited stock"))
    # type=number, without inputmode=numeric: phone keypads for that have no minus sign.
    stock_change = IntegerField(_l("Change stock by"), validators=[
        Optional(), NumberRange(min=-MAX_STOCK, max=MAX_STOCK,
                                message=_l("Enter a whole number from −1,000,000 to 1,000,000.")),
    ])

    def fill_from(self, reward):
        self.unlimited.data = reward.stock is None
        return super().fill_from(reward)

    def validate_stock_change(self, field):
        if field.data and self.unlimited.data:
            raise ValidationError(_l("Untick “Unlimited stock” to change the number of units."))


class VoucherSearchForm(PortalForm):
    """Find a voucher: typed, or typed by a scanner (which ends with Enter and submits)."""

    class Meta:
        csrf = False

    code = SearchField(_l("Voucher code"), filters=[_strip], render_kw={
        "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "maxlength": 40,
        "autofocus": True,
    })


class UseVoucherForm(PortalForm):
    code = HiddenField(validators=[DataRequired()])


class CancelRedemptionForm(PortalForm):
    reason = StringField(_l("Reason for cancelling"), filters=[_strip], validators=[
        DataRequired(_l("Give a reason: the member is told it and it is kept in the audit log.")),
        Length(max=500),
    ])
