"""Member profile changes."""

PROFILE_FIELDS = (
    "name", "phone", "birthday_month", "birthday_day", "birth_year", "language",
    "marketing_emails", "survey_emails", "event_reminders",
)


def update_profile(member, **changes):
    """Apply contact details, language and communication preferences to `member`."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    for field, value in changes.items():
        if isinstance(value, str):
            value = value.strip() or None
        if field == "name" and not value:
            raise ValueError("a member needs a name")
        setattr(member, field, value)
    return member
