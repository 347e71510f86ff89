"""Check-in at the door (签到): each invitee's personal code, and staff checking them in with it.

A code names the meeting and the person and carries an HMAC of both under the site's secret key
(salted for this use only), so it cannot be guessed or forged, and a code for one meeting is
refused at another. It is short enough to type where no camera reads it
("<meeting>-<person>-<10 letters>"). A check-in counts towards presence and the quorum like an
open stay in the room (`services.attendance`): once per person, however they are present.
"""

import base64
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from communities import audit
from deliberation import access, meeting_log
from deliberation.meetings.room import electorate_user_ids
from deliberation.models import CheckIn, Meeting
from deliberation.services.common import clean_text, require_signed_in

SALT = "gongzhi.deliberation.checkin"
SIGNATURE_LETTERS = 10  # 50 bits of base32: far beyond guessing at the door
OPEN_FOR_CHECK_IN = (Meeting.Status.SCHEDULED, Meeting.Status.LIVE)
_CODE_RE = re.compile(r"([0-9]{1,12})-([0-9]{1,12})-([A-Z2-7]{10})")  # 10: SIGNATURE_LETTERS
# Letters people mistype for base32 ones when they copy a printed code.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def _signature(meeting_id: int, user_id: int) -> str:
    digest = salted_hmac(SALT, f"{meeting_id}:{user_id}", algorithm="sha256").digest()
    return base64.b32encode(digest).decode()[:SIGNATURE_LETTERS]


def code_for(meeting, user) -> str:
    """The person's check-in code for this meeting (the same every time it is shown)."""
    return f"{meeting.pk}-{user.pk}-{_signature(meeting.pk, user.pk)}"


def read_code(meeting, text: str) -> int | None:
    """The user id a typed or scanned code names, if it is a genuine code for this meeting."""
    if not isinstance(text, str) or len(text) > 100:
        return None
    text = re.sub(r"\s+", "", text).upper()
    meeting_part, _sep, rest = text.partition("-")
    user_part, _sep, signature = rest.partition("-")
    signature = signature.replace("-", "").translate(_LOOKALIKES)
    match = _CODE_RE.fullmatch(f"{meeting_part}-{user_part}-{signature}")
    if match is None or int(match[1]) != meeting.pk:
        return None
    user_id = int(match[2])
    if not constant_time_compare(match[3], _signature(meeting.pk, user_id)):
        return None
    return user_id


def is_invitee(user, meeting) -> bool:
    """Whether `user` is invited: in the meeting's electorate (`room.electorate_user_ids`), or,
    where it has none, anyone who may attend."""
    electorate = electorate_user_ids(meeting)
    if electorate is None:
        return access.may_attend(user, meeting)
    if not user.is_authenticated or not user.is_active:
        return False
    return get_user_model().objects.filter(pk=user.pk).filter(pk__in=electorate).exists()


def _require_staff(actor, meeting) -> None:
    require_signed_in(actor)
    if not access.may_check_in(actor, meeting):
        raise PermissionDenied(
            _("Only the meeting's chair or the staff of the body convening it may check people in.")
        )


def _require_open(meeting) -> Meeting:
    meeting = Meeting.objects.select_related("community", "estate").get(pk=meeting.pk)
    if meeting.status not in OPEN_FOR_CHECK_IN:
        raise ValidationError(_("Check-in is open only while the meeting is scheduled or sitting."))
    return meeting


def check_in(actor, meeting, code: str) -> CheckIn:
    """Staff check in the person a scanned or typed code names: once; counts at once."""
    _require_staff(actor, meeting)
    meeting = _require_open(meeting)
    user_id = read_code(meeting, code)
    if user_id is None:
        raise ValidationError(_("This is not a check-in code for this meeting."))
    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None or not is_invitee(person, meeting):
        raise ValidationError(_("This person is not invited to this meeting."))
    already = _("%(name)s is already checked in.") % {"name": person}
    with transaction.atomic():
        if CheckIn.objects.filter(meeting=meeting, user=person, undone_at__isnull=True).exists():
            raise ValidationError(already)
        try:
            with transaction.atomic():
                entry = CheckIn.objects.create(meeting=meeting, user=person, checked_in_by=actor)
        except IntegrityError:  # a second scanner was quicker
            raise ValidationError(already) from None
        audit.record(
            actor, "meeting.checked_in", meeting, community=meeting.community,
            data={"user": person.pk},
        )  # fmt: skip
        meeting_log.figures_changed(meeting, "presence")
    return entry


def undo_check_in(actor, meeting, user_id: int, reason: str) -> CheckIn:
    """Staff undo a check-in (a wrong scan, someone who left), with the reason in the audit log."""
    _require_staff(actor, meeting)
    meeting = _require_open(meeting)
    reason = clean_text(reason, _("reason"), limit=200)
    with transaction.atomic():
        entry = (
            CheckIn.objects.select_for_update()
            .filter(meeting=meeting, user_id=user_id, undone_at__isnull=True)
            .first()
        )
        if entry is None:
            raise ValidationError(_("This person is not checked in."))
        entry.undone_at = timezone.now()
        entry.undone_by = actor
        entry.undo_reason = reason
        entry.save(update_fields=["undone_at", "undone_by", "undo_reason"])
        audit.record(
            actor, "meeting.check_in_undone", meeting, community=meeting.community,
            data={"user": entry.user_id, "reason": reason},
        )  # fmt: skip
        meeting_log.figures_changed(meeting, "presence")
    return entry


def checked_in(meeting, limit: int = 200) -> list[CheckIn]:
    """The latest check-ins still standing, newest first, for the staff's page."""
    rows = CheckIn.objects.filter(meeting=meeting, undone_at__isnull=True).select_related("user")
    return list(rows.order_by("-checked_in_at", "-pk")[:limit])
