"""How a person can be reached outside the app: the one place that reads their addresses."""


def email_of(user) -> str:
    """The person's e-mail address, or "" when they gave none."""
    return (getattr(user, "email", "") or "").strip()


def phone_of(user) -> str:
    """The person's mobile number for text messages, or "" when there is none.

    The phone lives on the profile that the accounts work adds; this is the one reader, to be
    wired to it there (until then nobody has a phone and no text is queued)."""
    return ""
