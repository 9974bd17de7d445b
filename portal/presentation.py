"""How stored values are shown, the one copy: template filters and the names of stored codes.

Every feature's templates use these (registered on the app by init_app); Python code that needs
a name (a form's choices, a flash message) imports the map from here. Numbers follow the reader's
locale; a signed number always has its sign, and a minus is the real minus sign U+2212.
"""

import re
from datetime import UTC, date, datetime
from functools import lru_cache

import segno
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask_babel import format_decimal, format_number
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from portal.dates import local
from portal.i18n import reader_locale

MINUS = "\u2212"
# "31 Dec 2026" reads better than the US "Dec 31, 2026" for the programme's English readers;
# other languages use their own medium date ("2026年12月31日").
DATE_PATTERNS = {"en": "d MMM y"}
DAY_PATTERNS = {"en": "EEE d MMM y"}  # with the weekday: an event's day
DUE_DAY_PATTERNS = {"en": "EEE d MMM"}  # a due time more than a week off (a ticket's clock)

ROLE_NAMES = {
    "admin": _l("Team lead"),
    "service": _l("Member service"),
    "operations": _l("Member operations"),
    "expansion": _l("Member expansion"),
}

POINTS_KIND_NAMES = {
    "purchase": _l("Purchase"),
    "event_attendance": _l("Event attendance"),
    "survey": _l("Survey"),
    "birthday": _l("Birthday bonus"),
    "redemption": _l("Redemption"),
    "expiry": _l("Expired"),
    "adjustment": _l("Adjustment"),
    "reversal": _l("Reversal"),
}

MEMBER_STATUS_NAMES = {
    "pending": _l("Not yet verified"),
    "active": _l("Active"),
    "closed": _l("Closed"),
}

REDEMPTION_STATUS_NAMES = {
    "issued": _l("Ready to use"),
    "used": _l("Used"),
    "cancelled": _l("Cancelled"),
}

EVENT_STATUS_NAMES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
}

TICKET_KIND_NAMES = {
    "feedback": _l("Feedback"),
    "complaint": _l("Complaint"),
    "consultation": _l("Consultation"),
}

# A ticket's status as its member reads it (staff read TICKET_STATUS_NAMES).
TICKET_MEMBER_STATUS_NAMES = {
    "new": _l("Received"),
    "in_progress": _l("In progress"),
    "waiting_on_member": _l("Waiting for your reply"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}

TICKET_STATUS_NAMES = {
    "new": _l("New"),
    "in_progress": _l("In progress"),
    "waiting_on_member": _l("Waiting on member"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}

REGISTRATION_STATUS_NAMES = {
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("On the waitlist"),
    "cancelled": _l("Cancelled"),
}

SURVEY_STATUS_NAMES = {
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "closed": _l("Closed"),
}

OUTBOX_STATUS_NAMES = {
    "held": _l("Held"),
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}

AUDIT_ACTION_NAMES = {
    "ticket.status": _l("Ticket status changed"),
    "ticket.assign": _l("Ticket assigned"),
    "points.adjust": _l("Points adjusted"),
    "points.reverse": _l("Points entry reversed"),
    "member.tier_change": _l("Tier changed"),
    "member.unsubscribe": _l("Emails turned off from an email's unsubscribe link"),
    "member.resubscribe": _l("Emails turned back on from the unsubscribe page"),
    "reward.create": _l("Reward added"),
    "reward.update": _l("Reward changed"),
    "reward.stock": _l("Reward stock changed"),
    "reward.deactivate": _l("Reward deactivated"),
    "reward.activate": _l("Reward put back in the catalogue"),
    "redemption.use": _l("Voucher used"),
    "redemption.cancel": _l("Redemption cancelled"),
    "event.create": _l("Event added"),
    "event.update": _l("Event changed"),
    "event.capacity": _l("Event capacity changed"),
    "event.publish": _l("Event published"),
    "event.cancel": _l("Event cancelled"),
    "registration.cancel": _l("Registration cancelled by staff"),
    "registration.check_in": _l("Checked in at an event"),
    "survey.send": _l("Survey sent"),
    "purchase.record": _l("Purchase recorded"),
    "api_key.create": _l("API key made"),
    "api_key.revoke": _l("API key revoked"),
    "auth.login": _l("Logged in"),
    "auth.login_failed": _l("Wrong password"),
    "auth.throttled": _l("Attempts paused (too many failures)"),
    "auth.reset_requested": _l("Password reset requested"),
    "auth.reset_completed": _l("Password reset with an emailed link"),
    "auth.password_changed": _l("Password changed"),
    "auth.logout": _l("Logged out"),
    "auth.sessions_ended": _l("Logged out everywhere"),
    "staff.role_change": _l("Staff role changed"),
    "staff.password_change": _l("Staff password changed"),
    "staff.2fa_enrol": _l("Two-factor sign-in set up"),
    "staff.2fa_reenrol": _l("Two-factor sign-in set up again"),
    "staff.2fa_reset": _l("Two-factor sign-in reset by the team lead"),
    "staff.2fa_recovery_code_used": _l("Recovery code used to log in"),
    "survey.create": _l("Survey added"),
    "survey.update": _l("Survey changed"),
    "survey.copy": _l("Survey copied to a new draft"),
    "survey.question_add": _l("Survey question added"),
    "survey.question_update": _l("Survey question changed"),
    "survey.question_delete": _l("Survey question deleted"),
    "survey.question_move": _l("Survey question moved"),
}

# The keys of an audit entry's before/after state.
AUDIT_FIELD_NAMES = {
    "balance": _l("Balance"),
    "marketing_emails": _l("News and offers by email"),
    "survey_emails": _l("Satisfaction surveys by email"),
    "event_reminders": _l("Event reminders by email"),
    "amount": _l("Amount"),
    "tier": _l("Tier"),
    "reverses": _l("Reverses entry"),
    "points": _l("Points"),
    "reference": _l("Reference"),
    "source": _l("Source"),
    "name": _l("Name"),
    "stock": _l("Stock"),
    "prefix": _l("Key starts with"),
    "role": _l("Role"),
    "keep_until": _l("Kept until"),
    "step": _l("Step"),
    "second_factor": _l("Two-factor code"),
    "name_zh": _l("Name in Chinese"),
    "description": _l("Description"),
    "description_zh": _l("Description in Chinese"),
    "points_cost": _l("Points cost"),
    "min_tier_id": _l("Minimum tier"),
    "available_from": _l("Available from"),
    "available_until": _l("Available until"),
    "picture": _l("Picture"),
    "status": _l("Status"),
    "assignee": _l("Assignee"),
    "voucher": _l("Voucher code"),
    "email_digest": _l("Email typed (hashed)"),
    "recovery_codes_left": _l("Recovery codes left"),
    "active": _l("In the catalogue"),
    "title": _l("Title"),
    "title_zh": _l("Title in Chinese"),
    "registration_opens_at": _l("Registration opens"),
    "registration_closes_at": _l("Registration closes"),
    "attendance_points": _l("Points for attending"),
    "cancel_cutoff_hours": _l("Cancellation cut-off (hours before the start)"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "online": _l("Online"),
    "online_url": _l("Online link"),
    "venue": _l("Venue"),
    "address": _l("Address"),
    "capacity": _l("Capacity"),
    "event": _l("Event"),
    "introduction": _l("Introduction"),
    "introduction_zh": _l("Introduction in Chinese"),
    "expiry_days": _l("Links work for (days)"),
    "reminder_days": _l("Reminder after (days)"),
    "anonymous": _l("Anonymous"),
    "trigger": _l("Sent automatically"),
    "kind": _l("Kind"),
    "text": _l("Question"),
    "text_zh": _l("Question in Chinese"),
    "required": _l("Required"),
    "position": _l("Position"),
    "choices": _l("Choices"),
    "copied_from": _l("Copied from survey"),
    "audience": _l("Audience"),
    "tiers": _l("Tiers"),
    "members": _l("Members"),
    "left_out": _l("Left out (survey emails off)"),
}


def signed_points(amount):
    """+1,200 or −120 (a real minus sign), with the reader's digit grouping; 0 has no sign."""
    locale = reader_locale()
    if amount == 0:
        return babel_numbers.format_decimal(0, locale=locale)
    return ("+" if amount > 0 else MINUS) + babel_numbers.format_decimal(abs(amount), locale=locale)


def calendar_date(value):
    """A date (or a UTC datetime, shown in the programme's time zone) as "31 Dec 2026"."""
    if isinstance(value, datetime):  # as Flask-Babel reads one: naive means UTC
        value = local(value if value.tzinfo is not None else value.replace(tzinfo=UTC)).date()
    locale = reader_locale()
    return babel_dates.format_date(value, DATE_PATTERNS.get(str(locale), "medium"), locale=locale)


def _day(day, pattern, skeleton, locale):
    """A calendar day in `pattern` where the language has one (English), else in the language's own
    form of the CLDR `skeleton` (Chinese: 「2026年12月5日 週六」)."""
    return babel_dates.format_date(day, pattern or _skeleton_pattern(skeleton, str(locale)), locale=locale)


@lru_cache(maxsize=64)
def _skeleton_pattern(skeleton, locale_id):
    """The language's pattern for a CLDR skeleton, as babel.dates.format_skeleton finds it (a search
    of every pattern the language has: found once per language and skeleton, not once a date)."""
    patterns = Locale.parse(locale_id).datetime_skeletons
    return patterns[skeleton if skeleton in patterns else babel_dates.match_skeleton(skeleton, patterns)]


def event_time(start, end):
    """When an event is, in the programme's time zone and the reader's language: "Sat 5 Dec 2026,
    14:00–16:00", or both days when it ends on another day."""
    locale = reader_locale()
    first, last = local(start), local(end)
    pattern = DAY_PATTERNS.get(str(locale))
    if first.date() == last.date():
        return f"{_day(first.date(), pattern, 'yMMMEd', locale)} {first:%H:%M}–{last:%H:%M}"
    return (f"{_day(first.date(), pattern, 'yMMMEd', locale)} {first:%H:%M} – "
            f"{_day(last.date(), pattern, 'yMMMEd', locale)} {last:%H:%M}")


def staff_datetime(moment):
    """A stored UTC moment as staff read it, unambiguous in every language: "2026-10-02 12:32", in
    the programme's time zone."""
    return local(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else "—"


def staff_date(value):
    """A calendar day, or the programme's day of a stored UTC moment, as "2026-10-02"."""
    if isinstance(value, datetime):
        value = local(value).date()
    return value.isoformat() if value is not None else "—"


def email_address(address):
    """An email address that wraps, on a narrow screen, only before its "@" and its dots: each piece
    between them is kept whole (not broken after a hyphen or anywhere else)."""
    local_part, at, domain = str(address).rpartition("@")
    pieces = local_part.split(".") if at else []
    pieces = [pieces[0]] + ["." + piece for piece in pieces[1:]] if pieces else []
    domain_parts = domain.split(".")
    pieces += [("@" if at else "") + domain_parts[0]] + ["." + part for part in domain_parts[1:]]
    inner = Markup("<wbr>").join(Markup("<span>%s</span>") % piece for piece in pieces)
    return Markup('<span class="email">%s</span>') % inner


def money(amount):
    """An amount of money with two decimals: 1,250.00."""
    return format_decimal(amount, format="#,##0.00")


def month_day(member):
    """The member's birthday as month and day ("14 March", "3月14日"), or None."""
    if not (member.birthday_month and member.birthday_day):
        return None
    return _day(date(2000, member.birthday_month, member.birthday_day), None, "MMMMd", reader_locale())


def due_time(moment, now=None):
    """A moment within the coming week as its weekday and time, "Tue 14:00" (「週二 14:00」); further
    off, with its day too, "Tue 8 Dec 14:00". In the programme's time zone and the reader's language."""
    if moment is None:
        return "—"
    locale = reader_locale()
    when = local(moment)
    soon = local(now or datetime.now(UTC)).date()
    if 0 <= (when.date() - soon).days < 7:  # within the coming week: the weekday says which day
        day = _day(when.date(), None, "E", locale)
    else:
        day = _day(when.date(), DUE_DAY_PATTERNS.get(str(locale)), "MMMEd", locale)
    return f"{day} {when:%H:%M}"


# http(s) URLs in text a person wrote; a trailing full stop, comma, bracket or quote is not part of it
URL = re.compile(r"""https?://[^\s<>"'\u3000-\u303f\uff01-\uff0f]+""", re.IGNORECASE)
URL_TRAILING = ".,;:!?)]}'\""


def linkify(text):
    """Text a person wrote, as safe HTML: escaped, its line breaks kept (<br>), and its http(s) links
    made clickable with rel="noopener nofollow ugc" (the escaped URL in both href and text)."""
    if text is None:
        return Markup("")
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    pieces, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0)
        stripped = url.rstrip(URL_TRAILING)
        end = match.start() + len(stripped)
        if stripped.lower() in ("http://", "https://"):
            continue
        pieces.append(escape(text[last:match.start()]))
        pieces.append(Markup('<a href="%s" rel="noopener nofollow ugc">%s</a>') % (stripped, stripped))
        last = end
    pieces.append(escape(text[last:]))
    html = Markup("").join(pieces)
    return Markup("<br>\n").join(html.split("\n"))


def qr_svg(data, label):
    """`data` as a QR code: <svg> markup with attributes only (the CSP forbids inline styles),
    sized by CSS through its viewBox, named `label` for screen readers."""
    svg = segno.make(data, error="m").svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr",
    )
    named = f'<svg role="img" aria-label="{escape(label)}" shape-rendering="crispEdges" '
    # segno writes only numbers and its own attribute values into the markup; the label is escaped.
    return Markup(svg.replace("<svg ", named, 1))  # noqa: S704


FILTERS = {"signed_points": signed_points, "calendar_date": calendar_date, "staff_datetime": staff_datetime,
           "staff_date": staff_date, "email": email_address, "money": money, "linkify": linkify,
           "due_time": due_time}
GLOBALS = {
    "format_number": format_number, "signed_number": signed_points, "money": money, "birthday": month_day,
    "points_kind_names": POINTS_KIND_NAMES, "member_status_names": MEMBER_STATUS_NAMES,
    "redemption_status_names": REDEMPTION_STATUS_NAMES, "status_names": OUTBOX_STATUS_NAMES,
    "role_names": ROLE_NAMES, "action_names": AUDIT_ACTION_NAMES, "field_names": AUDIT_FIELD_NAMES,
    "event_status_names": EVENT_STATUS_NAMES, "registration_status_names": REGISTRATION_STATUS_NAMES,
    "survey_status_names": SURVEY_STATUS_NAMES,
    "ticket_kind_names": TICKET_KIND_NAMES, "ticket_status_names": TICKET_STATUS_NAMES,
    "ticket_member_status_names": TICKET_MEMBER_STATUS_NAMES,
    "event_time": event_time,
}


def init_app(app):
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
