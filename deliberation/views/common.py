"""What every deliberation page shares."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def error_text(error: Exception) -> str:
    """A refusal in words a person can act on."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do that.")
