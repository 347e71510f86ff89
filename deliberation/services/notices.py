"""Notices: marking one's notifications read, and the daily reminders of overdue matters."""

from django.db import transaction
from django.utils import timezone

from deliberation import access
from deliberation import notify as notices
from deliberation.models import Matter, Notification
from deliberation.services.common import actor_ids, require_signed_in, stakeholder_ids


def mark_notifications_read(actor, ids=None, *, matter=None) -> int:
    """Mark the actor's notifications as read: all, these ids, or those about one matter (read
    by opening its page)."""
    require_signed_in(actor)
    qs = actor.notifications.filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if matter is not None:
        qs = qs.filter(matter=matter)
    return qs.update(read_at=timezone.now())


def remind_overdue(now=None) -> int:
    """Notify the bodies that must act on each overdue matter, at most once a day per matter."""
    now = now or timezone.now()
    since = now - timezone.timedelta(days=1)
    recent = Notification.objects.filter(kind="overdue", created_at__gte=since).values("matter_id")
    reminded = 0
    overdue = (
        Matter.objects.filter(access.overdue_q(now))
        .exclude(pk__in=recent)
        .select_related("community")
        .distinct()
    )
    for matter in overdue:
        with transaction.atomic():
            recipients = actor_ids(matter) | stakeholder_ids(matter)
            recipients |= notices.people_of(
                e.to_organization for e in matter.escalations.filter(answered_at__isnull=True)
            )
            notices.notify(recipients, "overdue", matter=matter)
        reminded += 1
    return reminded
