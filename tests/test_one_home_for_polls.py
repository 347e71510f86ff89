"""Polls have one home: `deliberation/services/polls.py` creates, opens, closes and counts them,
and a live meeting goes through it. Tried as a chair reaching past the room, and as code that
would write a poll row anywhere else."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deliberation import meetings
from deliberation.models import Poll
from deliberation.services.polls import create_meeting_poll

ROOT = Path(__file__).resolve().parent.parent
WRITES = re.compile(
    r"Poll\.objects\.(create|bulk_create|update_or_create|get_or_create)\b"
    r"|Poll\.objects\.[^\n]*\.update\("
    r"|\bpoll\.save\("
)


@pytest.fixture
def council_meeting(world):
    return meetings.schedule_meeting(
        world.cast["party_secretary"], world.community, title="居民议事会", kind="council",
        scheduled_at=timezone.now(), agenda=[("加装电梯协调小组", None)],
    )  # fmt: skip


def motion(actor, meeting):
    return create_meeting_poll(
        actor, meeting, meeting.items.get(), question="是否同意？", kind="yes_no_abstain",
        choices=(), secret=False, results_hidden=False,
    )  # fmt: skip


def test_no_module_but_the_polls_service_writes_a_poll():
    writers = [
        str(path.relative_to(ROOT))
        for app in ("communities", "deliberation", "realtime")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and WRITES.search(path.read_text(encoding="utf-8"))
    ]
    assert writers == ["deliberation/services/polls.py"]


def test_a_meetings_own_motion_is_put_by_its_chair_only(world, council_meeting):
    meeting = meetings.start_meeting(world.cast["party_secretary"], council_meeting)
    for name in ("council_member", "rc_director", "outsider"):
        with pytest.raises(PermissionDenied):
            motion(world.cast[name], meeting)
    assert not Poll.objects.exists()
    poll = motion(world.cast["party_secretary"], meeting)
    assert poll.is_open and poll.agenda_item == meeting.items.get()


def test_a_motion_is_put_only_while_the_meeting_sits(world, council_meeting):
    with pytest.raises(ValidationError):
        motion(world.cast["party_secretary"], council_meeting)  # scheduled, not started
    meeting = meetings.start_meeting(world.cast["party_secretary"], council_meeting)
    meetings.end_meeting(world.cast["party_secretary"], meeting)
    with pytest.raises(ValidationError):
        motion(world.cast["party_secretary"], meeting)
    assert not Poll.objects.exists()
