"""Importing purchases from a CSV file: read it, check every row, then record the good rows at once.

The file is kept between the preview and the import under instance/imports/ with a random name;
the page carries only a signed, expiring token naming that file and the staff user who uploaded
it. On import the file is read and checked again (the database may have changed since the
preview), and if the good rows are not the ones the preview showed, nothing is written.
"""

import csv
import hashlib
import io
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Member, Tier
from portal.models import utcnow
from portal.purchases import services
from portal.purchases.models import Purchase

COLUMNS = ("member", "amount", "date", "reference")
UPLOAD_MAX_AGE = 3600  # seconds a preview stays importable
STALE_UPLOAD = 24 * 3600  # files left behind by abandoned previews are removed after a day
UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{32}\.csv$")
CHUNK = 500  # ids or references per IN (...) query


class ImportFileError(ValueError):
    """The file as a whole cannot be read as a purchases CSV."""


@dataclass
class Row:
    line: int
    member_text: str
    amount_text: str
    date_text: str
    reference: str
    member: Member | None = None
    amount: Decimal | None = None
    purchased_at: datetime | None = None
    problems: list = field(default_factory=list)

    @property
    def already_imported(self):
        return any(kind == "imported" for kind, _message in self.problems)

    @property
    def reasons(self):
        return [message for _kind, message in self.problems]


@dataclass
class Preview:
    good: list
    bad: list

    @property
    def count(self):
        return len(self.good)

    @property
    def total(self):
        return sum((row.amount for row in self.good), Decimal("0.00"))

    @property
    def fingerprint(self):
        """What the import must find again: the good rows' lines, references, members and amounts."""
        text = "\n".join(f"{row.line}|{row.reference}|{row.member.id}|{row.amount}" for row in self.good)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def read_csv(data):
    """The rows of a purchases CSV (bytes, UTF-8 with or without BOM); ImportFileError when unreadable."""
    if not data or not data.strip():
        raise ImportFileError(_("The file is empty."))
    if b"\x00" in data:
        raise ImportFileError(_("This is not a CSV file: export the sheet as CSV (comma-separated values)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_(
            "The file is not in UTF-8, so its characters cannot be read safely. "
            "Save it as “CSV UTF-8” and upload it again."
        )) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            raise ImportFileError(_("The file is empty."))
        names = [cell.strip().lower() for cell in header]
        missing = [name for name in COLUMNS if name not in names]
        unknown = [name for name in names if name not in COLUMNS]
        if missing or unknown or len(set(names)) != len(names):
            raise ImportFileError(_(
                "The first line must name the columns member, amount, date and reference (in any order). "
                "This file has: %(found)s.", found=", ".join(cell.strip() for cell in header)[:200] or "—"))
        position = {name: names.index(name) for name in COLUMNS}
        rows, line = [], reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted cell may span lines: report the first
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(names):
                row = Row(start, "", "", "", "")
                row.problems.append(("columns", _("This row has %(found)s values; the header has %(expected)s.",
                                                  found=len(cells), expected=len(names))))
            else:
                row = Row(start, *(cells[position[name]].strip() for name in COLUMNS))
            rows.append(row)
    except csv.Error as error:
        raise ImportFileError(_("The file is not a well-formed CSV (line %(line)s): %(error)s",
                                line=reader.line_num, error=str(error))) from None
    if not rows:
        raise ImportFileError(_("The file has a header but no purchases."))
    return rows


def _members_named(rows):
    """The members the rows name, looked up a chunk at a time: {("id", 1) or ("email", …): Member}."""
    keys = {services.member_key(row.member_text) for row in rows} - {None}
    found = {}
    for kind, column in (("id", Member.id), ("email", Member.email)):
        values = sorted(value for key_kind, value in keys if key_kind == kind)
        for start in range(0, len(values), CHUNK):
            for member in db.session.scalars(select(Member).where(column.in_(values[start:start + CHUNK]))):
                found[(kind, member.id if kind == "id" else member.email)] = member
    return found


def _purchases_with(references):
    found = {}
    references = sorted(references)
    for start in range(0, len(references), CHUNK):
        for purchase in db.session.scalars(
                select(Purchase).where(Purchase.reference.in_(references[start:start + CHUNK]))):
            found[purchase.reference] = purchase
    return found


def check_rows(rows, now=None):
    """Check every row against the rules and the database: a Preview of good and bad rows."""
    now = now or utcnow()
    members = _members_named(rows)
    first_line = {}
    for row in rows:
        if row.problems:
            continue
        _check(row, members, first_line, now)
    recorded = _purchases_with({row.reference for row in rows if row.reference and not row.problems})
    for row in rows:
        if row.problems or row.reference not in recorded:
            continue
        if services.same_purchase(recorded[row.reference], row.member, row.amount, row.purchased_at):
            row.problems.append(("imported", _("Already imported: the reference %(reference)s is recorded.",
                                               reference=row.reference)))
        else:
            row.problems.append(("reference", _(
                "The reference %(reference)s is already recorded for a different purchase.",
                reference=row.reference)))
    return Preview([row for row in rows if not row.problems], [row for row in rows if row.problems])


def _check(row, members, first_line, now):
    def problem(kind, action):
        try:
            return action()
        except services.PurchaseError as error:
            row.problems.append((kind, error.message))
            return None

    key = services.member_key(row.member_text)
    if not row.member_text:
        row.problems.append(("member", _("The member is missing.")))
    elif key not in members:
        row.problems.append(("member", _("Unknown member “%(member)s”.", member=row.member_text[:100])))
    else:
        row.member = problem("member", lambda: services.check_member(members[key]))
    row.amount = problem("amount", lambda: services.parse_amount(row.amount_text))
    moment = problem("date", lambda: services.parse_purchased_at(row.date_text))
    if moment is not None:
        row.purchased_at = problem("date", lambda: services.check_purchased_at(moment, now))
    reference = problem("reference", lambda: services.clean_reference(row.reference))
    if reference is not None:
        row.reference = reference
        if reference in first_line:
            row.problems.append(("duplicate", _("The reference %(reference)s is also on line %(line)s.",
                                                reference=reference, line=first_line[reference])))
        else:
            first_line[reference] = row.line


def points_by_row(preview):
    """The points each good row would earn at its member's tier now, in the rows' order (a tier that
    rises during the import earns more on later rows)."""
    tiers = {tier.id: tier for tier in db.session.scalars(select(Tier))}
    return [services.points_for(row.amount, tiers[row.member.tier_id].multiplier) for row in preview.good]


def import_rows(preview, actor):
    """Record every good row (source "csv"); the caller commits once, or rolls back on any error."""
    purchases = []
    for row in preview.good:
        purchase, _created = services.record_purchase(row.member, row.amount, row.purchased_at, row.reference,
                                                      "csv", actor=actor)
        purchases.append(purchase)
    return purchases


# --- keeping the file between the preview and the import ----------------------------------------


def _folder():
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="purchases-import")


def keep_upload(data, staff):
    """Store the uploaded bytes under a random name; a signed token that only `staff` can use."""
    folder = _folder()
    cutoff = time.time() - STALE_UPLOAD
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    name = secrets.token_urlsafe(24) + ".csv"
    path = folder / name
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(data)
    return _serializer().dumps({"file": name, "staff": staff.id})


def _path(token, staff):
    try:
        payload = _serializer().loads(token or "", max_age=UPLOAD_MAX_AGE)
    except BadSignature:  # tampered with, or expired (SignatureExpired is a BadSignature)
        return None
    name = payload.get("file", "") if isinstance(payload, dict) else ""
    if payload.get("staff") != staff.id or not UPLOAD_NAME.match(name):
        return None
    path = _folder() / name
    return path if path.is_file() else None


def load_upload(token, staff):
    """The bytes kept for `token`, or None when it is unknown, expired, someone else's or used."""
    path = _path(token, staff)
    return path.read_bytes() if path is not None else None


def discard_upload(token, staff):
    path = _path(token, staff)
    if path is not None:
        path.unlink(missing_ok=True)
