"""Staff forms: member search, points adjustment, tier change, audit log filter."""

import re
import uuid

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, HiddenField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import TextInput

from portal.forms import PortalForm
from portal.i18n import localized
from portal.members.search import MAX_QUERY, member_number

WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")


def tier_choices(tiers, everything=None):
    """(code, name) pairs for a tier select, lowest tier first, after an "all" choice if given."""
    choices = [("", everything)] if everything else []
    return choices + [(tier.code, localized(tier, "name")) for tier in tiers]


class GetForm(PortalForm):
    """A filter read from the query string: no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False


class MemberSearchForm(GetForm):
    q = SearchField(_l("Search members"),
                    render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": MAX_QUERY})
    tier = SelectField(_l("Tier"), choices=[], default="")

    def setup(self, tiers):
        self.tier.choices = tier_choices(tiers, everything=_("All tiers"))
        return self

    def selected_tier(self):
        """The tier code asked for, or "" for every tier (an unknown code also means every tier)."""
        return self.tier.data if self.tier.data in {code for code, _name in self.tier.choices} else ""


class PointsField(Field):
    """A whole number of points, + or −; "1,000" and " -200 " are read as numbers too."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = re.sub(r"[,\s]", "", valuelist[0])
        if not WHOLE_NUMBER.match(text):
            self.data = None
            raise ValueError(_("Enter a whole number of points, such as 500 or -200."))
        self.data = int(text)


class AdjustPointsForm(PortalForm):
    """Add (+) or take away (−) points by hand; `key` makes a repeated submission count once."""

    points = PointsField(_l("Points"), id="adjust-points",
                         validators=[InputRequired(_l("Enter the number of points."))],
                         render_kw={"autocomplete": "off"})
    reason = StringField(_l("Reason"), id="adjust-reason", filters=[lambda s: s.strip() if s else s],
                         validators=[DataRequired(_l("Give a reason: it is kept in the audit log.")),
                                     Length(max=500)])
    key = HiddenField(id="adjust-key", default=lambda: str(uuid.uuid4()))

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def key_is_valid(self):
        """False for a malformed submission: the key is not one this form handed out."""
        try:
            return str(uuid.UUID(self.key.data or "")) == self.key.data
        except ValueError:
            return False

    def validate_points(self, field):
        if field.data is None:
            return
        limit = current_app.config["MAX_ADJUSTMENT"]
        if field.data == 0:
            raise ValidationError(_("Enter a number other than 0."))
        if abs(field.data) > limit:
            raise ValidationError(_("An adjustment can be at most %(limit)s points either way.",
                                    limit=format_number(limit)))
        if field.data < 0 and -field.data > self.member.points_balance:
            raise ValidationError(not_enough(self.member.points_balance))


def not_enough(balance):
    return _("The member has %(balance)s points: an adjustment cannot take away more than that.",
             balance=format_number(balance))


class ChangeTierForm(PortalForm):
    """Move a member to another tier by hand, with a reason."""

    tier = SelectField(_l("Tier"), id="new-tier", choices=[])
    reason = StringField(_l("Reason"), id="tier-reason", filters=[lambda s: s.strip() if s else s],
                         validators=[DataRequired(_l("Give a reason: it is kept in the audit log.")),
                                     Length(max=500)])

    def __init__(self, *args, member, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.tiers = {tier.code: tier for tier in tiers}
        self.tier.choices = tier_choices(tiers)
        if self.tier.data is None:
            self.tier.data = member.tier.code

    def chosen_tier(self):
        return self.tiers[self.tier.data]

    def validate_tier(self, field):
        if field.data == self.member.tier.code:
            raise ValidationError(_("The member is already in this tier: choose another."))


class AuditFilterForm(GetForm):
    action = SelectField(_l("Action"), choices=[], default="")
    member = StringField(_l("Member number"), validators=[Length(max=20)],
                         render_kw={"autocomplete": "off", "spellcheck": "false"})

    def setup(self, actions, action_names):
        self.action.choices = [("", _("All actions"))] + [
            (action, action_names.get(action, action)) for action in actions
        ]
        return self

    def selected_action(self):
        return self.action.data if self.action.data in {code for code, _name in self.action.choices} else ""

    def selected_member_id(self):
        """The member id the filter names, None for every member; ValueError for a malformed number."""
        text = (self.member.data or "").strip()
        if not text:
            return None
        number = member_number(text)
        if number is None:
            raise ValueError(text)
        return number
