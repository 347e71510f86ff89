"""Notices by e-mail through Django's SMTP backend to a real SMTP server on 127.0.0.1
(aiosmtpd, started here): the message arrives, and the delivery log says sent."""

import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from deliberation import notify
from deliberation.models import Delivery


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield inbox
    controller.stop()


def test_it_sends_a_notice_through_a_real_smtp_server(
    world, smtp_server, django_capture_on_commit_callbacks
):
    owner = world.cast["owner"]
    owner.email = "owner@example.org"
    owner.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify(
            {owner.pk},
            "owners_notice",
            data={"ref": "LH-2026-0007", "title": "续聘物业", "agenda": "1. 续聘物业？"},
            reach=True,
        )
    [(recipients, content)] = smtp_server.messages
    assert recipients == ["owner@example.org"]
    mail = message_from_bytes(content)
    assert "LH-2026-0007" in str(make_header(decode_header(mail["Subject"])))
    assert "续聘物业" in mail.get_payload(decode=True).decode(mail.get_content_charset())
    sent = Delivery.objects.get(channel=Delivery.Channel.EMAIL, notification__recipient=owner)
    assert sent.state == Delivery.State.SENT and sent.attempts == 1


def test_a_server_that_is_down_leaves_the_notice_queued_with_the_reason(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    owner = world.cast["owner"]
    owner.email = "owner@example.org"
    owner.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify({owner.pk}, "overdue", data={"ref": "LH-1"})
    queued = Delivery.objects.get(channel=Delivery.Channel.EMAIL, notification__recipient=owner)
    assert queued.state == Delivery.State.QUEUED and queued.attempts == 1
    assert "could not reach the mail server" in queued.reason
