"""Events forms: the member's Register and Cancel registration buttons (a CSRF token, nothing else)."""

from portal.forms import PortalForm


class RegisterForm(PortalForm):
    """Register for an event: the event is in the URL, the member is the one logged in."""


class CancelRegistrationForm(PortalForm):
    """Cancel one's own registration for the event in the URL."""
