"""Live ballots are committed in groups (realtime/ballots.py, through RoomHub.cast): the same
service and the same checks as one ballot at a time, with one outcome per ballot, whatever the
batch holds."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from communities.models import AuditEvent
from communities.roles import OrganizationKind as Kind
from deliberation import meetings, sealing, services
from deliberation.models import Ballot, Poll
from realtime.ballots import GroupCommit
from realtime.consumers import CLOSE_UNAUTHENTICATED
from tests.factories import make_user
from tests.test_meeting_room import Room, meeting  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def _councillors(world, n):
    from communities import services as register

    council = world.orgs[Kind.COUNCIL]
    people = []
    for i in range(n):
        person = make_user(f"gc_councillor{i}")
        register.appoint(world.admin, council, person, "member")
        people.append(person)
    return people


def test_one_batch_gives_each_ballot_its_own_outcome(world, meeting):  # noqa: F811
    chair = world.cast["party_secretary"]
    voters = _councillors(world, 3)
    outsider = make_user("passerby_gc")
    poll = meetings.open_poll(chair, meeting, question="分组提交")
    outcomes = services.cast_ballots(
        poll,
        [
            (voters[0], ["yes"], None),
            (voters[1], ["no"], None),
            (voters[0], ["yes"], None),  # a retry in the same batch
            (outsider, ["yes"], None),  # not in the electorate
            (voters[2], ["maybe"], None),  # not a choice
            (voters[1], ["yes"], None),  # a change, which this poll does not allow
        ],
    )
    assert outcomes[0] == {"status": "cast", "slots": 1}
    assert outcomes[1] == {"status": "cast", "slots": 1}
    assert outcomes[2] == {"status": "unchanged", "slots": 1}
    assert isinstance(outcomes[3], PermissionDenied)
    assert isinstance(outcomes[4], ValidationError)
    assert isinstance(outcomes[5], ValidationError)
    ballots = {b.voter_id: b.choices for b in Ballot.objects.filter(poll=poll)}
    assert ballots == {voters[0].pk: ["yes"], voters[1].pk: ["no"]}
    assert AuditEvent.objects.filter(verb="poll.voted").count() == 2


def test_a_batch_on_a_closed_poll_is_refused_whole(world, meeting):  # noqa: F811
    chair = world.cast["party_secretary"]
    voters = _councillors(world, 2)
    poll = meetings.open_poll(chair, meeting, question="已关闭")
    meetings.close_poll(chair, meeting, poll.pk)
    outcomes = services.cast_ballots(poll, [(v, ["yes"], None) for v in voters])
    assert all(isinstance(o, ValidationError) for o in outcomes)
    assert not Ballot.objects.filter(poll=poll).exists()


def test_secret_ballots_in_one_batch_stay_sealed_and_single(world, meeting):  # noqa: F811
    chair = world.cast["party_secretary"]
    voters = _councillors(world, 2)
    poll = meetings.open_poll(chair, meeting, question="无记名", secret=True)
    outcomes = services.cast_ballots(
        poll, [(voters[0], ["yes"], None), (voters[0], ["no"], None), (voters[1], ["no"], None)]
    )
    assert outcomes[0]["status"] == "cast" and outcomes[2]["status"] == "cast"
    assert isinstance(outcomes[1], ValidationError)
    assert len(sealing.unseal(poll.pk, poll.urn.sealed)) == 2 and poll.receipts.count() == 2
    closed = meetings.close_poll(chair, meeting, poll.pk)
    assert {k: v["heads"] for k, v in closed.result["counts"].items()}["yes"] == 1


async def test_a_burst_over_the_socket_commits_in_few_batches_and_exactly(world, meeting):  # noqa: F811
    chair = world.cast["party_secretary"]
    voters = await database_sync_to_async(_councillors)(world, 12)
    rooms = [Room(v, meeting) for v in voters]
    for room in rooms:
        await room.__aenter__()
    batches = []
    original = GroupCommit._cast_batch

    def counting(self, batch):
        batches.append(len(batch))
        return original(self, batch)

    GroupCommit._cast_batch = counting
    try:
        poll = await database_sync_to_async(meetings.open_poll)(chair, meeting, question="一齐投票")
        asks = [room.ask("ballot.cast", poll=poll.pk, choice="yes") for room in rooms]
        answers = await asyncio.gather(*asks)
        retry = await rooms[0].ask("ballot.cast", poll=poll.pk, choice="yes")  # a retried send
    finally:
        GroupCommit._cast_batch = original
        for room in rooms:
            await room.__aexit__()
    assert all(a["type"] == "ack" and a["status"] == "cast" for a in answers)
    assert retry["status"] == "unchanged"
    assert sum(batches) == 13 and len(batches) < 13  # grouped, not one transaction each
    count = await database_sync_to_async(Ballot.objects.filter(poll=poll).count)()
    assert count == 12
    closed = await database_sync_to_async(Poll.objects.get)(pk=poll.pk)
    assert closed.status == Poll.Status.OPEN


async def test_a_ballot_after_logout_closes_the_socket_and_counts_nothing(world, meeting):  # noqa: F811
    chair = world.cast["party_secretary"]
    voters = await database_sync_to_async(_councillors)(world, 1)
    poll = await database_sync_to_async(meetings.open_poll)(chair, meeting, question="登出之后")
    async with Room(voters[0], meeting) as m:
        await database_sync_to_async(m.client.logout)()
        await m.send("ballot.cast", poll=poll.pk, choice="yes")
        output = await m.comm.receive_output(timeout=3)
        while output["type"] == "websocket.send":
            output = await m.comm.receive_output(timeout=3)
        assert output["type"] == "websocket.close" and output["code"] == CLOSE_UNAUTHENTICATED
    assert not await database_sync_to_async(Ballot.objects.filter(poll=poll).exists)()
