"""Notices: one in-app notification per recipient, with a delivery log per channel (in the app,
e-mail, text message; paper is recorded by staff), sent off the request path.

`notify` writes the notifications and their deliveries in bulk and, on commit, enqueues the
worker's task that sends the e-mails and texts (deliberation/delivery.py). What a notice says
is rendered in the reader's language when it is read (deliberation/notice_text.py).
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from communities import contact
from communities.models import Position
from deliberation import delivery
from deliberation.models import Delivery, Notification
from deliberation.notice_text import (  # noqa: F401 - the notices' public names
    HIDDEN_TEXT_KEYS,
    SUBJECT_MAX_CHARS,
    TEMPLATES,
    message,
    subject_line,
)

CHUNK = 1000  # rows per INSERT and ids per IN (...) list


def people_of(organizations) -> set[int]:
    """User ids holding a current position in any of these organisations."""
    ids = [org.pk for org in organizations if org is not None]
    if not ids:
        return set()
    return set(
        Position.objects.current().filter(organization_id__in=ids).values_list("user_id", flat=True)
    )


def _ids(user_ids) -> set[int]:
    return {uid for uid in user_ids if uid is not None}


def notify(user_ids, kind: str, *, matter=None, data=None, exclude=None, reach=False) -> int:
    """Create one notification per recipient (never the actor), with its deliveries: in the app
    at once, by e-mail where the recipient gave an address and, for notices that must `reach`
    the electorate, by text where a phone is known; those two are queued and sent on commit."""
    recipients = _ids(user_ids) - {getattr(exclude, "pk", exclude)}
    if not recipients:
        return 0
    data = dict(data or {})
    if matter is not None:
        data.setdefault("ref", matter.reference)
        data.setdefault("title", matter.title)
        data.setdefault("procedure", matter.procedure)
    now = timezone.now()
    ordered = sorted(recipients)
    rows = Notification.objects.bulk_create(
        [
            Notification(recipient_id=uid, matter=matter, kind=kind, data=data, created_at=now)
            for uid in ordered
        ],
        batch_size=CHUNK,
    )
    users = {}
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        users.update(get_user_model().objects.filter(pk__in=chunk).in_bulk())
    deliveries = []
    for row in rows:
        user = users.get(row.recipient_id)
        deliveries.append(
            Delivery(
                notification=row,
                channel=Delivery.Channel.IN_APP,
                state=Delivery.State.SENT,
                sent_at=now,
                created_at=now,
            )
        )
        if user is not None and contact.email_of(user):
            deliveries.append(
                Delivery(notification=row, channel=Delivery.Channel.EMAIL, created_at=now)
            )
        if reach and user is not None and contact.phone_of(user):
            deliveries.append(
                Delivery(notification=row, channel=Delivery.Channel.SMS, created_at=now)
            )
    created = Delivery.objects.bulk_create(deliveries, batch_size=CHUNK)
    queued = [d.pk for d in created if d.state == Delivery.State.QUEUED]
    if queued:
        transaction.on_commit(lambda: delivery.enqueue(queued))
    return len(rows)


def mark_read(notification_ids, now) -> None:
    """The in-app deliveries of these notifications were read (their notice opened)."""
    Delivery.objects.filter(
        notification_id__in=notification_ids, channel=Delivery.Channel.IN_APP
    ).exclude(state=Delivery.State.READ).update(state=Delivery.State.READ, read_at=now)
