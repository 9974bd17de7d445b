"""Staff accounts: the team lead's list, role changes, and a staff user's own password."""

from sqlalchemy import func, select

from portal.audit.services import record
from portal.auth import services
from portal.auth.models import ROLES, RecoveryCode, StaffUser
from portal.extensions import db


class LastAdmin(Exception):
    """The change would leave the programme without an active team lead."""


def all_staff():
    """Every staff user by name, each with whether two-factor is on: [(staff, codes_left)]."""
    left = (select(RecoveryCode.staff_id, func.count().label("left"))
            .where(RecoveryCode.used_at.is_(None)).group_by(RecoveryCode.staff_id).subquery())
    rows = db.session.execute(
        select(StaffUser, func.coalesce(left.c.left, 0))
        .outerjoin(left, left.c.staff_id == StaffUser.id)
        .order_by(StaffUser.name, StaffUser.id)
    ).all()
    return [(staff, codes_left) for staff, codes_left in rows]


def staff_user(staff_id):
    """The staff user with `staff_id`, or None."""
    return db.session.get(StaffUser, staff_id)


def change_role(staff, role, actor, reason):
    """Give `staff` the role `role`, with a reason; audited. Raises LastAdmin rather than leave no admin."""
    if role not in ROLES:
        raise ValueError(role)
    if role == staff.role:
        return None
    if staff.role == "admin" and staff.active:
        # Lock the active admins' rows so that two admins demoting each other at once cannot both succeed.
        admins = db.session.scalars(
            select(StaffUser.id).where(StaffUser.role == "admin", StaffUser.active.is_(True))
            .with_for_update()
        ).all()
        if set(admins) <= {staff.id}:
            raise LastAdmin()
    before = staff.role
    staff.role = role
    db.session.flush()
    return record("staff.role_change", staff, actor=actor, before={"role": before}, after={"role": role},
                  reason=reason.strip())


def change_own_password(staff, current_password, new_password):
    """A staff user changes their password (other sessions end); audited. False when the current one is wrong."""
    if not services.change_password(staff, current_password, new_password):
        return False
    record("staff.password_change", staff, actor=staff)
    return True
