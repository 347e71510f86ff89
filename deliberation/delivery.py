"""Sending notices off the request path: e-mails and text messages go out from a django-tasks
worker in batches, and every try is written to the delivery log.

The request stores the notices and their deliveries (queued) and enqueues `send_deliveries`
on commit. A try that fails keeps the delivery queued with the reason and one more attempt;
the tick (`retry_pending`) enqueues it again after NOTICE_RETRY_AFTER_SECONDS, and after
NOTICE_MAX_ATTEMPTS it is marked failed with the last reason. A delivery whose task was never
run (a lost enqueue, a worker that died) is queued still and the same sweep picks it up: no
notice is silently lost.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from communities import contact, sms
from deliberation.models import Delivery
from deliberation.notice_text import message, subject_line

# The notices' one logger (the name the notices have always logged under).
log = logging.getLogger("deliberation.notify")

SENT_OUTSIDE = (Delivery.Channel.EMAIL, Delivery.Channel.SMS)
REASON_MAX = 300


def enqueue(delivery_ids) -> int:
    """Enqueue `send_deliveries` for these ids in batches; an enqueue that fails is logged and
    left to the tick's sweep (the deliveries stay queued). Returns the number of tasks."""
    ids = sorted(delivery_ids)
    size = settings.NOTICE_BATCH_SIZE
    tasks = 0
    for start in range(0, len(ids), size):
        try:
            send_deliveries.enqueue(ids[start : start + size])
            tasks += 1
        except Exception:
            log.exception("Notices: %d deliveries could not be enqueued; the tick retries.", size)
    return tasks


@task()
def send_deliveries(delivery_ids: list[int]) -> dict:
    """The worker's task: send these deliveries (those still queued) and log each try."""
    return send(delivery_ids)


def _claim(ids, now) -> list[Delivery]:
    """Take the queued deliveries among `ids` that no other worker is trying now, counting the
    attempt before it is made (a worker that dies mid-send still used one)."""
    lease = now - timezone.timedelta(seconds=settings.NOTICE_RETRY_AFTER_SECONDS)
    Delivery.objects.filter(pk__in=ids, state=Delivery.State.QUEUED).filter(
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=lease)
    ).update(attempts=F("attempts") + 1, last_attempt_at=now)
    return list(
        Delivery.objects.filter(
            pk__in=ids, state=Delivery.State.QUEUED, last_attempt_at=now
        ).select_related("notification__recipient")
    )


def _failed(row: Delivery, reason: str) -> None:
    """Record a failed try: queued again while attempts remain, else failed for good."""
    final = row.attempts >= settings.NOTICE_MAX_ATTEMPTS
    Delivery.objects.filter(pk=row.pk).update(
        state=Delivery.State.FAILED if final else Delivery.State.QUEUED,
        reason=reason[:REASON_MAX],
    )


def send(delivery_ids, now=None) -> dict:
    """Send the queued e-mail and text deliveries among `delivery_ids`; say how many went."""
    now = now or timezone.now()
    rows = _claim(list(delivery_ids), now)
    sent: list[int] = []
    with translation.override(settings.LANGUAGE_CODE):
        emails = [r for r in rows if r.channel == Delivery.Channel.EMAIL]
        texts = [r for r in rows if r.channel == Delivery.Channel.SMS]
        sent += _send_emails(emails)
        sent += _send_texts(texts)
    if sent:
        Delivery.objects.filter(pk__in=sent).update(
            state=Delivery.State.SENT, sent_at=timezone.now(), reason=""
        )
    return {"tried": len(rows), "sent": len(sent)}


def _send_emails(rows) -> list[int]:
    """One e-mail per delivery, each sent on its own: one that fails is logged and the others
    still go. The notice itself is already stored in the app."""
    if not rows:
        return []
    subject_prefix = _("Gongzhi")
    messages = []
    for row in rows:
        address = contact.email_of(row.notification.recipient)
        if not address:
            _failed(row, "no e-mail address")
            continue
        text = message(row.notification)
        mail = EmailMessage(subject_line(f"[{subject_prefix}] {text}"), text, to=[address])
        messages.append((row, mail))
    try:
        connection = get_connection()
        connection.open()
    except Exception as error:
        # A mail server outage must not lose the notices: each is tried again later.
        log.exception(
            "Notification e-mail: could not reach the mail server; %d not sent.", len(messages)
        )
        for row, _mail in messages:
            _failed(row, f"could not reach the mail server: {error}")
        return []
    sent = []
    try:
        for row, mail in messages:
            try:
                connection.send_messages([mail])
                sent.append(row.pk)
            except Exception as error:
                log.exception(
                    "Notification e-mail %s to user %s was not sent.",
                    row.notification_id,
                    row.notification.recipient_id,
                )
                _failed(row, f"{type(error).__name__}: {error}")
    finally:
        try:
            connection.close()
        except Exception:
            log.exception("Notification e-mail: closing the connection failed.")
    return sent


def _send_texts(rows) -> list[int]:
    """One text per delivery through the configured SMS backend."""
    if not rows:
        return []
    backend = sms.get_backend()
    sent = []
    for row in rows:
        phone = contact.phone_of(row.notification.recipient)
        try:
            if not phone:
                raise sms.SMSError("no phone number")
            backend.send(phone, message(row.notification))
            sent.append(row.pk)
        except Exception as error:
            log.warning("Notification text %s was not sent: %s", row.notification_id, error)
            _failed(row, str(error) or type(error).__name__)
    return sent


def retry_pending(now=None) -> int:
    """Enqueue again the e-mails and texts still queued after their retry time: a failed try
    with attempts left, or a task that never ran. Run by the tick; returns how many."""
    now = now or timezone.now()
    due = now - timezone.timedelta(seconds=settings.NOTICE_RETRY_AFTER_SECONDS)
    ids = list(
        Delivery.objects.filter(state=Delivery.State.QUEUED, channel__in=SENT_OUTSIDE)
        .filter(Q(last_attempt_at__lte=due) | Q(last_attempt_at__isnull=True, created_at__lte=due))
        .values_list("pk", flat=True)
    )
    enqueue(ids)
    return len(ids)
