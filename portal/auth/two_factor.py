"""Staff two-factor sign-in: codes from an authenticator app (TOTP) and ten one-time recovery codes.

After the right password an enrolled staff user is not logged in yet: a short-lived marker in the
session names the account until a code is given. A TOTP code is accepted within one time step of
now and only once (the last step used is kept); a recovery code works once. Recovery codes are
kept as argon2id hashes, the TOTP secret stays on the server and is never written to a log or the
audit log.
"""

import re
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from portal.audit.services import record
from portal.auth import passwords
from portal.auth.models import RecoveryCode, StaffUser
from portal.extensions import db
from portal.models import utcnow

VALID_WINDOW = 1  # one time step (30 s) either side of now, for clocks that drift
RECOVERY_CODE_COUNT = 10
# Recovery codes: 10 characters without look-alikes (0/o, 1/l/i), shown as two groups of five.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
SIX_DIGITS = re.compile(r"^\d{6}$")


def required():
    """True when every staff user must have two-factor sign-in (production's setting)."""
    return current_app.config["STAFF_2FA"] == "required"


def needs_second_factor(account):
    """True when `account` must give a code after the password: every enrolled staff user."""
    return account.is_staff and account.two_factor_enabled


def must_enrol(account):
    """True when `account` is staff without two-factor while the setting requires it."""
    return account.is_staff and not account.two_factor_enabled and required()


# --- TOTP -------------------------------------------------------------------------------------

def _digits(code):
    return re.sub(r"\s", "", code or "")


def matching_step(secret, code, now=None):
    """The time step (counter) whose code from `secret` is `code`, within VALID_WINDOW of now; else None."""
    code = _digits(code)
    if not secret or not SIX_DIGITS.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):  # try every step: equal work
            found = step
    return found


def use_totp_code(staff, code, now=None):
    """True when `code` is the staff user's current code and its time step was not used before.

    The step is stored with a conditional update, so the same code twice (or two requests at
    once with it) lets in only one.
    """
    step = matching_step(staff.totp_secret, code, now)
    if step is None or not staff.two_factor_enabled:
        return False
    result = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == staff.id,
               or_(StaffUser.totp_last_counter.is_(None), StaffUser.totp_last_counter < step))
        .values(totp_last_counter=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    staff.totp_last_counter = step
    return True


def secret_groups(secret):
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def setup_uri(staff, secret):
    """The otpauth:// link an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=staff.email, issuer_name=current_app.config["PROGRAMME_NAME"])


# --- recovery codes ---------------------------------------------------------------------------

def _normalise_recovery(code):
    return re.sub(r"[\s-]", "", code or "").lower()


def new_recovery_codes(staff):
    """Replace the staff user's recovery codes with ten new ones; returns them (shown once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        plain = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        db.session.add(RecoveryCode(staff_id=staff.id, code_hash=passwords.hash_password(plain)))
        codes.append(f"{plain[:5]}-{plain[5:]}")
    db.session.flush()
    return codes


def recovery_codes_left(staff):
    """How many of the staff user's recovery codes are still unused."""
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None)))


def use_recovery_code(staff, code, now=None):
    """True when `code` is one of the staff user's unused recovery codes; it is then used up."""
    plain = _normalise_recovery(code)
    if len(plain) != RECOVERY_LENGTH or set(plain) - set(RECOVERY_ALPHABET):
        return False
    unused = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)).all()
    for row in unused:
        if passwords.verify_password(row.code_hash, plain):
            result = db.session.execute(
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now or utcnow()).execution_options(synchronize_session=False)
            )
            return result.rowcount == 1
    return False


def use_second_factor(staff, code, now=None):
    """"totp" or "recovery" when `code` lets the staff user in (and is used up), else None."""
    if SIX_DIGITS.match(_digits(code)):
        return "totp" if use_totp_code(staff, code, now) else None
    if use_recovery_code(staff, code):
        left = recovery_codes_left(staff)
        record("staff.2fa_recovery_code_used", staff, actor=staff, after={"recovery_codes_left": left})
        return "recovery"
    return None


# --- the step between password and code -------------------------------------------------------

def pending_marker(staff, remember, now=None):
    """What the session keeps between the right password and the code: no secret, only who and when."""
    return {"id": staff.id, "v": staff.session_version, "remember": bool(remember),
            "at": int(time.time() if now is None else now)}


def account_for_marker(marker, now=None):
    """(staff user, remember) for a marker that is fresh and still matches the account, else None.

    A marker is refused once TWO_FACTOR_PENDING_SECONDS have passed, or when the account's
    sessions were ended, it was deactivated, or its two-factor was reset since the password step.
    """
    if not isinstance(marker, dict):
        return None
    try:
        staff_id, version, issued = int(marker["id"]), int(marker["v"]), int(marker["at"])
    except (KeyError, TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    if not 0 <= now - issued <= current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        return None
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not staff.is_active or staff.session_version != version or not staff.two_factor_enabled:
        return None
    return staff, bool(marker.get("remember"))


# --- enrolment --------------------------------------------------------------------------------

def proves_identity(staff, proof, now=None):
    """True when `proof` is the staff user's current code (used up) or their password."""
    if staff.two_factor_enabled and SIX_DIGITS.match(_digits(proof)):
        return use_totp_code(staff, proof, now)
    return passwords.verify_password(staff.password_hash, proof or "")


def start_enrolment(staff):
    """A new secret for the staff user's app, waiting until a code from it is confirmed."""
    staff.totp_pending_secret = pyotp.random_base32()  # 32 characters, 160 bits
    db.session.flush()
    return staff.totp_pending_secret


def cancel_enrolment(staff):
    """Forget a secret that was never confirmed (the current one, if any, stays)."""
    staff.totp_pending_secret = None


def confirm_enrolment(staff, code, now=None):
    """Switch to the waiting secret when `code` comes from it: new recovery codes, the account's
    other sessions end (the caller keeps its own), audited.

    Returns the ten recovery codes in plain text (to show once), or None when the code is wrong.
    """
    step = matching_step(staff.totp_pending_secret, code, now)
    if step is None:
        return None
    again = staff.two_factor_enabled
    staff.totp_secret, staff.totp_pending_secret = staff.totp_pending_secret, None
    staff.totp_enabled_at = utcnow()
    staff.totp_last_counter = step  # the code that confirmed it cannot also log in
    staff.session_version += 1
    codes = new_recovery_codes(staff)
    record("staff.2fa_reenrol" if again else "staff.2fa_enrol", staff, actor=staff,
           after={"recovery_codes_left": len(codes)})
    return codes


def reset_two_factor(staff, actor):
    """An admin turns two-factor off for `staff` (a lost phone): they enrol again, their sessions end."""
    staff.totp_secret = staff.totp_pending_secret = None
    staff.totp_enabled_at = staff.totp_last_counter = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    staff.session_version += 1
    record("staff.2fa_reset", staff, actor=actor)
