"""What a member is told: one call queues the email and adds the in-portal notification.

Features say *what* (a message template, its context, its kind and the page it points to); this
module decides *how*, from the kind:
- "security": the email only, never a notification (its link is a secret; see portal/mail).
- "account": always emailed (transactional), and a notification.
- "marketing", "survey", "reminder" (care.unsubscribe.PREFERENCES): emailed only when the member's
  preference allows it, with a one-click unsubscribe link; the notification is made either way, so
  the portal still shows what happened.
"""

import re
from dataclasses import dataclass

from flask_babel import force_locale

from portal.care.notifications import notify
from portal.care.unsubscribe import PREFERENCES, unsubscribe_token
from portal.mail.outbox import LINK, SIGNATURE, external_url, queue_email, render_message, site_path


@dataclass(frozen=True)
class Link:
    """The page a message points to: an endpoint, its values and the button's label (lazy text)."""

    endpoint: str
    label: object
    values: dict | None = None


@dataclass
class Told:
    message: object  # the OutboxMessage, or None when the member's preference turned the email off
    notification: object  # the Notification, or None for a security email


def wants_email(member, kind):
    """Whether `member` receives emails of `kind` (account and security emails always go)."""
    preference = PREFERENCES.get(kind)
    return preference is None or bool(getattr(member, preference))


def without_links(text):
    """An email's text for the portal: its raw links and its footer (the unsubscribe link) are left
    out (the notification has a button)."""
    text = text.partition(SIGNATURE)[0]
    kept = [LINK.sub("", line).rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def tell_member(member, template, context, *, kind, link=None, attachments=(), enqueue=True, merge=None):
    """Email `member` the message `template` (per its kind and their preferences) and add it to their
    notifications; `link` (a Link) becomes `link` in the email and a labelled button in the portal;
    `attachments` (mail.outbox.Attachment) go with the email only. An email the member may turn off
    carries its one-click unsubscribe link (headers and footer). `enqueue=False`: the caller sends
    the stored email in a batch (see mail.outbox.queue_email) and flushes the rows of many at once;
    `merge` (mail.outbox.MailMerge with "link" among its fields) renders the text once for many."""
    context = dict(context)
    if link is not None:
        context["link"] = external_url(link.endpoint, **(link.values or {}))
    message = None
    if kind == "security" or wants_email(member, kind):
        unsubscribe_url = None
        if kind in PREFERENCES:
            unsubscribe_url = external_url("care.unsubscribe", token=unsubscribe_token(member, kind))
        message = queue_email(template, member.email, context, language=member.language, to_name=member.name,
                              member=member, kind=kind, attachments=attachments, unsubscribe_url=unsubscribe_url,
                              enqueue=enqueue, merge=merge)
    if kind == "security":
        return Told(message, None)
    if message is None:  # the email is off: render the same text for the portal alone
        subject, body, _html = render_message(template, {"to_name": member.name, **context}, member.language)
    else:
        subject, body = message.subject, message.body_text
    label = None
    if link is not None:
        with force_locale(member.language):
            label = str(link.label)
    notification = notify(member, template, subject, without_links(body),
                          link=site_path(link.endpoint, **(link.values or {})) if link is not None else None,
                          link_label=label, flush=enqueue)
    return Told(message, notification)
