"""Two real daphne processes serve one meeting through Redis: a client on either sees every
event, in order.

The processes are started from deploy/Procfile (tests/live.py) on the test database, with a
Redis of the test's own, so this runs in both CI passes: on SQLite (two processes sharing the
file, as the bench runs them) and on PostgreSQL.
"""

import asyncio
import json
import secrets
import time

import pytest
from django.test import Client
from django.utils import timezone

from deliberation import meetings
from tests import live

pytestmark = pytest.mark.django_db(transaction=True)

CHATS = 20


@pytest.fixture
def servers(settings):
    """Two daphne processes on the test database, sharing a Redis of their own."""
    # The servers run with DEBUG off, which wants a real key; sessions are signed with it here.
    settings.SECRET_KEY = secrets.token_urlsafe(48)
    with live.cluster(2) as running:
        yield running.ports


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def _connect(port, meeting, cookie):
    import websockets

    socket_ = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/meetings/{meeting.pk}/",
        additional_headers={"Cookie": cookie},
        origin=f"http://127.0.0.1:{port}",
        compression=None,
    )
    snapshot = json.loads(await asyncio.wait_for(socket_.recv(), 10))
    assert snapshot["type"] == "snapshot"
    return socket_, snapshot


async def _events(socket_, count, timeout=15):
    """The next `count` numbered events from this socket (other frames skipped); a busy hub
    sends several at once in an `events` frame (docs/protocol.md)."""
    seen = getattr(socket_, "held_events", [])  # beyond `count` in the last call's frame
    end = time.monotonic() + timeout
    while len(seen) < count:
        frame = json.loads(await asyncio.wait_for(socket_.recv(), end - time.monotonic()))
        if frame["type"] == "event":
            seen.append(frame)
        elif frame["type"] == "events":
            seen.extend({"type": "event", **event} for event in frame["events"])
    socket_.held_events = seen[count:]
    return seen[:count]


def test_it_serves_one_meeting_from_two_processes_in_order(world, servers):
    from asgiref.sync import async_to_sync

    chair, member = world.cast["party_secretary"], world.cast["council_member"]
    meeting = meetings.start_meeting(
        chair,
        meetings.schedule_meeting(
            chair, world.community, title="两进程会议", kind="council",
            scheduled_at=timezone.now(), agenda=[("议程一", None)],
        ),
    )  # fmt: skip
    cookies = (_cookie(chair), _cookie(member))

    async def run():
        a, snap_a = await _connect(servers[0], meeting, cookies[0])
        b, snap_b = await _connect(servers[1], meeting, cookies[1])
        try:
            start = max(snap_a["seq"], snap_b["seq"])
            await b.send(json.dumps({"id": 1, "type": "hand.raise", "side": "pro"}))
            raised = (await _events(a, 1))[0]
            assert raised["kind"] == "hand.raised" and raised["data"]["user"] == member.pk
            await a.send(json.dumps({"id": 2, "type": "floor.grant", "user": member.pk}))
            for i in range(CHATS):
                sender = (a, b)[i % 2]
                await sender.send(
                    json.dumps({"id": 10 + i, "type": "chat.send", "text": f"第{i}条"})
                )
            # The chair's socket already saw the raise; from here both must see the same list.
            on_a = await _events(a, 1 + CHATS)
            on_b = [e for e in await _events(b, 2 + CHATS) if e["seq"] > raised["seq"]]
            return start, raised, on_a, on_b
        finally:
            await a.close()
            await b.close()

    start, raised, on_a, on_b = async_to_sync(run)()
    seqs_a = [e["seq"] for e in on_a]
    assert seqs_a == list(range(raised["seq"] + 1, raised["seq"] + 2 + CHATS))
    assert [e["seq"] for e in on_b] == seqs_a
    assert [e["kind"] for e in on_a].count("floor.granted") == 1  # actions from two clients race
    texts = [e["data"]["html"] for e in on_a if e["kind"] == "chat.message"]
    assert sorted(texts) == sorted(f"第{i}条" for i in range(CHATS))
    assert raised["seq"] == start + 1
