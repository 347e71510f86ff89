"""Text messages (短信) through a pluggable backend: `settings.SMS_BACKEND` names a class.

A backend has one method, `send(phone, text) -> None`, which returns when the provider has
accepted the message and raises `SMSError` (with the provider's reason) when it has not. The
default, `LogSMSBackend`, writes each message to the log; docs/deploy.md shows how to plug in a
provider.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SMSError(Exception):
    """A message the provider did not accept; str() is the reason kept in the delivery log."""


class BaseSMSBackend:
    """The interface: subclass it and implement `send`."""

    def send(self, phone: str, text: str) -> None:
        """Hand one message to the provider, or raise SMSError with the reason."""
        raise NotImplementedError


class LogSMSBackend(BaseSMSBackend):
    """Writes each message to the log instead of sending it (the embedded default)."""

    def send(self, phone: str, text: str) -> None:
        if not phone:
            raise SMSError("no phone number")
        log.info("SMS to %s: %s", phone, text)


def get_backend(path: str | None = None) -> BaseSMSBackend:
    """An instance of the configured backend; a bad setting is ImproperlyConfigured, named."""
    path = path or settings.SMS_BACKEND
    try:
        backend_class = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"SMS_BACKEND {path!r} cannot be imported: {error}. Give the dotted path of a class "
            "with a send(phone, text) method (docs/deploy.md)."
        ) from error
    if not (isinstance(backend_class, type) and callable(getattr(backend_class, "send", None))):
        raise ImproperlyConfigured(
            f"SMS_BACKEND {path!r} is not a class with a send(phone, text) method."
        )
    return backend_class()
