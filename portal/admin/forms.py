"""Staff forms for the cross-feature pages: the audit log filter."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length

from portal.forms import PortalForm
from portal.members.search import member_number


class GetForm(PortalForm):
    """A filter read from the query string: no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False


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
