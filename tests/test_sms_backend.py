"""The text-message backend: named by SMS_BACKEND, loaded with a clear error when the setting
is wrong, and the default that writes each message to the log."""

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from communities import sms


class Recording(sms.BaseSMSBackend):
    """A backend defined by the test, to show that the setting's class is the one used."""

    def send(self, phone, text):
        pass


def test_it_loads_the_backend_the_setting_names(settings):
    settings.SMS_BACKEND = "tests.test_sms_backend.Recording"
    assert isinstance(sms.get_backend(), Recording)


def test_the_default_is_the_log_backend(settings):
    assert settings.SMS_BACKEND == "communities.sms.LogSMSBackend"
    assert isinstance(sms.get_backend(), sms.LogSMSBackend)


@pytest.mark.parametrize(
    "path",
    ["no.such.module.Backend", "communities.sms.NoSuchBackend", "nodots", "communities.sms.log"],
)
def test_a_bad_dotted_path_is_improperly_configured_and_named(settings, path):
    settings.SMS_BACKEND = path
    with pytest.raises(ImproperlyConfigured, match="SMS_BACKEND") as raised:
        sms.get_backend()
    assert path in str(raised.value)


def test_the_log_backend_writes_the_message_to_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="communities.sms"):
        sms.LogSMSBackend().send("13800000000", "业主大会公告：续聘物业")
    [record] = [r for r in caplog.records if r.name == "communities.sms"]
    assert "13800000000" in record.getMessage() and "续聘物业" in record.getMessage()


def test_the_log_backend_refuses_a_message_without_a_number():
    with pytest.raises(sms.SMSError, match="no phone number"):
        sms.LogSMSBackend().send("", "text")


def test_the_interface_must_be_implemented():
    with pytest.raises(NotImplementedError):
        sms.BaseSMSBackend().send("13800000000", "text")
