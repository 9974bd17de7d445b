"""Tickets forms for members: a new ticket, a reply (each with up to 3 pictures) and "Confirm resolution".

The limits (kinds, lengths, pictures checked by their bytes) are the services' (TicketRefused): the
fields here only carry what the member sent, and the view shows each refusal next to its field."""

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField

from portal.forms import PortalForm
from portal.presentation import TICKET_KIND_NAMES
from portal.tickets.models import MAX_BODY, MAX_SUBJECT, TICKET_KINDS

PICTURES_ACCEPT = "image/jpeg,image/png,image/webp"


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return -1  # not one of the member's: the service refuses it


def _pictures_field():
    return MultipleFileField(_l("Pictures (optional, up to 3)"),
                             render_kw={"accept": PICTURES_ACCEPT, "multiple": True})


class NewTicketForm(PortalForm):
    kind = SelectField(_l("What is it about?"), choices=[], validate_choice=False)
    subject = StringField(_l("Subject"), render_kw={"maxlength": MAX_SUBJECT, "autocomplete": "off"})
    body = TextAreaField(_l("Message"), render_kw={"maxlength": MAX_BODY, "rows": 6})
    event = SelectField(_l("Related event (optional)"), choices=[], coerce=_int_or_none, validate_choice=False)
    redemption = SelectField(_l("Related voucher (optional)"), choices=[], coerce=_int_or_none,
                             validate_choice=False)
    files = _pictures_field()

    def setup_choices(self, events=(), redemptions=()):
        """`events`: (id, name) of the member's registrations; `redemptions`: (id, name) of their vouchers."""
        self.kind.choices = [(kind, TICKET_KIND_NAMES[kind]) for kind in TICKET_KINDS]
        self.event.choices = [("", _l("None"))] + list(events)
        self.redemption.choices = [("", _l("None"))] + list(redemptions)


class ReplyForm(PortalForm):
    body = TextAreaField(_l("Your reply"), render_kw={"maxlength": MAX_BODY, "rows": 4})
    files = _pictures_field()


class ConfirmForm(PortalForm):
    """Confirm a resolved ticket is done: the ticket is in the URL, the member is the one logged in."""
