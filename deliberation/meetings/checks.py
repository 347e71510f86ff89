"""The refusals every meeting service shares: only the chair, and only while in session."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from deliberation import access
from deliberation.models import Meeting
from deliberation.services.common import require_signed_in


def require_chair(user, meeting) -> None:
    """Refuse anyone but the meeting's chair (or the current item's acting chair)."""
    require_signed_in(user)
    if not access.may_chair(user, meeting):
        raise PermissionDenied(_("Only the meeting's chair may do that."))


def require_live(meeting) -> None:
    """Refuse while the meeting is not in session."""
    if meeting.status != Meeting.Status.LIVE:
        raise ValidationError(_("The meeting is not in session."))
