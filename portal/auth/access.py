"""Who may see what: members see member pages, staff see the admin pages their role allows."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def member_required(view):
    """Only a logged-in member; staff and anyone else get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_member:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def staff_required(*roles):
    """Only logged-in staff holding one of `roles` (any staff when none are named)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_user.is_staff or (roles and not current_user.has_role(*roles)):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
