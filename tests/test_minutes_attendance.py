"""Minutes list each attendee once, however many connections they had open and however often
they left and came back; their stays follow their name on that one line.

Mutation tried: listing one line per Attendance row (the code before this test) makes
`test_it_lists_each_attendee_once` fail (the resident appears three times).
"""

from django.utils import timezone

from deliberation import meetings
from deliberation.models import Attendance, Minutes


def _attendance_section(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## ")) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start:end] if line.startswith("- ")]


def _held(world):
    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="议事会例会", kind="council",
        scheduled_at=timezone.now(), agenda=[("小区停车", None)],
    )  # fmt: skip
    meetings.start_meeting(chair, meeting)
    resident, owner = world.cast["resident"], world.cast["owner"]
    # The resident: a phone and a laptop at once, a dropped connection, then back twice.
    meetings.join(resident, meeting)
    meetings.join(resident, meeting)
    meetings.leave(resident, meeting)
    meetings.leave(resident, meeting)
    meetings.join(resident, meeting)
    meetings.leave(resident, meeting)
    meetings.join(resident, meeting)
    # The owner: three tabs, never left.
    for _ in range(3):
        meetings.join(owner, meeting)
    meetings.end_meeting(chair, meeting)
    return meeting


def test_it_lists_each_attendee_once(world):
    meeting = _held(world)
    assert Attendance.objects.filter(meeting=meeting, user=world.cast["resident"]).count() == 3
    text = Minutes.objects.get(meeting=meeting).text
    section = _attendance_section(text)
    for name in ("resident", "owner"):
        assert sum(f"- {name}" in line for line in section) == 1, section
    assert len(section) == 2


def test_it_keeps_every_stay_on_the_one_line(world):
    meeting = _held(world)
    text = Minutes.objects.get(meeting=meeting).text
    (line,) = [line for line in _attendance_section(text) if line.startswith("- resident")]
    # Three stays: two ended, the last one open until the meeting's end closed it.
    assert line.count("–") == 3


def test_it_lists_those_checked_in_at_the_door_once_too(world):
    """A council member checked in at the door and never online is in the minutes; the resident,
    online and checked in, is still one line."""
    from deliberation.meetings import checkin

    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="议事会例会", kind="council",
        scheduled_at=timezone.now(), agenda=[("小区停车", None)],
    )  # fmt: skip
    meetings.start_meeting(chair, meeting)
    member, resident = world.cast["council_member"], world.cast["resident"]
    checkin.check_in(chair, meeting, checkin.code_for(meeting, member))
    meetings.join(resident, meeting)
    if checkin.is_invitee(resident, meeting):
        checkin.check_in(chair, meeting, checkin.code_for(meeting, resident))
    meetings.end_meeting(chair, meeting)
    section = _attendance_section(Minutes.objects.get(meeting=meeting).text)
    (line,) = [line for line in section if line.startswith("- council\\_member")]
    assert ("checked in at the door" in line or "现场签到" in line) and "–" not in line
    assert sum(line.startswith("- resident") for line in section) == 1
