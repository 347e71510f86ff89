"""The delivery log: each notice's channels go queued → sent (or failed, with the reason) →
read; a failed try is retried by the tick a bounded number of times, then failed for good; a
notice whose task never ran is picked up by the tick; nothing is silently lost."""

from types import SimpleNamespace

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from deliberation import delivery, notify, services
from deliberation.models import Delivery, Notification


@pytest.fixture
def mail_for(world):
    def give(*names):
        for name in names:
            user = world.cast[name]
            user.email = f"{name}@example.org"
            user.save(update_fields=["email"])
        return [world.cast[name] for name in names]

    return give


def log_of(user, channel, kind="overdue"):
    return Delivery.objects.get(
        notification__recipient=user, notification__kind=kind, channel=channel
    )


def test_an_in_app_notice_is_sent_then_read_when_opened(world, mail_for):
    resident = world.cast["resident"]
    notify.notify({resident.pk}, "overdue", data={"ref": "LH-1"})
    in_app = log_of(resident, Delivery.Channel.IN_APP)
    assert in_app.state == Delivery.State.SENT and in_app.read_at is None
    assert not Delivery.objects.filter(channel=Delivery.Channel.EMAIL).exists()  # no address
    services.mark_notifications_read(resident)
    in_app.refresh_from_db()
    assert in_app.state == Delivery.State.READ and in_app.read_at is not None


def test_an_email_is_queued_then_sent_on_commit(
    world, mail_for, mailoutbox, django_capture_on_commit_callbacks
):
    [resident] = mail_for("resident")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify.notify({resident.pk}, "overdue", data={"ref": "LH-1"})
    email = log_of(resident, Delivery.Channel.EMAIL)
    assert email.state == Delivery.State.QUEUED and mailoutbox == []
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert email.state == Delivery.State.SENT and email.attempts == 1 and email.sent_at
    assert [m.to for m in mailoutbox] == [["resident@example.org"]]


def test_nothing_is_queued_if_the_action_rolls_back(world, mail_for, mailoutbox):
    from django.db import transaction

    [resident] = mail_for("resident")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.notify({resident.pk}, "overdue", data={"ref": "LH-1"})
        raise RuntimeError
    assert not Notification.objects.filter(kind="overdue").exists() and mailoutbox == []


@pytest.fixture
def refusing_mail_server(monkeypatch):
    """Every message to the resident is refused by the mail server; the others go."""
    send = EmailBackend.send_messages

    def refuse(self, messages):
        if any("resident@example.org" in m.to for m in messages):
            raise ConnectionResetError("550 mailbox unavailable")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)


def test_a_failed_email_is_retried_then_marked_failed_with_the_reason(
    world, mail_for, refusing_mail_server, settings, django_capture_on_commit_callbacks
):
    settings.NOTICE_MAX_ATTEMPTS = 3
    settings.NOTICE_RETRY_AFTER_SECONDS = 0
    resident, owner = mail_for("resident", "owner")
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify({resident.pk, owner.pk}, "overdue", data={"ref": "LH-1"})
    failing = log_of(resident, Delivery.Channel.EMAIL)
    assert (failing.state, failing.attempts) == (Delivery.State.QUEUED, 1)
    assert "550 mailbox unavailable" in failing.reason
    assert log_of(owner, Delivery.Channel.EMAIL).state == Delivery.State.SENT
    assert delivery.retry_pending() == 1  # the tick tries again
    failing.refresh_from_db()
    assert (failing.state, failing.attempts) == (Delivery.State.QUEUED, 2)
    assert delivery.retry_pending() == 1
    failing.refresh_from_db()
    assert (failing.state, failing.attempts) == (Delivery.State.FAILED, 3)
    assert "550 mailbox unavailable" in failing.reason
    assert delivery.retry_pending() == 0  # bounded: no fourth try
    assert log_of(owner, Delivery.Channel.EMAIL).attempts == 1  # sent once, never again


def test_a_retry_waits_for_its_time(world, mail_for, refusing_mail_server, settings):
    settings.NOTICE_RETRY_AFTER_SECONDS = 120
    [resident] = mail_for("resident")
    notify.notify({resident.pk}, "overdue", data={"ref": "LH-1"})
    delivery.send(list(Delivery.objects.values_list("pk", flat=True)))
    assert delivery.retry_pending() == 0
    later = timezone.now() + timezone.timedelta(seconds=121)
    assert delivery.retry_pending(later) == 1


def test_a_notice_whose_task_never_ran_is_sent_by_the_tick(
    world, mail_for, mailoutbox, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.NOTICE_RETRY_AFTER_SECONDS = 0
    [resident] = mail_for("resident")

    def lost(*args, **kwargs):
        raise ConnectionError("the task queue is down")

    monkeypatch.setattr(delivery, "send_deliveries", SimpleNamespace(enqueue=lost))
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify({resident.pk}, "overdue", data={"ref": "LH-1"})
    assert log_of(resident, Delivery.Channel.EMAIL).state == Delivery.State.QUEUED
    monkeypatch.undo()
    assert delivery.retry_pending() == 1
    assert log_of(resident, Delivery.Channel.EMAIL).state == Delivery.State.SENT
    assert len(mailoutbox) == 1


def test_an_address_removed_before_sending_fails_with_the_reason(world, mail_for, settings):
    settings.NOTICE_MAX_ATTEMPTS = 1
    [resident] = mail_for("resident")
    notify.notify({resident.pk}, "overdue", data={"ref": "LH-1"})
    resident.email = ""
    resident.save(update_fields=["email"])
    delivery.send(list(Delivery.objects.values_list("pk", flat=True)))
    failed = log_of(resident, Delivery.Channel.EMAIL)
    assert failed.state == Delivery.State.FAILED and failed.reason == "no e-mail address"


def test_a_text_goes_through_the_sms_backend_when_a_phone_is_known(
    world, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from communities import contact

    monkeypatch.setattr(contact, "phone_of", lambda user: "13800000000")
    resident = world.cast["resident"]
    with caplog.at_level("INFO", logger="communities.sms"):
        with django_capture_on_commit_callbacks(execute=True):
            notify.notify(
                {resident.pk},
                "owners_notice",
                data={"ref": "LH-1", "title": "t", "agenda": "a"},
                reach=True,
            )
            notify.notify({resident.pk}, "comment", data={"ref": "LH-1"})  # not by text
    texts = Delivery.objects.filter(channel=Delivery.Channel.SMS)
    assert [t.state for t in texts] == [Delivery.State.SENT]
    assert "SMS to 13800000000" in caplog.text and "LH-1" in caplog.text


def test_a_text_the_provider_refuses_is_logged_with_its_reason(
    world, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from communities import contact, sms

    class Refusing(sms.BaseSMSBackend):
        def send(self, phone, text):
            raise sms.SMSError("号码已停机")

    monkeypatch.setattr(sms, "get_backend", lambda: Refusing())
    monkeypatch.setattr(contact, "phone_of", lambda user: "13800000000")
    settings.NOTICE_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify({world.cast["resident"].pk}, "owners_notice", reach=True)
    text = Delivery.objects.get(channel=Delivery.Channel.SMS)
    assert (text.state, text.reason) == (Delivery.State.FAILED, "号码已停机")
