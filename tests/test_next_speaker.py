"""The suggested next speaker is decided once, on the server (`order.next_speaker` through
`meetings.floor.next_speaker`), and sent to the browser in the snapshot and in every event that
changes the queue; the browser only shows it."""

import pytest
from django.utils import timezone

from deliberation import meetings
from deliberation.models import MeetingEvent


@pytest.fixture
def live_meeting(world):
    def start(**rules):
        m = meetings.schedule_meeting(
            world.cast["party_secretary"], world.community, title="居民议事会", kind="council",
            scheduled_at=timezone.now(), public=False, rules_of_order=rules or None,
            agenda=[("加装电梯协调小组", None), ("垃圾分类投放点", None)],
        )  # fmt: skip
        return meetings.start_meeting(world.cast["party_secretary"], m)

    return start


def last_event(meeting, kind):
    event = MeetingEvent.objects.filter(meeting=meeting, kind=kind).order_by("-seq").first()
    return event.data


def suggested(meeting, user):
    """What a client that joins now is told."""
    return meetings.snapshot(meeting, user)["next_speaker"]


def test_it_alternates_pro_and_con_and_tells_every_change(world, live_meeting):
    meeting = live_meeting()
    chair = world.cast["party_secretary"]
    first_pro, second_pro, con = (world.cast[n] for n in ("resident", "owner", "council_member"))
    assert suggested(meeting, chair) is None
    meetings.raise_hand(first_pro, meeting, "pro")
    assert last_event(meeting, "hand.raised")["next_speaker"] == first_pro.pk
    meetings.raise_hand(second_pro, meeting, "pro")
    meetings.raise_hand(con, meeting, "con")
    # Nobody has spoken yet: the earliest hand.
    assert last_event(meeting, "hand.raised")["next_speaker"] == first_pro.pk
    meetings.grant_floor(chair, meeting, first_pro.pk)
    # After a pro speech, the earliest con, though a pro hand was raised before it.
    assert last_event(meeting, "floor.granted")["next_speaker"] == con.pk
    meetings.end_floor(chair, meeting)
    assert last_event(meeting, "floor.ended")["next_speaker"] == con.pk
    # A client that joins now (or reloads) is told the same: the server remembers the side.
    assert suggested(meeting, world.cast["resident"]) == con.pk
    meetings.grant_floor(chair, meeting, con.pk)
    assert last_event(meeting, "floor.granted")["next_speaker"] == second_pro.pk
    meetings.lower_hand(second_pro, meeting)
    assert last_event(meeting, "hand.lowered")["next_speaker"] is None
    assert suggested(meeting, chair) is None


def test_without_alternation_it_is_the_earliest_hand(world, live_meeting):
    meeting = live_meeting(alternate=False)
    chair = world.cast["party_secretary"]
    for name in ("resident", "owner", "council_member"):
        meetings.raise_hand(world.cast[name], meeting, "neutral")
    meetings.grant_floor(chair, meeting, world.cast["resident"].pk)
    assert last_event(meeting, "floor.granted")["next_speaker"] == world.cast["owner"].pk


def test_a_new_agenda_item_starts_with_no_suggestion(world, live_meeting):
    meeting = live_meeting()
    chair = world.cast["party_secretary"]
    meetings.raise_hand(world.cast["resident"], meeting, "pro")
    second = meeting.items.order_by("position").last()
    meetings.goto_item(chair, meeting, second.pk)
    assert last_event(meeting, "agenda.current")["next_speaker"] is None
    # The pro speech on the first item does not steer the second one.
    meetings.raise_hand(world.cast["owner"], meeting, "pro")
    meetings.raise_hand(world.cast["council_member"], meeting, "con")
    assert suggested(meeting, chair) == world.cast["owner"].pk


def test_it_passes_over_a_hand_that_has_used_up_its_speeches(world, live_meeting):
    meeting = live_meeting(max_speeches=2)
    chair = world.cast["party_secretary"]
    resident, owner = world.cast["resident"], world.cast["owner"]
    meetings.raise_hand(resident, meeting, "pro")
    meetings.grant_floor(chair, meeting, resident.pk)
    meetings.end_floor(chair, meeting)
    meetings.raise_hand(resident, meeting, "pro")  # a second speech is allowed
    meetings.raise_hand(owner, meeting, "pro")
    assert suggested(meeting, chair) == resident.pk  # the earliest hand
    # The meeting's rules tighten to one speech each while the hand waits: it is passed over.
    meeting.rules = {**meeting.rules, "max_speeches": 1}
    meeting.save(update_fields=["rules"])
    assert suggested(meeting, chair) == owner.pk
