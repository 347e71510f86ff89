"""Notification e-mails: a line break in a title or a question no longer drops the batch (a
mail header may not hold one), subjects stay one bounded line, and one message that fails to
send is logged while the others still go."""

import logging

import pytest
from django.core.mail.backends.locmem import EmailBackend

from deliberation import services
from deliberation.notify import SUBJECT_MAX_CHARS, subject_line
from tests.walks import FOUR, propose, walk_to


@pytest.fixture
def everyone_has_mail(world):
    for name, user in world.cast.items():
        user.email = f"{name}@example.org"
        user.save(update_fields=["email"])
    return world


def propose_to_all(world, title):
    return propose(world, FOUR, title=title, stakeholders=list(world.orgs.values()))


def test_it_sends_a_title_with_a_line_break(
    everyone_has_mail, mailoutbox, django_capture_on_commit_callbacks
):
    world = everyone_has_mail
    with django_capture_on_commit_callbacks(execute=True):
        matter = propose_to_all(world, "加装电梯\r\n（三号楼）")
    assert len(mailoutbox) >= 5
    for mail in mailoutbox:
        assert "\n" not in mail.subject and "\r" not in mail.subject
        assert f"{matter.reference}" in mail.subject and "加装电梯 （三号楼）" in mail.subject
        mail.message()  # the header is valid as sent


def test_it_sends_a_poll_question_with_a_line_break(
    everyone_has_mail, mailoutbox, django_capture_on_commit_callbacks
):
    world = everyone_has_mail
    matter = walk_to(world, propose_to_all(world, "加装电梯"), "review")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.create_poll(
            world.cast["party_secretary"],
            matter,
            question="是否同意？\n\u2028请投票",
            kind="yes_no_abstain",
        )
    subjects = {mail.subject for mail in mailoutbox}
    assert subjects and all("是否同意？ 请投票" in subject for subject in subjects), subjects


def test_one_failing_message_does_not_stop_the_others(
    everyone_has_mail, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    world = everyone_has_mail
    refused = "ws_staff@example.org"
    send = EmailBackend.send_messages

    def flaky(self, messages):
        if any(refused in message.to for message in messages):
            raise ConnectionResetError("the mail server hung up")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with caplog.at_level(logging.ERROR, logger="deliberation.notify"):
        with django_capture_on_commit_callbacks(execute=True):
            propose_to_all(world, "加装电梯")
    sent = {address for mail in mailoutbox for address in mail.to}
    assert refused not in sent
    assert len(sent) >= 5 and "rc_director@example.org" in sent
    assert "so_member@example.org" in sent
    [record] = caplog.records
    assert "was not sent" in record.getMessage() and record.exc_info


def test_a_mail_server_that_cannot_be_reached_does_not_break_the_action(
    everyone_has_mail, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def down(self):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(EmailBackend, "open", down, raising=False)
    with caplog.at_level(logging.ERROR, logger="deliberation.notify"):
        with django_capture_on_commit_callbacks(execute=True):
            matter = propose_to_all(everyone_has_mail, "加装电梯")
    assert matter.pk and mailoutbox == []
    assert "could not reach the mail server" in caplog.text


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("加装电梯\n三号楼", "加装电梯 三号楼"),
        ("a\r\nb", "a b"),
        ("a\rb\x00c\x1bd\te", "a b c d e"),
        ("a\u2028b\u2029c\x85d\x0be\x0cf", "a b c d e f"),
        ("bidi \u202eevil", "bidi evil"),
        ("  many   spaces  ", "many spaces"),
    ],
)
def test_a_subject_is_one_clean_line(text, subject):
    assert subject_line(text) == subject


def test_a_long_subject_is_cut_with_an_ellipsis():
    line = subject_line("长" * 1000)
    assert len(line) == SUBJECT_MAX_CHARS and line.endswith("…")
    assert subject_line("长" * SUBJECT_MAX_CHARS) == "长" * SUBJECT_MAX_CHARS
