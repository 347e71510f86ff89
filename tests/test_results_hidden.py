"""Results hidden until close, on every channel: the matter page, the room's socket (snapshot,
events and the coalesced tally), the projector, the ledger CSV and the minutes. Only turnout
(heads, and area for owners) shows while a hidden or secret poll is open; the counts appear the
moment it closes, which shows each check could fail.

A secret poll is always hidden: per-choice counts that move with each ballot would tell anyone
who saw a person vote what they chose.
"""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from communities import services as register
from communities.roles import OrganizationKind as Kind
from communities.roles import Title
from deliberation import meeting_log, meetings, services
from deliberation.meetings import live
from deliberation.models import Poll
from tests.factories import make_user
from tests.walks import FOUR, propose, walk_to

HIDDEN = {"named, hidden": {"results_hidden": True}, "secret": {"secret": True}}


def test_a_secret_poll_is_always_hidden(world):
    matter = walk_to(world, propose(world, FOUR), "decision")
    poll = services.create_poll(
        world.cast["rc_director"], matter, question="？", kind="yes_no_abstain", secret=True
    )
    assert poll.results_hidden
    poll.results_hidden = False
    with pytest.raises(ValidationError):
        poll.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Poll.objects.filter(pk=poll.pk).update(results_hidden=False)


def _counts_in(data) -> bool:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return '"counts"' in text or '"result"' in text


@pytest.fixture
def room(world):
    """A live council meeting with four members; the chair puts a motion to them."""
    council = world.orgs[Kind.COUNCIL]
    members = [world.cast["council_member"]]
    for i in range(3):
        person = make_user(f"councillor{i}")
        register.appoint(world.admin, council, person, Title.MEMBER)
        members.append(person)
    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="议事会", kind="council", scheduled_at=timezone.now(),
        agenda=[("临时动议", None)],
    )  # fmt: skip
    return meetings.start_meeting(chair, meeting), chair, members


@pytest.mark.parametrize("options", list(HIDDEN.values()), ids=list(HIDDEN))
def test_the_room_shows_turnout_only_until_close(client, world, room, options):
    meeting, chair, members = room
    poll = meetings.open_poll(chair, meeting, question="是否同意？", **options)
    for member, pick in zip(members, ["yes", "yes", "no"], strict=False):
        meetings.cast(member, meeting, poll.pk, [pick])
    poll = Poll.objects.get(pk=poll.pk)
    tally = meetings.live_tally(poll)
    assert tally["turnout"] == 3 and not _counts_in(tally)
    for _audience, frame in live.figures(meeting.pk, {("tally", poll.pk)}):
        assert not _counts_in(frame)  # the coalesced state sent over every socket
    snapshot = meetings.snapshot(meeting, members[0])
    assert not _counts_in(snapshot["polls"])
    events = meeting_log.events_since(meeting, 0, members[0]) or []  # what `resume` replays
    assert events and not any(_counts_in(e) for e in events)
    client.force_login(members[0])
    projector = client.get(reverse("deliberation:meeting_projector", args=[meeting.pk]))
    assert projector.status_code == 200 and '"counts"' not in projector.content.decode()
    minutes = meetings.generate_minutes(world.cast["rc_director"], meeting).text
    assert "是否同意？" not in minutes  # an open poll has no place in the minutes yet

    closed = meetings.close_poll(chair, meeting, poll.pk)
    tally = meetings.live_tally(closed)
    assert tally["counts"] == {"yes": 2, "no": 1, "abstain": 0}
    assert _counts_in(meetings.snapshot(meeting, members[0])["polls"])
    minutes = meetings.generate_minutes(world.cast["rc_director"], meeting).text
    assert "是否同意？" in minutes


@pytest.mark.parametrize("options", list(HIDDEN.values()), ids=list(HIDDEN))
def test_the_matter_page_and_csv_show_turnout_only_until_close(client, world, options):
    director = world.cast["rc_director"]
    matter = walk_to(world, propose(world, FOUR), "decision")
    poll = services.create_poll(
        director, matter, question="是否同意加装电梯？", kind="yes_no_abstain", **options
    )
    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    services.cast_ballot(world.cast["owner"], poll, ["no"])
    for reader in (None, world.cast["resident"], director):
        if reader is None:
            client.logout()
        else:
            client.force_login(reader)
        card = _card(client.get(matter.get_absolute_url()).content.decode(), poll)
        assert 'class="chart"' not in card and "verdict" not in card
        assert "taking part" in card.lower() or "参与" in card  # turnout only
    csv = client.get(reverse("deliberation:ledger_csv", args=[world.community.slug]))
    assert "是否同意加装电梯" not in b"".join(csv.streaming_content).decode("utf-8-sig")

    services.close_poll(director, poll)
    assert 'class="chart"' in _card(client.get(matter.get_absolute_url()).content.decode(), poll)


def _card(page: str, poll) -> str:
    """The poll's own card on the matter page."""
    return page.split(f'id="poll-{poll.pk}"', 1)[1].split("</article>", 1)[0]
