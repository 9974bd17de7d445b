"""Events forms for staff: the event itself, its capacity, cancelling it or a registration, the check-in desk."""

from datetime import UTC
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal import dates
from portal.events.models import DEFAULT_CANCEL_CUTOFF_HOURS
from portal.forms import PictureUpload, PortalForm
from portal.i18n import localized
from portal.models import utcnow
from portal.uploads import pictures

MAX_CAPACITY = 100_000
MAX_POINTS = 1_000_000
MAX_CUTOFF_HOURS = 24 * 30
# The browser's datetime-local value first (it is what the field shows); the others are accepted too.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
BAD_TIME = _l("Enter a date and time, such as 2027-03-14 19:00.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def existing_local_time(_form, field):
    """A local time the clocks skip (when summer time begins) is no moment at all: refused, rather
    than stored as another time than the one shown. A time that happens twice is its first."""
    moment = field.data
    if moment is not None:
        back = moment.astimezone(UTC).astimezone(moment.tzinfo)
        if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
            raise ValidationError(_l("This time does not exist in %(zone)s: the clocks skip it.",
                                     zone=dates.zone_name()))


def _local_time(label, *validators):
    """A date and time typed in the programme's time zone (the field's data is aware)."""
    return DateTimeLocalField(label, validators=[*validators, existing_local_time], format=LOCAL_FORMATS,
                              tz=dates.programme_zone, invalid_value_message=BAD_TIME)


def _utc(moment):
    return moment.astimezone(UTC) if moment is not None else None


def is_web_address(text):
    """Whether `text` is an http(s) URL with a host (nothing else is put behind an "Join online" link)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in text


class EventForm(PictureUpload, PortalForm):
    """An event's details, time and place; NewEventForm adds the capacity (later changed on its own)."""

    title = StringField(_l("Title"), filters=[_strip], validators=[
        DataRequired(_l("Give the event a title.")), Length(max=120)])
    title_zh = StringField(_l("Title in Chinese (optional)"), filters=[_strip], validators=[Length(max=120)])
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Length(max=5000)])
    description_zh = TextAreaField(_l("Description in Chinese (optional)"), filters=[_strip],
                                   validators=[Length(max=5000)])
    place = RadioField(_l("Where"), choices=[SelectChoice("offline", _l("At a venue")),
                                             SelectChoice("online", _l("Online"))], default="offline",
                       validators=[InputRequired(_l("Choose online or at a venue."))])
    venue = StringField(_l("Venue"), filters=[_strip], validators=[Length(max=120)])
    address = StringField(_l("Address (optional)"), filters=[_strip], validators=[Length(max=255)])
    online_url = StringField(_l("Online link"), filters=[_strip], validators=[Length(max=500)],
                             render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"})
    starts_at = _local_time(_l("Starts"), InputRequired(_l("Enter when the event starts.")))
    ends_at = _local_time(_l("Ends"), InputRequired(_l("Enter when the event ends.")))
    registration_opens_at = _local_time(_l("Registration opens (optional)"), Optional())
    registration_closes_at = _local_time(_l("Registration closes (optional)"), Optional())
    min_tier = SelectField(_l("Minimum tier"), choices=[], default="")
    attendance_points = IntegerField(_l("Points for attending"), default=0, validators=[
        InputRequired(_l("Enter the points for attending (0 for none).")),
        NumberRange(min=0, max=MAX_POINTS, message=_l("Enter a whole number from 0 to 1,000,000."))],
        render_kw={"inputmode": "numeric"})
    cancel_cutoff_hours = IntegerField(_l("Members can cancel until (hours before the start)"),
                                       default=DEFAULT_CANCEL_CUTOFF_HOURS, validators=[
        InputRequired(_l("Enter a number of hours (0 lets members cancel until the start).")),
        NumberRange(min=0, max=MAX_CUTOFF_HOURS, message=_l("Enter a whole number of hours from 0 to 720."))],
        render_kw={"inputmode": "numeric"})
    picture = FileField(_l("Cover picture (optional)"), render_kw={"accept": pictures.ACCEPT})

    def setup(self, tiers, everyone):
        self.tiers = {str(tier.id): tier for tier in tiers}
        self.min_tier.choices = [SelectChoice("", everyone)] + [SelectChoice(str(t.id), localized(t, "name"))
                                                               for t in tiers]
        return self

    def fill_from(self, event):
        """Show an event's stored values."""
        self.min_tier.data = str(event.min_tier_id) if event.min_tier_id else ""
        self.place.data = "online" if event.online else "offline"
        return self

    def validate_min_tier(self, field):
        if field.data and field.data not in self.tiers:
            raise ValidationError(_l("Choose a tier from the list."))

    def validate_venue(self, field):
        if self.place.data == "offline" and not field.data:
            if self.address.data:
                raise ValidationError(_l("Give the venue's name as well as its address."))
            raise ValidationError(_l("Enter the venue, or choose “Online”."))

    def validate_online_url(self, field):
        if self.place.data != "online":
            return
        if not field.data:
            raise ValidationError(_l("Enter the link members join with, or choose “At a venue”."))
        if not is_web_address(field.data):
            raise ValidationError(_l("Enter a full web address starting with https://, such as https://meet.example.com/tea."))

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_registration_closes_at(self, field):
        if not field.data:
            return
        if self.registration_opens_at.data and field.data <= self.registration_opens_at.data:
            raise ValidationError(_l("Registration must close after it opens."))
        if self.starts_at.data and field.data > self.starts_at.data:
            raise ValidationError(_l("Registration must close by the start of the event."))

    def validate_registration_opens_at(self, field):
        if field.data and self.starts_at.data and field.data >= self.starts_at.data:
            raise ValidationError(_l("Registration must open before the event starts."))

    def fields(self):
        """The values for services.create_event / update_event (DETAIL_FIELDS and SCHEDULE_FIELDS), in UTC."""
        online = self.place.data == "online"
        return {
            "title": self.title.data, "title_zh": self.title_zh.data or "",
            "description": self.description.data or "", "description_zh": self.description_zh.data or "",
            "registration_opens_at": _utc(self.registration_opens_at.data),
            "registration_closes_at": _utc(self.registration_closes_at.data),
            "min_tier_id": int(self.min_tier.data) if self.min_tier.data else None,
            "attendance_points": self.attendance_points.data,
            "cancel_cutoff_hours": self.cancel_cutoff_hours.data,
            "starts_at": _utc(self.starts_at.data), "ends_at": _utc(self.ends_at.data),
            "online": online, "online_url": self.online_url.data if online else "",
            "venue": "" if online else self.venue.data, "address": "" if online else (self.address.data or ""),
        }


class NewEventForm(EventForm):
    """A new event: it starts in the future, and has a capacity from the start."""

    capacity = IntegerField(_l("Capacity"), validators=[
        InputRequired(_l("Enter how many members can attend.")),
        NumberRange(min=1, max=MAX_CAPACITY, message=_l("Enter a whole number from 1 to 100,000."))],
        render_kw={"inputmode": "numeric"})

    def validate_starts_at(self, field):
        if field.data and field.data <= utcnow():
            raise ValidationError(_l("A new event must start in the future."))

    def fields(self):
        return {**super().fields(), "capacity": self.capacity.data}


class EditEventForm(EventForm):
    """A saved event's details, time and place (its capacity has a form of its own)."""


class CapacityForm(PortalForm):
    capacity = IntegerField(_l("Capacity"), validators=[
        InputRequired(_l("Enter how many members can attend.")),
        NumberRange(min=1, max=MAX_CAPACITY, message=_l("Enter a whole number from 1 to 100,000."))],
        render_kw={"inputmode": "numeric"})


class CancelEventForm(PortalForm):
    reason = StringField(_l("Reason"), filters=[_strip], validators=[
        DataRequired(_l("Give a reason: everyone registered is told it.")), Length(max=500)])


class CancelRegistrationForm(PortalForm):
    reason = StringField(_l("Reason (optional)"), filters=[_strip], validators=[Length(max=500)])


class CheckInSearchForm(PortalForm):
    """The check-in desk's one field: a scanned or typed code, a member number or a name."""

    class Meta:
        csrf = False

    q = SearchField(_l("Member number, name or code"), filters=[_strip], validators=[Length(max=500)], render_kw={
        "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false", "enterkeyhint": "search",
    })


class CheckInForm(PortalForm):
    registration = HiddenField(validators=[InputRequired()])
    q = HiddenField()

    def registration_id(self):
        """The registration id posted, or None when it is not a number."""
        value = (self.registration.data or "").strip()
        return int(value) if value.isdigit() and len(value) <= 9 else None
