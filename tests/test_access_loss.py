"""Access ends when it is withdrawn: an open live socket loses, within a second, whatever its
person may no longer see or do (realtime/sockets.py), and every action and resume re-reads the
person from the database. Written as the attacker: someone whose access was withdrawn while
their socket was open tries to keep listening, replaying and acting."""

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from communities import services as register
from communities.roles import OrganizationKind as Kind
from config.asgi import application
from deliberation import meetings
from deliberation.meetings import live
from deliberation.models import MeetingEvent, Poll
from realtime.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from realtime.sockets import People
from tests.factories import make_admin
from tests.test_meeting_room import HOST, ORIGIN, Room, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

WITHIN = 1.0  # seconds from the change to the socket's close (or fresh snapshot)


def within_a_second(what: str, took: float) -> bool:
    """The measured time from the change to the socket's close or fresh snapshot (shown with
    `pytest -s`), within WITHIN."""
    print(f"access lost in {took * 1000:.0f} ms: {what}")
    return took < WITHIN


def _live_meeting(world, *, public: bool):
    chair = world.cast["party_secretary"]
    scheduled = meetings.schedule_meeting(
        chair, world.community, title="居民议事会", kind="council", public=public,
        scheduled_at=timezone.now(), agenda=[("加装电梯", None)],
    )  # fmt: skip
    return meetings.start_meeting(chair, scheduled)


@pytest.fixture
def meeting(world):
    """A live council session for the community's insiders only."""
    return _live_meeting(world, public=False)


@pytest.fixture
def public_meeting(world):
    return _live_meeting(world, public=True)


@pytest.fixture
def no_access_messages(monkeypatch):
    """The access change never reaches the socket (a lost message): what is left to stop the
    attacker is the fresh check every action and resume makes."""
    monkeypatch.setattr(People, "access_changed", lambda self, user_id, session_key=None: 0)


async def close_after(room, started: float, timeout: float = 3.0) -> tuple[int, float]:
    """Wait for the server to close the socket: its code and the seconds since `started`.
    Frames before the close may only be coalesced figures, never an event or a snapshot."""
    while True:
        output = await room.comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"], time.monotonic() - started
        frame = json.loads(output["text"])
        assert frame["type"] == "state", f"sent after access ended: {frame}"


async def fresh_snapshot(room, started: float, timeout: float = 3.0) -> tuple[dict, float]:
    """Wait for the snapshot the server re-sends when the person's rights changed."""
    while True:
        frame = await room.frame(timeout)
        if frame["type"] == "snapshot":
            return frame, time.monotonic() - started


async def nothing_more(room) -> bool:
    """Nothing at all reaches the socket any more (it is closed)."""
    return await room.comm.receive_nothing(timeout=0.4)


async def refused_on_reconnect(user, meeting) -> int:
    """Connect again: the code the socket is closed with, right after it is accepted."""
    cookie, _client = await database_sync_to_async(session_cookie)(user)
    comm = WebsocketCommunicator(
        application, f"/ws/meetings/{meeting.pk}/", headers=[ORIGIN, HOST, cookie]
    )
    try:
        connected, _ = await comm.connect()
        assert connected
        output = await comm.receive_output(timeout=3)
        assert output["type"] == "websocket.close", output
        return output["code"]
    finally:
        await comm.disconnect()


def revoke(world, name):
    person = world.cast[name]
    membership = person.memberships.get(community=world.community)
    register.revoke_membership(world.cast["ws_staff"], membership, reason="已搬离")


# -- membership revoked ---------------------------------------------------------------------------


async def test_a_revoked_member_hears_nothing_more_of_a_members_only_meeting(world, meeting):
    chair, resident = world.cast["party_secretary"], world.cast["resident"]
    async with Room(resident, meeting) as r:
        started = time.monotonic()
        await database_sync_to_async(revoke)(world, "resident")
        code, took = await close_after(r, started)
        assert code == CLOSE_FORBIDDEN and within_a_second("membership revoked", took), took
        await database_sync_to_async(meetings.send_chat)(chair, meeting, "只给成员看的话")
        assert await nothing_more(r)
    assert await refused_on_reconnect(resident, meeting) == CLOSE_FORBIDDEN


async def test_a_revoked_member_cannot_resume_what_they_may_no_longer_see(
    world, meeting, no_access_messages
):
    chair, resident = world.cast["party_secretary"], world.cast["resident"]
    async with Room(resident, meeting) as r:
        since = r.snapshot["seq"]
        await database_sync_to_async(revoke)(world, "resident")
        await database_sync_to_async(meetings.send_chat)(chair, meeting, "只给成员看的话")
        # Even if the change never reached the socket, replaying the log is checked afresh.
        await r.send("resume", since=since - 1)
        outputs = []
        while True:
            output = await r.comm.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                break
            outputs.append(json.loads(output["text"]))
        assert output["code"] == CLOSE_FORBIDDEN
        replayed = [f for f in outputs if f["type"] == "event" and f["seq"] <= since]
        assert replayed == []


async def test_a_verifier_removed_from_their_post_stops_hearing_the_queue(world):
    """The verification queue's socket closes too, without waiting for its next event."""
    from tests.test_websocket import communicator

    staff = world.cast["ws_staff"]
    comm = await communicator(staff)
    await comm.connect()
    try:
        assert json.loads(await comm.receive_from(timeout=3))["type"] == "snapshot"
        position = await database_sync_to_async(staff.positions.get)()
        started = time.monotonic()
        await database_sync_to_async(register.end_position)(world.admin, position)
        output = await comm.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
        assert within_a_second("verifier's position ended", time.monotonic() - started)
    finally:
        await comm.disconnect()


async def test_a_member_revoked_in_a_public_meeting_stays_only_as_a_visitor(world, public_meeting):
    resident = world.cast["resident"]
    async with Room(resident, public_meeting) as r:
        assert r.snapshot["you"]["may_take_part"] is True
        started = time.monotonic()
        await database_sync_to_async(revoke)(world, "resident")
        snapshot, took = await fresh_snapshot(r, started)
        assert within_a_second("revoked in a public meeting: a visitor's snapshot", took), took
        assert snapshot["you"]["may_take_part"] is False
        refused = await r.ask("chat.send", text="我还能发言吗？")
        assert refused["type"] == "error" and refused["code"] == "forbidden"


# -- sessions and accounts ------------------------------------------------------------------------


async def test_logout_in_the_same_browser_closes_its_socket_at_once(world, meeting):
    member = world.cast["council_member"]
    async with Room(member, meeting) as m, Room(member, meeting) as other_browser:
        started = time.monotonic()
        await database_sync_to_async(m.client.logout)()
        code, took = await close_after(m, started)
        assert code == CLOSE_UNAUTHENTICATED and within_a_second("logout", took), took
        # The same person signed in elsewhere keeps their own socket.
        assert (await other_browser.ask("ping"))["type"] == "ack"
    assert not await database_sync_to_async(
        MeetingEvent.objects.filter(kind="chat.message").exists
    )()


async def test_a_deactivated_account_loses_its_socket(world, meeting):
    member = world.cast["council_member"]
    async with Room(member, meeting) as m:
        member.is_active = False
        started = time.monotonic()
        await database_sync_to_async(register.save_account)(
            world.admin, member, changed=["is_active"]
        )
        code, took = await close_after(m, started)
        assert code == CLOSE_UNAUTHENTICATED and within_a_second("deactivated", took), took


# -- positions and flags: powers lost -------------------------------------------------------------


async def test_a_chair_whose_position_ended_loses_the_chairs_powers(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(chair, meeting) as c, Room(member, meeting) as m:
        assert c.snapshot["you"]["is_chair"] is True
        await m.ask("hand.raise", side="pro")
        position = await database_sync_to_async(
            lambda: chair.positions.get(organization__kind=Kind.PARTY_COMMITTEE)
        )()
        started = time.monotonic()
        await database_sync_to_async(register.end_position)(world.admin, position)
        # Still the meeting's named chair, so still in the room; no longer its chair.
        snapshot, took = await fresh_snapshot(c, started)
        assert within_a_second("chair's position ended", took), took
        assert snapshot["you"]["is_chair"] is False and "present" not in snapshot
        refused = await c.ask("floor.grant", user=member.pk)
        assert refused["type"] == "error" and refused["code"] == "forbidden"
        refused = await c.ask("poll.open", question="还能发起表决吗？")
        assert refused["type"] == "error" and refused["code"] == "forbidden"


@pytest.mark.parametrize("message", ["delivered", "lost"])
async def test_a_superuser_demoted_mid_meeting_can_no_longer_run_polls(
    world, public_meeting, message, monkeypatch
):
    """The socket was opened by a superuser; the admin takes the flag away. Whether or not the
    change reaches the socket, the next action is taken as the person is now."""
    if message == "lost":
        monkeypatch.setattr(People, "access_changed", lambda self, user_id, session_key=None: 0)
    overseer = await database_sync_to_async(make_admin)("overseer")
    chair = world.cast["party_secretary"]
    poll = await database_sync_to_async(meetings.open_poll)(chair, public_meeting, question="甲")
    async with Room(overseer, public_meeting) as o:
        assert o.snapshot["you"]["is_chair"] is True  # a superuser may chair any meeting
        overseer.is_superuser = False
        started = time.monotonic()
        await database_sync_to_async(register.save_account)(
            world.admin, overseer, changed=["is_superuser"]
        )
        if message == "delivered":
            snapshot, took = await fresh_snapshot(o, started)
            assert within_a_second("superuser demoted", took), took
            assert snapshot["you"]["is_chair"] is False
        refused = await o.ask("poll.open", question="乙")
        assert refused["type"] == "error" and refused["code"] == "forbidden"
        refused = await o.ask("poll.close", poll=poll.pk)
        assert refused["type"] == "error" and refused["code"] == "forbidden"
    still_open = await database_sync_to_async(Poll.objects.get)(pk=poll.pk)
    assert still_open.is_open
    opened = await database_sync_to_async(Poll.objects.filter(question="乙").exists)()
    assert not opened


# -- lost messages: the catch-up from the database ------------------------------------------------


async def test_access_lost_while_the_message_was_lost_ends_at_the_next_catch_up(
    world, meeting, no_access_messages
):
    """Redis was down when the change was published: the process's periodic look at the
    database (sessions, and the audit log naming whose rights changed) ends it instead."""
    resident, member = world.cast["resident"], world.cast["council_member"]
    chair = world.cast["party_secretary"]
    async with Room(resident, meeting) as r, Room(member, meeting) as m, Room(chair, meeting) as c:
        since = timezone.now()
        await database_sync_to_async(revoke)(world, "resident")
        await database_sync_to_async(m.client.logout)()
        assert await People.here().catch_up(since) == 2
        assert (await close_after(r, time.monotonic()))[0] == CLOSE_FORBIDDEN
        assert (await close_after(m, time.monotonic()))[0] == CLOSE_UNAUTHENTICATED
        # Those whose access did not change are left alone.
        assert await People.here().catch_up(timezone.now()) == 0
        assert (await c.ask("ping"))["type"] == "ack"


async def test_the_subscription_outlives_the_layer_and_catches_up(world, meeting, monkeypatch):
    """The layer fails (Redis restarted): the subscription keeps trying, joins its group again
    and asks the database what it may have missed."""
    import realtime.sockets as sockets

    monkeypatch.setattr(sockets, "RETRY_SECONDS", (0.01,))
    resident = world.cast["resident"]
    async with Room(resident, meeting) as r:
        watch = People.here().watch
        real_receive, failures = watch.layer.receive, []

        async def flaky(channel):
            if len(failures) < 3:
                failures.append(channel)
                raise ConnectionError("the layer is down")
            return await real_receive(channel)

        watch.task.cancel()
        monkeypatch.setattr(watch.layer, "receive", flaky)
        watch.looked = timezone.now()
        # Revoked while the layer was down: its message is lost.
        monkeypatch.setattr(People, "access_changed", lambda self, user_id, session_key=None: 0)
        await database_sync_to_async(revoke)(world, "resident")
        watch.task = sockets.asyncio.ensure_future(watch._run())
        assert (await close_after(r, time.monotonic()))[0] == CLOSE_FORBIDDEN
        assert failures  # it was the retry that caught up


# -- resume: never an event twice ------------------------------------------------------------------


async def test_a_resume_never_sends_an_event_the_socket_already_had(world, meeting, monkeypatch):
    """A `resume` while an event is in flight: the hub writes it while the log is being read,
    and the log has it too. The socket gets it once."""
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    replay = live.replay

    def replay_while_an_event_flies(session_key, user_id, meeting_id, since):
        meetings.send_chat(chair, meeting, "飞行中的一条")  # published on commit, to the hub
        result = replay(session_key, user_id, meeting_id, since)
        time.sleep(0.3)  # the hub writes it to the socket meanwhile
        return result

    monkeypatch.setattr(live, "replay", replay_while_an_event_flies)
    async with Room(member, meeting) as m:
        since = m.snapshot["seq"]
        ack_id = await m.send("resume", since=since)
        seqs = []
        while True:
            frame = await m.frame()
            if frame["type"] == "event":
                seqs.append(frame["seq"])
            if frame["type"] == "ack" and frame["id"] == ack_id:
                break
        assert seqs == [since + 1] and frame["seq"] == since + 1


async def test_errors_echo_the_id_of_any_frame_that_could_be_read(world, meeting, settings):
    settings.WEBSOCKET_RATE_BURST = 2
    settings.WEBSOCKET_RATE_PER_SECOND = 1
    async with Room(world.cast["council_member"], meeting) as m:
        await m.comm.send_to(text_data=json.dumps({"id": "no-type"}))
        assert (await m.expect("error")) | {"message": ""} == {
            "type": "error", "id": "no-type", "code": "malformed", "message": "",
        }  # fmt: skip
        await m.comm.send_to(text_data=json.dumps({"id": 41, "type": "ping"}))
        await m.comm.send_to(text_data=json.dumps({"id": 42, "type": "ping"}))
        limited = await m.expect("error")
        assert (limited["code"], limited["id"]) == ("rate_limited", 42)
        await m.comm.send_to(text_data="{not json")
        await asyncio.sleep(0)
        assert (await m.expect("error"))["id"] is None
