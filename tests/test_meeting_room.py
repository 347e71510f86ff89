"""The live room through the full ASGI application: snapshot, actions, events, resume, refusals."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from communities.roles import OrganizationKind as Kind
from config.asgi import application
from deliberation import meetings
from deliberation.models import Attendance, Ballot, MeetingEvent, Poll
from realtime.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from realtime.hub import RoomHub, group_name

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()), client


@pytest.fixture
def meeting(world):
    m = meetings.schedule_meeting(
        world.cast["party_secretary"], world.community, title="居民议事会第三次会议",
        kind="council", scheduled_at=timezone.now(), public=False,
        agenda=[("加装电梯协调小组", None), ("垃圾分类投放点", None)],
    )  # fmt: skip
    return meetings.start_meeting(world.cast["party_secretary"], m)


class Room:
    """One participant's socket, with helpers to talk and to wait for frames."""

    def __init__(self, user, meeting):
        self.user, self.meeting, self.next_id = user, meeting, 0
        self.comm = None
        self.client = None

    async def __aenter__(self):
        cookie, self.client = await database_sync_to_async(session_cookie)(self.user)
        self.comm = WebsocketCommunicator(
            application, f"/ws/meetings/{self.meeting.pk}/", headers=[ORIGIN, HOST, cookie]
        )
        connected, code = await self.comm.connect()
        assert connected, code
        self.snapshot = await self.expect("snapshot")
        return self

    async def __aexit__(self, *exc):
        await self.comm.disconnect()

    async def send(self, type_, **body):
        self.next_id += 1
        await self.comm.send_to(text_data=json.dumps({"id": self.next_id, "type": type_, **body}))
        return self.next_id

    async def frame(self, timeout=3):
        return json.loads(await self.comm.receive_from(timeout=timeout))

    async def expect(self, type_, kind=None, timeout=3):
        """The next frame of this type (and kind), skipping others."""
        while True:
            frame = await self.frame(timeout)
            if frame["type"] == type_ and (kind is None or frame.get("kind") == kind):
                return frame

    async def ask(self, type_, **body):
        """Send and return the ack or error answering it."""
        message_id = await self.send(type_, **body)
        while True:
            frame = await self.frame()
            if frame["type"] in ("ack", "error") and frame.get("id") == message_id:
                return frame


async def test_it_sends_the_whole_room_on_connect(world, meeting):
    async with Room(world.cast["council_member"], meeting) as room:
        snap = room.snapshot
        assert snap["seq"] == meeting.seq
        assert [i["title"] for i in snap["agenda"]] == ["加装电梯协调小组", "垃圾分类投放点"]
        assert snap["meeting"]["current_item"] == snap["agenda"][0]["id"]
        assert snap["you"]["is_chair"] is False
        assert snap["rules"]["speech_seconds"] == 120


async def test_it_refuses_people_outside_a_members_only_meeting(world, meeting):
    cookie, _client = await database_sync_to_async(session_cookie)(world.cast["outsider"])
    comm = WebsocketCommunicator(
        application, f"/ws/meetings/{meeting.pk}/", headers=[ORIGIN, HOST, cookie]
    )
    connected, _ = await comm.connect()
    assert connected  # accepted, then closed: a browser sees the code only so
    assert await comm.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": CLOSE_FORBIDDEN,
    }
    await comm.disconnect()


async def test_it_moves_the_room_together_through_a_speech(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(chair, meeting) as c, Room(member, meeting) as m:
        assert (await m.ask("hand.raise", side="pro"))["type"] == "ack"
        raised = await c.expect("event", "hand.raised")
        assert raised["data"]["user"] == member.pk and raised["data"]["side"] == "pro"
        assert (await c.ask("floor.grant", user=member.pk))["type"] == "ack"
        granted = await m.expect("event", "floor.granted")
        assert granted["data"]["seconds"] == 120
        assert granted["seq"] == raised["seq"] + 1
        refused = await m.ask("floor.grant", user=member.pk)
        assert refused["type"] == "error" and refused["code"] == "forbidden"
        assert (await m.ask("floor.end"))["type"] == "ack"
        ended = await c.expect("event", "floor.ended")
        assert ended["data"]["user"] == member.pk


async def test_it_refuses_a_third_speech_on_one_item(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(chair, meeting) as c, Room(member, meeting) as m:
        for _ in range(2):
            await m.ask("hand.raise", side="con")
            await c.ask("floor.grant", user=member.pk)
            await c.ask("floor.end")
        third = await m.ask("hand.raise", side="con")
        assert third["type"] == "error" and third["code"] == "speech_limit"


async def test_it_ends_the_floor_when_the_time_is_up(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    meeting.rules = {**meeting.rules, "speech_seconds": 15}
    await database_sync_to_async(meeting.save)(update_fields=["rules"])
    async with Room(chair, meeting) as c, Room(member, meeting):
        await database_sync_to_async(meetings.raise_hand)(member, meeting, "pro")
        await c.ask("floor.grant", user=member.pk)
        hand = await database_sync_to_async(lambda: meeting.hands.get(status="speaking"))()
        # Backdate the grant, then let the room's timer fire.
        hand.granted_at = timezone.now() - timedelta(seconds=16)
        await database_sync_to_async(hand.save)(update_fields=["granted_at"])
        assert await database_sync_to_async(meetings.end_floor_if_expired)(meeting)
        ended = await c.expect("event", "floor.ended")
        assert ended["data"]["reason"] == "time"


async def test_it_runs_a_live_vote_under_the_council_rule(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(chair, meeting) as c, Room(member, meeting) as m:
        opened = await c.ask("poll.open", question="是否成立协调小组？")
        assert opened["type"] == "ack"
        poll_id = opened["poll"]
        assert (await m.expect("event", "poll.opened"))["data"]["id"] == poll_id
        cast = await m.ask("ballot.cast", poll=poll_id, choice="yes")
        assert cast == {"type": "ack", "id": cast["id"], "status": "cast"}
        retry = await m.ask("ballot.cast", poll=poll_id, choice="yes")
        assert retry["status"] == "unchanged"
        tally = await c.expect("state", "tally")
        assert tally["data"]["counts"]["yes"] == 1
        outsider_vote = await c.ask("ballot.cast", poll=poll_id, choice="no")
        assert outsider_vote["code"] == "forbidden"  # the chair is not a council member here
        assert (await c.ask("poll.close", poll=poll_id))["type"] == "ack"
        closed = await m.expect("event", "poll.closed")
        result = closed["data"]["result"]
        assert result["rule"] == "council" and result["passed"]
        late = await m.ask("ballot.cast", poll=poll_id, choice="no")
        assert late["type"] == "error"
    poll = await database_sync_to_async(Poll.objects.get)(pk=poll_id)
    assert poll.result == result
    assert await database_sync_to_async(Ballot.objects.filter(poll=poll).count)() == 1


async def test_it_replays_missed_events_on_resume(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(member, meeting) as m:
        since = m.snapshot["seq"]
        # The broadcasts are lost (the hub is out of its group): the log still has them.
        hub = RoomHub.running()[meeting.pk]
        await hub.layer.group_discard(group_name(meeting.pk), hub.channel)
        for text in ("第一条", "第二条", "第三条"):
            await database_sync_to_async(meetings.send_chat)(chair, meeting, text)
        while not await m.comm.receive_nothing(timeout=0.3):
            assert (await m.frame())["type"] == "state"  # presence, no events
        ack_id = await m.send("resume", since=since)
        seen = []
        while True:
            frame = await m.frame()
            if frame["type"] == "ack" and frame["id"] == ack_id:
                break
            if frame["type"] == "event":
                seen.append((frame["seq"], frame["kind"]))
        chats = [seq for seq, kind in seen if kind == "chat.message"]
        assert chats == [since + 1, since + 2, since + 3]
        assert frame["seq"] == since + 3
        # Asked again, it sends none of them a second time: the socket has had them.
        again = await m.ask("resume", since=since)
        assert again == {"type": "ack", "id": again["id"], "seq": since + 3}


async def test_a_resume_too_far_back_gets_the_whole_room_then_its_ack(world, meeting, monkeypatch):
    from deliberation.meetings import live

    monkeypatch.setattr(live, "events_since", lambda *args, **kwargs: None)  # over 500 missed
    async with Room(world.cast["council_member"], meeting) as m:
        ack_id = await m.send("resume", since=0)
        snapshot = await m.expect("snapshot")
        ack = await m.expect("ack")
        assert ack == {"type": "ack", "id": ack_id, "seq": snapshot["seq"]}


async def test_it_answers_bad_frames_and_stays_open(world, meeting):
    async with Room(world.cast["council_member"], meeting) as m:
        await m.comm.send_to(text_data="{not json")
        assert (await m.expect("error"))["code"] == "malformed"
        await m.comm.send_to(text_data=json.dumps({"type": "chat.send", "text": "x" * 70000}))
        assert (await m.expect("error"))["code"] == "too_large"
        assert (await m.ask("nonsense"))["code"] == "unknown_type"
        assert (await m.ask("floor.grant", user="me"))["code"] == "malformed"
        assert (await m.ask("chat.send", text="还在"))["type"] == "ack"


async def test_it_refuses_actions_after_logout(world, meeting):
    member = world.cast["council_member"]
    async with Room(member, meeting) as m:
        await database_sync_to_async(m.client.logout)()
        await m.send("chat.send", text="还能发吗？")
        output = await m.comm.receive_output(timeout=3)
        while output["type"] == "websocket.send":  # coalesced presence may come first
            output = await m.comm.receive_output(timeout=3)
        assert output["type"] == "websocket.close" and output["code"] == CLOSE_UNAUTHENTICATED
    assert not await database_sync_to_async(
        MeetingEvent.objects.filter(kind="chat.message").exists
    )()


async def test_it_counts_presence_and_quorum(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(chair, meeting) as c, Room(member, meeting):
        presence = await c.expect("state", "presence")
        while presence["data"]["total"] < 2:  # the first update may predate the second join
            presence = await c.expect("state", "presence")
        assert presence["data"]["total"] == 2
        quorum = presence["data"]["quorum"]
        assert quorum["base"] == 1 and quorum["present"] == 1 and quorum["met"]
        present = await c.expect("state", "present")
        assert {p["id"] for p in present["data"]} == {chair.pk, member.pk}
    stays = await database_sync_to_async(list)(Attendance.objects.filter(meeting=meeting))
    assert len(stays) == 2 and all(s.left_at is not None for s in stays)


async def test_it_delivers_to_the_chair_only_what_is_for_the_chair(world, meeting):
    async with Room(world.cast["council_member"], meeting) as m:
        kinds = []
        while not await m.comm.receive_nothing(timeout=0.6):
            kinds.append((await m.frame()).get("kind"))
        assert "presence" in kinds and "present" not in kinds


async def test_it_coalesces_a_burst_of_ballots_into_few_tally_updates(world, meeting):
    from communities import services as register
    from tests.factories import make_user

    chair = world.cast["party_secretary"]
    council = world.orgs[Kind.COUNCIL]

    def appoint_voters():
        voters = []
        for i in range(12):
            person = make_user(f"councillor{i}")
            register.appoint(world.admin, council, person, "member")
            voters.append(person)
        return voters

    voters = await database_sync_to_async(appoint_voters)()
    async with Room(chair, meeting) as c:
        poll = await database_sync_to_async(meetings.open_poll)(chair, meeting, question="快速表决")
        for voter in voters:
            await database_sync_to_async(meetings.cast)(voter, meeting, poll.pk, ["yes"])
        tallies = []
        while not await c.comm.receive_nothing(timeout=0.8):
            frame = await c.frame()
            if frame["type"] == "state" and frame["kind"] == "tally":
                tallies.append(frame["data"])
        assert tallies[-1]["counts"]["yes"] == 12
        assert len(tallies) < len(voters)  # twelve ballots, far fewer updates


async def test_it_rate_limits_a_flooding_client_without_losing_the_room(world, meeting):
    async with Room(world.cast["council_member"], meeting) as m:
        for i in range(40):
            await m.send("chat.send", text=f"刷屏{i}")
        codes = []
        while not await m.comm.receive_nothing(timeout=0.5):
            frame = await m.frame()
            if frame["type"] == "error":
                codes.append(frame["code"])
        assert "rate_limited" in codes
    stored = await database_sync_to_async(
        MeetingEvent.objects.filter(meeting=meeting, kind="chat.message").count
    )()
    assert 0 < stored < 40


async def test_it_encodes_each_event_once_and_filters_by_audience():
    from realtime.hub import RoomHub

    class Connection:
        def __init__(self, user_id, chair=False):
            self.user_id, self.chair, self.frames = user_id, chair, []

        def hears(self, audience):
            return (
                audience == "all"
                or (audience == "chair" and self.chair)
                or (audience == f"user:{self.user_id}")
            )

        async def push(self, seqs, frame, kinds=frozenset()):
            self.frames.append(frame)

    hub = RoomHub(1)
    people = [Connection(1, chair=True), Connection(2), Connection(3)]
    hub.connections = set(people)
    hello = {"seq": 1, "kind": "chat.message", "data": {"html": "你好"}, "audience": "all"}
    await hub._deliver([hello])
    await hub._deliver([{"seq": 2, "kind": "x", "data": {}, "audience": "chair"}])
    await hub._deliver([{"seq": 3, "kind": "y", "data": {}, "audience": "user:3"}])
    assert people[0].frames[0] is people[1].frames[0] is people[2].frames[0]
    assert [len(p.frames) for p in people] == [2, 1, 2]


async def test_it_hands_the_chair_for_one_item(world, meeting):
    chair, director = world.cast["party_secretary"], world.cast["rc_director"]
    member = world.cast["council_member"]
    async with Room(chair, meeting) as c, Room(director, meeting) as d:
        assert (await d.ask("hand.raise"))["type"] == "ack"  # a hand to grant later
        assert (await c.ask("chair.hand", user=director.pk))["type"] == "ack"
        handed = await d.expect("event", "chair.handed")
        assert handed["data"]["user"] == director.pk
        await database_sync_to_async(meetings.raise_hand)(member, meeting, "con")
        assert (await c.ask("floor.grant", user=member.pk))["code"] == "forbidden"
        assert (await d.ask("floor.grant", user=member.pk))["type"] == "ack"
        items = c.snapshot["agenda"]
        assert (await d.ask("agenda.goto", item=items[1]["id"]))["type"] == "ack"
        # On the next item the meeting's own chair presides again.
        assert (await c.ask("agenda.goto", item=items[0]["id"]))["type"] == "ack"


CHAIR_ONLY = [
    ("floor.grant", {"user": 1}),
    ("floor.end", {}),
    ("agenda.goto", {"item": 1}),
    ("poll.open", {"question": "是否同意？"}),
    ("poll.close", {"poll": 1}),
    ("chair.hand", {"user": 1}),
    ("meeting.adjourn", {}),
    ("meeting.end", {}),
]


@pytest.mark.parametrize(("type_", "body"), CHAIR_ONLY)
async def test_it_refuses_chair_actions_to_a_member(world, meeting, type_, body):
    member = world.cast["council_member"]
    await database_sync_to_async(meetings.raise_hand)(member, meeting, "pro")
    await database_sync_to_async(meetings.grant_floor)(
        world.cast["party_secretary"], meeting, member.pk
    )
    before = await database_sync_to_async(lambda: type(meeting).objects.get(pk=meeting.pk).seq)()
    async with Room(world.cast["resident"], meeting) as r:
        reply = await r.ask(type_, **body)
        assert reply["type"] == "error" and reply["code"] in ("forbidden", "refused")
    after = await database_sync_to_async(lambda: type(meeting).objects.get(pk=meeting.pk).seq)()
    assert after == before  # nothing happened


async def test_it_adjourns_resumes_and_ends_over_the_socket(world, meeting):
    chair = world.cast["party_secretary"]
    async with Room(chair, meeting) as c, Room(world.cast["council_member"], meeting) as m:
        assert (await c.ask("meeting.adjourn"))["type"] == "ack"
        assert (await m.expect("event", "meeting.status"))["data"]["status"] == "adjourned"
        refused = await m.ask("hand.raise")
        assert refused["type"] == "error"
        assert (await c.ask("meeting.start"))["type"] == "ack"
        assert (await m.expect("event", "meeting.status"))["data"]["status"] == "live"
        assert (await m.ask("hand.raise"))["type"] == "ack"
        assert (await m.ask("hand.lower"))["type"] == "ack"
        assert (await c.ask("meeting.end"))["type"] == "ack"
        assert (await m.expect("event", "meeting.status"))["data"]["status"] == "ended"
    minutes = await database_sync_to_async(
        lambda: meeting.__class__.objects.get(pk=meeting.pk).minutes
    )()
    assert minutes.status == "draft"


async def test_a_hub_that_lost_its_group_catches_up_from_the_log(world, meeting):
    """What a Redis restart does: the layer forgets the group, so events reach nobody live.
    The hub's next check joins again and delivers what it missed, in order."""
    from realtime.hub import RoomHub, group_name

    chair = world.cast["party_secretary"]
    async with Room(world.cast["council_member"], meeting) as m:
        hub = RoomHub.running()[meeting.pk]
        await hub.layer.group_discard(group_name(meeting.pk), hub.channel)
        for text in ("断线期间一", "断线期间二"):
            await database_sync_to_async(meetings.send_chat)(chair, meeting, text)
        assert await m.comm.receive_nothing(timeout=0.3) or (await m.frame())["type"] == "state"
        await hub._rejoin()
        # Repaired together: one `events` frame (or single events, had the hub been idle).
        got = []
        while len(got) < 2:
            frame = await m.frame()
            if frame["type"] == "events":
                got += frame["events"]
            elif frame["type"] == "event":
                got.append(frame)
        first, second = got
        assert [first["data"]["html"], second["data"]["html"]] == ["断线期间一", "断线期间二"]
        assert second["seq"] == first["seq"] + 1
        await database_sync_to_async(meetings.send_chat)(chair, meeting, "恢复之后")
        assert (await m.expect("event", "chat.message"))["data"]["html"] == "恢复之后"


async def test_a_hub_keeps_receiving_after_the_layer_fails(world, meeting, monkeypatch):
    import realtime.hub as hub_module
    from realtime.hub import RoomHub

    monkeypatch.setattr(hub_module, "RETRY_SECONDS", (0.01,))
    chair = world.cast["party_secretary"]
    async with Room(world.cast["council_member"], meeting) as m:
        hub = RoomHub.running()[meeting.pk]
        real_receive, failures = hub.layer.receive, []

        async def flaky(channel):
            if len(failures) < 3:
                failures.append(channel)
                raise ConnectionError("the layer is down")
            return await real_receive(channel)

        # The receive loop is waiting already; restart it on the flaky layer.
        hub.task.cancel()
        monkeypatch.setattr(hub.layer, "receive", flaky)
        hub.task = hub_module.asyncio.ensure_future(hub._run())
        await database_sync_to_async(meetings.send_chat)(chair, meeting, "层断开时")
        # Delivered from the log by the retry, even though the layer refused to receive it.
        assert (await m.expect("event", "chat.message"))["data"]["html"] == "层断开时"
        while len(failures) < 3:
            await hub_module.asyncio.sleep(0.01)
        await database_sync_to_async(meetings.send_chat)(chair, meeting, "层恢复了")
        assert (await m.expect("event", "chat.message"))["data"]["html"] == "层恢复了"


async def test_a_busy_hub_sends_waiting_events_together_in_order(world, meeting):
    """Events that queue up before the hub's sender runs go out as one `events` frame."""
    from realtime.hub import RoomHub, group_name

    chair = world.cast["party_secretary"]
    async with Room(world.cast["council_member"], meeting) as m:
        hub = RoomHub.running()[meeting.pk]
        await hub.layer.group_discard(group_name(meeting.pk), hub.channel)
        for i in (1, 2, 3):
            await database_sync_to_async(meetings.send_chat)(chair, meeting, f"第{i}条")
        await hub._rejoin()  # all three are queued at once, from the log
        frame = await m.expect("events")
        seqs = [e["seq"] for e in frame["events"]]
        assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
        assert [e["data"]["html"] for e in frame["events"]] == ["第1条", "第2条", "第3条"]
        # One that comes alone is a plain event, and nothing is sent twice.
        await database_sync_to_async(meetings.send_chat)(chair, meeting, "单独一条")
        single = await m.expect("event", "chat.message")
        assert single["seq"] == seqs[-1] + 1 and single["data"]["html"] == "单独一条"


async def test_a_socket_gets_only_the_part_of_a_batch_it_has_not_had():
    from realtime.consumers import MeetingConsumer

    sent = []
    consumer = MeetingConsumer()
    consumer.delivered_seq = 11

    async def send(text_data=None, bytes_data=None, close=False):
        sent.append(json.loads(text_data))

    consumer.send = send
    items = [{"seq": s, "kind": "chat.message", "data": {}} for s in (10, 11, 12, 13)]
    await consumer._write((10, 13, items), "the whole batch")
    assert [f["seq"] for f in sent] == [12, 13] and consumer.delivered_seq == 13
    await consumer._write((12, 13, items[2:]), "already had")
    assert len(sent) == 2


async def test_a_server_opening_the_room_afresh_ends_stays_a_dead_server_left(
    world, meeting, settings
):
    """A server killed with its sockets never records them leaving. With one process (the
    in-memory layer) the next hub for the room ends those stays, so that presence and the
    quorum count only who is there."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    for name in ("council_member", "resident"):  # the dead server's sockets
        await database_sync_to_async(meetings.join)(world.cast[name], meeting)
    async with Room(world.cast["party_secretary"], meeting) as c:
        presence = await c.expect("state", "presence")
        assert presence["data"]["total"] == 1
    open_stays = await database_sync_to_async(
        Attendance.objects.filter(meeting=meeting, left_at__isnull=True).count
    )()
    assert open_stays == 0


async def test_a_ballot_cast_outside_the_room_moves_its_tally(world, meeting):
    """The matter page's form casts through the ballot service, not the room: the room's
    tally follows all the same."""
    from deliberation import services

    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(chair, meeting) as c:
        opened = await c.ask("poll.open", question="是否成立协调小组？")
        assert (await c.expect("state", "tally"))["data"]["turnout"] == 0  # as it opened
        poll = await database_sync_to_async(Poll.objects.get)(pk=opened["poll"])
        await database_sync_to_async(services.cast_ballot)(member, poll, ["yes"])
        tally = await c.expect("state", "tally")
        assert tally["data"]["turnout"] == 1 and tally["data"]["counts"]["yes"] == 1


def test_a_group_send_that_fails_once_is_sent_again(monkeypatch):
    """After Redis restarts, a pooled connection fails on its first use; the event must still
    reach the rooms at once, not at a hub's next check."""
    from channels.layers import get_channel_layer

    from realtime import listeners

    layer, sent = get_channel_layer(), []

    async def flaky(group, message):
        sent.append(group)
        if len(sent) == 1:
            raise ConnectionError("Connection closed by server.")

    monkeypatch.setattr(layer, "group_send", flaky)
    data = {"meeting": 5, "what": "presence"}
    listeners.forward_meeting_events(None, kind="meeting.dirty", community_id=1, data=data)
    assert sent == ["meeting.5", "meeting.5"]


async def test_each_socket_learns_whether_it_may_vote_in_a_poll_that_opens(world, meeting):
    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    async with Room(chair, meeting) as c, Room(member, meeting) as m:
        opened = await c.ask("poll.open", question="谁能投票？")
        poll_id = opened["poll"]
        mine = await m.expect("state", "eligible")
        assert mine["data"] == {"poll": poll_id, "eligible": True}
        # The chair of a council meeting is not a council member here: no vote buttons.
        theirs = await c.expect("state", "eligible")
        assert theirs["data"] == {"poll": poll_id, "eligible": False}
    # Whoever joins later has the same flag in the snapshot.
    async with Room(chair, meeting) as c2:
        (poll,) = [p for p in c2.snapshot["polls"] if p["id"] == poll_id]
        assert poll["eligible"] is False
