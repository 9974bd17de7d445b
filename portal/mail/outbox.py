"""Store emails in the outbox, send them over SMTP exactly once, retry, re-send."""

import logging
import re
import secrets
import smtplib
import sys
from dataclasses import dataclass
from datetime import timedelta
from email.encoders import encode_base64
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import Address
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formataddr, formatdate, parseaddr
from io import BytesIO

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import selectinload

from jobs.queues import enqueue_after_commit
from portal.extensions import db
from portal.mail.models import MAIL_KINDS, OUTBOX_STATUSES, OutboxAttachment, OutboxMessage
from portal.models import utcnow

log = logging.getLogger("portal.mail")
LINK = re.compile(r"https?://[^\s<>\"']+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SEND_JOB = "jobs.mail.send_outbox_message"
BATCH_JOB = "jobs.mail.send_outbox_batch"
REDACTED = "[link removed: security email]"
PAGE_SIZE = 50
# Before the footer of an email a member may turn off: the signature separator of RFC 3676, so the
# portal's copy of a message (and mail readers) can tell the footer from the message.
SIGNATURE = "\n-- \n"


@dataclass(frozen=True)
class Attachment:
    """A file to send with an email: its name, MIME type ("text/calendar") and bytes."""

    filename: str
    content_type: str
    data: bytes


def site_path(endpoint, **values):
    """The path of a page of this site, also outside a request (in a job)."""
    if has_request_context():
        return url_for(endpoint, **values)
    base = current_app.config["BASE_URL"].rstrip("/")
    script = base.split("://", 1)[-1].partition("/")[2]
    adapter = current_app.url_map.bind("portal.invalid", script_name="/" + script if script else None)
    return adapter.build(endpoint, values)


def external_url(endpoint, **values):
    """An absolute link for an email, built on the configured BASE_URL."""
    base = current_app.config["BASE_URL"].rstrip("/")
    origin = base.split("://", 1)[0] + "://" + base.split("://", 1)[-1].partition("/")[0]
    return origin + site_path(endpoint, **values)


def render_message(template, context, language, kind="account", unsubscribe_url=None):
    """(subject, text, HTML) of `templates/mail/<template>.*` in `language`; with an `unsubscribe_url`
    both say in their footer which kind of email it stops (templates/mail/_unsubscribe.*)."""
    context = {**context, "mail_kind": kind, "unsubscribe_url": unsubscribe_url}
    with force_locale(language):
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        body_text = render_template(f"mail/{template}.txt", **context)
        body_html = render_template(f"mail/{template}.html", subject=subject, **context)
        if unsubscribe_url:
            body_text = body_text.rstrip("\n") + "\n" + SIGNATURE + render_template("mail/_unsubscribe.txt", **context)
    return subject, body_text, body_html


class MailMerge:
    """One message to many recipients, rendered once per language and filled in per recipient.

    `fields` name the context values that differ from one recipient to the next (a name, a link;
    the one-click unsubscribe link always): each is rendered as a marker, then replaced in the
    text as it is and in the HTML escaped, which is what render_message gives for values printed
    as they are (`{{ name }}`; a field passed through a filter cannot be merged). The rest of the
    context is the same for all, or part of the cache key: the text is rendered again for each
    new combination of the other values. A dispatch to 100,000 members renders a handful of times
    instead of 100,000.
    """

    def __init__(self, template, kind="account", fields=("name",)):
        self.template, self.kind = template, kind
        self.fields = tuple(fields) + ("unsubscribe_url",)
        token = secrets.token_hex(6)
        self.markers = {field: f"MERGE{token}{field.upper()}MERGE" for field in self.fields}
        self._rendered = {}

    def render(self, context, language, unsubscribe_url=None):
        """(subject, text, HTML) for one recipient: what render_message(template, context, language,
        kind, unsubscribe_url) makes."""
        values = {**context, "unsubscribe_url": unsubscribe_url}
        shared = tuple(sorted((key, value) for key, value in values.items() if key not in self.fields))
        key = (language, bool(unsubscribe_url), shared)
        if key not in self._rendered:
            marked = {**context, **{field: self.markers[field] for field in self.fields[:-1]}}
            self._rendered[key] = render_message(
                self.template, marked, language, kind=self.kind,
                unsubscribe_url=self.markers["unsubscribe_url"] if unsubscribe_url else None)
        subject, text, html = self._rendered[key]
        for field, marker in self.markers.items():
            value = "" if values.get(field) is None else str(values[field])
            subject, text = subject.replace(marker, value), text.replace(marker, value)
            html = html.replace(marker, str(escape(value)))
        return subject, text, html


def queue_email(template, to_email, context, language="en", to_name="", member=None, kind="account",
                attachments=(), unsubscribe_url=None, enqueue=True, merge=None):
    """Render `templates/mail/<template>.*` in `language`, store it (with its `attachments`), send it
    after commit. An `unsubscribe_url` (one-click, RFC 8058) goes in the footer and the headers.
    `enqueue=False` stores it queued without a job of its own: the caller sends it with others over
    one connection (send_batch, job jobs.mail.send_outbox_batch).
    `merge` (a MailMerge of this template and kind) fills in the text rendered once for all the
    recipients in the member's language (one message to many).

    Mail is plumbing: it knows no feature and tells no one else (features decide what a member is
    told: see portal/care/messages.py). Links are never written to the log; with no SMTP server in
    development, the message is held and its links are printed on the console for the developer.
    """
    if kind not in MAIL_KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    if unsubscribe_url and kind in ("security", "account"):
        raise ValueError(f"{kind} emails are always sent: they have no unsubscribe link")
    context = {"to_name": to_name, **context}
    if merge is None:
        subject, body_text, body_html = render_message(template, context, language, kind=kind,
                                                       unsubscribe_url=unsubscribe_url)
    elif (merge.template, merge.kind) != (template, kind):
        raise ValueError(f"the merge is of {merge.template!r} ({merge.kind}), not {template!r} ({kind})")
    else:
        subject, body_text, body_html = merge.render(context, language, unsubscribe_url)
    smtp = bool(current_app.config["SMTP_HOST"])
    message = OutboxMessage(
        template=template,
        kind=kind,
        to_email=to_email,
        to_name=to_name,
        member_id=member.id if member is not None else None,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        unsubscribe_url=unsubscribe_url,
        status="queued" if smtp else "held",
        attachments=[OutboxAttachment(filename=each.filename, content_type=each.content_type, content=each.data)
                     for each in attachments],
    )
    db.session.add(message)
    if not (smtp and not enqueue):
        db.session.flush()  # its id, for the job or the console; a batch's caller flushes them together
    if smtp and enqueue:
        enqueue_after_commit(SEND_JOB, message.id, retry_intervals=current_app.config["MAIL_RETRY_INTERVALS"])
    elif not smtp:
        log.warning("No SMTP server configured: outbox #%s (%s) is held.", message.id, template)
        if current_app.config["PORTAL_ENV"] != "production":
            links = " ".join(LINK.findall(body_text)) or "(no links)"
            print(f"[outbox #{message.id}] to {to_email}: {subject} — {links}", file=sys.stderr, flush=True)
    return message


def redacted(text):
    """`text` with every link replaced by a note (a security email's links are secrets)."""
    return LINK.sub(REDACTED, text or "")


def readable_body(message):
    """The text staff may read on the outbox page: a security email's links are redacted."""
    return redacted(message.body_text) if message.is_security else message.body_text


def find_message(message_id):
    """The outbox row `message_id`, or None."""
    return db.session.get(OutboxMessage, message_id)


def outbox_page(status=""):
    """The newest messages (of `status`, if one of OUTBOX_STATUSES) and the count by status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
    if status in OUTBOX_STATUSES:
        query = query.where(OutboxMessage.status == status)
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())
    return db.session.scalars(query).all(), counts


def claim(message_id):
    """Mark a queued message as being sent; False if another attempt has it or it was sent."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued")
        .values(status="sending", claimed_at=utcnow(), attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


class UnbuildableEmail(ValueError):
    """An outbox row that cannot become an email (a header with a line break, an invalid address)."""


def _one_line(value, what):
    if CONTROL.search(value or ""):
        raise UnbuildableEmail(f"The {what} has a line break or another control character.")
    return value


class _OneLineHeaders(Compat32):
    """Headers written as they are, on one line (up to RFC 5322's 998 characters): the classic
    generator folds a long one (a List-Unsubscribe link) before its value, which readers then see
    with a leading space, and runs every header through email.header at a cost. Values are ASCII
    here (build_email encodes the others as RFC 2047 words, folded by email.header itself)."""

    def _fold(self, name, value, sanitize):
        if isinstance(value, str) and value.isascii():  # folded already where it is (RFC 2047 words)
            return f"{name}: {value}".replace("\r\n", "\n").replace("\n", self.linesep) + self.linesep
        return super()._fold(name, value, sanitize)


ONE_LINE_HEADERS = _OneLineHeaders(max_line_length=998)


def _boundary():
    # Given, not drawn by the generator: it would compile a regular expression for each email to
    # check the parts for it. "_" never occurs in base64, the encoding of every part here.
    return f"=_portal_{secrets.token_hex(16)}"


def _header(value, name):
    """A header value: as it is when ASCII, else encoded words of RFC 2047 (≤ 75 characters each)."""
    return value if value.isascii() else Header(value, "utf-8", header_name=name).encode(maxlinelen=75)


def envelope_address(address):
    """`address` as SMTP carries it: a domain in another script as IDNA (punycode); UnbuildableEmail
    for a local part that is not ASCII (it would need SMTPUTF8, which the portal does not use)."""
    local, _at, domain = address.rpartition("@")
    if address.isascii():
        return address
    if not local.isascii():
        raise UnbuildableEmail(f"{address!r} has a local part that is not ASCII: it cannot be sent without SMTPUTF8.")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as error:
        raise UnbuildableEmail(f"{address!r} has a domain that is not a valid international name.") from error


def _address(name, address, header):
    """A From or To header for one address, or UnbuildableEmail."""
    address = envelope_address(address)
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError) as error:
        raise UnbuildableEmail(f"{address!r} is not an email address that can be written in the {header} header.") \
            from error
    if not parsed.domain or parsed.addr_spec != address:
        raise UnbuildableEmail(f"{address!r} is not an email address that can be written in the {header} header.")
    if name and not name.isascii():
        return f"{_header(name, header)} <{address}>"
    return formataddr((name, address)) if name else address


def build_email(message):
    """The MIME message (text and HTML alternatives, then the attachments) for an outbox row;
    UnbuildableEmail when the row cannot make a safe email (sending it again would not help).

    Built with the classic email API: the modern one (EmailMessage) parses and refolds every
    header, four times the cost, and a dispatch builds 100,000 of these."""
    to_name, to_email = _one_line(message.to_name, "name"), _one_line(message.to_email, "address")
    body = MIMEMultipart("alternative", boundary=_boundary(), policy=ONE_LINE_HEADERS)
    body.attach(MIMEText(message.body_text, "plain", "utf-8"))
    body.attach(MIMEText(message.body_html, "html", "utf-8"))
    if message.attachments:
        email = MIMEMultipart("mixed", boundary=_boundary(), policy=ONE_LINE_HEADERS)
        email.attach(body)
        for attachment in message.attachments:
            maintype, _slash, subtype = attachment.content_type.partition("/")
            part = MIMEBase(maintype, subtype)
            part.set_payload(attachment.content)
            encode_base64(part)
            # A text file is UTF-8 (a calendar file with a Chinese title): said so, or mail readers
            # take it for US-ASCII, as RFC 2046 tells them to.
            if maintype == "text":
                part.set_param("charset", "utf-8")
            part.add_header("Content-Disposition", "attachment",
                            filename=_one_line(attachment.filename, "attachment name"))
            email.attach(part)
    else:
        email = body
    email["From"] = _address(*parseaddr(current_app.config["MAIL_FROM"]), "From")
    email["To"] = _address(to_name, to_email, "To")
    email["Date"] = formatdate((message.created_at or utcnow()).timestamp(), usegmt=True)
    email["Subject"] = _header(_one_line(message.subject, "subject"), "Subject")
    email["Message-ID"] = message.message_id
    email["Content-Language"] = message.language.replace("_", "-")
    if message.unsubscribe_url:  # RFC 2369 and the one-click POST of RFC 8058 (bulk senders must)
        email["List-Unsubscribe"] = f"<{_one_line(message.unsubscribe_url, 'unsubscribe link')}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def connect():
    """An open connection to the configured SMTP server (STARTTLS and login as configured)."""
    config = current_app.config
    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
    try:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


SMTP_LINES = ONE_LINE_HEADERS.clone(linesep="\r\n")


def transmit(smtp, email, recipient, sender=None):
    """Send one built email over an open connection to `recipient` (the envelope's; from the
    address of MAIL_FROM, or `sender`)."""
    data = BytesIO()
    BytesGenerator(data, policy=SMTP_LINES).flatten(email)
    smtp.sendmail(sender or envelope_sender(), [recipient], data.getvalue())


def envelope_sender():
    """The address of MAIL_FROM, for the SMTP envelope."""
    return envelope_address(parseaddr(current_app.config["MAIL_FROM"])[1])


def deliver(email, recipient):
    """Hand one email to the configured SMTP server."""
    with connect() as smtp:
        transmit(smtp, email, recipient)


def send_message(message_id, final_attempt=True):
    """Send one outbox row if it is still queued; on error requeue it, or mark it failed when final.

    Returns "sent", "skipped" (already sent, or being sent) or "failed" (the row cannot make an
    email: marked failed with the reason, no retry); on an SMTP error it records the
    error on the row and raises, and the caller commits either way so the job system can retry.
    """
    if not claim(message_id):
        return "skipped"
    # The claim was a bulk UPDATE: reload so a copy already in the session is not stale.
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    try:
        email = build_email(message)
    except UnbuildableEmail as error:
        message.status = "failed"  # final: no retry and no hourly sweep would ever send it
        message.last_error = f"The email could not be built: {error}"[:2000]
        log.error("outbox #%s cannot be sent: %s", message.id, error)
        return "failed"
    try:
        deliver(email, envelope_address(message.to_email))
    except (OSError, smtplib.SMTPException) as error:
        message.status = "failed" if final_attempt else "queued"
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        raise
    message.status = "sent"
    message.sent_at = utcnow()
    message.last_error = None
    return "sent"


# The server refused this one message (its recipient, its data): the connection is still good for the others.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class BatchNotSent(RuntimeError):
    """Some messages of a batch met an SMTP error: they are queued again (or failed, on the last attempt)."""


def send_batch(message_ids, final_attempt=True):
    """Send the outbox rows `message_ids` that are still queued over ONE SMTP connection.

    The batch is claimed in one statement (committed: "sending", so no other job sends them), then
    each message is sent and marked sent (or failed) in its own commit, so a worker that dies
    mid-batch re-sends nothing already sent; what it left "sending" the hourly sweep gives back
    (requeue_stale), as for send_message.

    A message the server refuses is queued again (failed on the final attempt) and the batch goes
    on; a lost connection stops it and gives the rest back to the queue. Either way BatchNotSent is
    raised at the end so the job is retried (a retry skips what was sent). Returns the counts
    {"sent", "skipped", "failed"}; the caller need not commit.
    """
    ids = list(message_ids)
    claimed = set(db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "queued")
        .values(status="sending", claimed_at=utcnow(), attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id).execution_options(synchronize_session=False)))
    db.session.commit()
    counts = {"sent": 0, "skipped": len(ids) - len(claimed), "failed": 0}
    emails, recipients, unbuildable, sender = {}, {}, {}, envelope_sender()
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                                      .options(selectinload(OutboxMessage.attachments))
                                      .execution_options(populate_existing=True)):
        try:
            emails[message.id], recipients[message.id] = build_email(message), envelope_address(message.to_email)
        except UnbuildableEmail as error:
            unbuildable[message.id] = error
    db.session.rollback()

    postgresql = db.session.get_bind().dialect.name == "postgresql"

    def record(message_id, **values):
        if postgresql:  # the server has the commit at once; its disk gets it within a fraction of a
            # second: a worker killed at any point loses nothing, a crash of the database server
            # itself could send one email twice (as a crash between SMTP and this commit could)
            db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        # On the table, not the model: one statement per email, without the ORM's bulk-update work.
        table = OutboxMessage.__table__
        db.session.execute(update(table).where(table.c.id.in_(message_id)).values(**values))
        db.session.commit()

    errors, smtp = [], None
    todo = [message_id for message_id in ids if message_id in claimed]
    try:
        for position, message_id in enumerate(todo):
            if message_id in unbuildable:
                log.error("outbox #%s cannot be sent: %s", message_id, unbuildable[message_id])
                record([message_id], status="failed",
                       last_error=f"The email could not be built: {unbuildable[message_id]}"[:2000])
                counts["failed"] += 1
                continue
            try:
                if smtp is None:
                    smtp = connect()
                transmit(smtp, emails[message_id], recipients[message_id], sender)
            except (OSError, smtplib.SMTPException) as error:
                record([message_id], status="failed" if final_attempt else "queued",
                       last_error=f"{type(error).__name__}: {error}"[:2000])
                counts["failed"] += final_attempt
                errors.append(message_id)
                if isinstance(error, MESSAGE_REFUSED):
                    continue
                rest = todo[position + 1:]
                if rest:  # never tried: back to the queue, for the job's retry
                    record(rest, status="queued", attempts=OutboxMessage.attempts - 1)
                break
            # Recorded before the next one goes: a worker that dies re-sends nothing that was sent.
            record([message_id], status="sent", sent_at=utcnow(), last_error=None)
            counts["sent"] += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    if errors:
        raise BatchNotSent(f"outbox #{', #'.join(map(str, errors))} met an SMTP error; counts so far {counts}")
    return counts


def to_send(messages):
    """The ids of the stored messages a job must send: not the None of a member who turned that email
    off, not those held for want of an SMTP server."""
    return [m.id for m in messages if m is not None and m.status == "queued"]


def enqueue_batch(message_ids):
    """Send `message_ids` together (one job, one SMTP connection) once the transaction commits."""
    if message_ids:
        enqueue_after_commit(BATCH_JOB, list(message_ids), retry_intervals=current_app.config["MAIL_RETRY_INTERVALS"])


def resend(message):
    """Put a failed or held message back in the queue and send it after commit."""
    if message.status not in ("failed", "held"):
        raise ValueError("only failed or held messages can be sent again")
    if not current_app.config["SMTP_HOST"]:
        raise ValueError("no SMTP server is configured")
    message.status = "queued"
    message.last_error = None
    db.session.flush()
    enqueue_after_commit(SEND_JOB, message.id, retry_intervals=current_app.config["MAIL_RETRY_INTERVALS"])


def requeue_stale(older_than=timedelta(hours=1)):
    """Give back messages whose sender died mid-send, and re-enqueue queued ones a lost job left.

    `older_than` is longer than any retry interval, so a retry that is merely waiting is left
    alone. Returns the ids that were enqueued again.
    """
    cutoff = utcnow() - older_than
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < cutoff)
        .values(status="queued")
        .execution_options(synchronize_session=False)
    )
    ids = db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.status == "queued",
            func.coalesce(OutboxMessage.claimed_at, OutboxMessage.created_at) < cutoff,
        )
    ).all()
    for message_id in ids:
        enqueue_after_commit(SEND_JOB, message_id, retry_intervals=current_app.config["MAIL_RETRY_INTERVALS"])
    return list(ids)
