"""Paper delivery (纸质送达): staff of the responsible body record that a printed notice reached a
recipient, e.g. slipped under the door by a building head (楼长), in the notices' delivery log."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from deliberation import access
from deliberation.delivery_log import TRACKED_KINDS
from deliberation.models import Delivery, Notification
from deliberation.services.common import require_signed_in

NOTE_MAX = 200


def record_paper_delivery(actor, matter, notification_id, *, note: str = "") -> Delivery:
    """Record that the printed copy of one of the matter's notices reached its recipient. Only
    the body responsible for the matter may; a notice is recorded on paper once."""
    require_signed_in(actor)
    if not access.answers_for_notices(actor, matter):
        raise PermissionDenied(
            _("Only the body responsible for this matter records paper deliveries.")
        )
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise ValidationError(_("The note is too long (at most 200 characters)."))
    try:
        notice = Notification.objects.get(
            pk=int(notification_id), matter=matter, kind__in=TRACKED_KINDS
        )
    except (Notification.DoesNotExist, TypeError, ValueError):
        raise ValidationError(_("Choose a recipient of this matter's notice.")) from None
    now = timezone.now()
    with transaction.atomic():
        if Delivery.objects.filter(notification=notice, channel=Delivery.Channel.PAPER).exists():
            raise ValidationError(_("A paper delivery to this recipient is already recorded."))
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    notification=notice,
                    channel=Delivery.Channel.PAPER,
                    state=Delivery.State.SENT,
                    attempts=1,
                    last_attempt_at=now,
                    sent_at=now,
                    recorded_by=actor,
                    note=note,
                )
        except IntegrityError:
            raise ValidationError(
                _("A paper delivery to this recipient is already recorded.")
            ) from None
        audit.record(
            actor,
            "notice.paper_delivered",
            delivery,
            community=matter.community,
            data={
                "matter": matter.reference,
                "kind": notice.kind,
                "recipient": notice.recipient_id,
                "note": note,
            },
        )
    return delivery
