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


# -- access ends on every process ------------------------------------------------------------------

WITHIN = 1.0  # seconds from the change to every socket's close


def _post(port: int, path: str, cookie: str, data: dict) -> int:
    """A form post to one server, as the signed-in browser with `cookie` would send it; the
    status of its answer (the redirect is not followed: these servers collect no static files,
    which pages need)."""
    import secrets as tokens
    import urllib.error
    import urllib.parse
    import urllib.request

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    csrf = tokens.token_hex(16)  # a CSRF secret of the browser's own, sent back in the header
    request = urllib.request.Request(  # noqa: S310 - a test server on 127.0.0.1
        f"http://127.0.0.1:{port}{path}",
        data=urllib.parse.urlencode(data).encode(),
        headers={"Cookie": f"{cookie}; csrftoken={csrf}", "X-CSRFToken": csrf},
        method="POST",
    )
    try:
        with urllib.request.build_opener(Stay).open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as answer:  # the redirect, unfollowed
        return answer.code


async def _closed(socket_, started: float, timeout: float = 5) -> tuple[int, float, list]:
    """Read until the server closes the socket: its code, the seconds since `started`, and the
    numbered events or snapshots that came first (there must be none)."""
    import websockets

    seen = []
    end = time.monotonic() + timeout
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(socket_.recv(), end - time.monotonic()))
            if frame["type"] != "state":
                seen.append(frame)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None, time.monotonic() - started, seen


def test_access_withdrawn_on_one_process_ends_on_both(world, servers):
    """The resident's browser holds a socket on each process; the workstation revokes their
    membership through the other's pages. Both sockets close with 4403 within a second, with
    nothing of the members-only meeting sent after; the member's logout on one process closes
    that session's socket on the other with 4401."""
    from asgiref.sync import async_to_sync

    chair, resident = world.cast["party_secretary"], world.cast["resident"]
    member, staff = world.cast["council_member"], world.cast["ws_staff"]
    meeting = meetings.start_meeting(
        chair,
        meetings.schedule_meeting(
            chair, world.community, title="成员会议", kind="council", public=False,
            scheduled_at=timezone.now(), agenda=[("议程一", None)],
        ),
    )  # fmt: skip
    membership = resident.memberships.get(community=world.community)
    resident_cookie, member_cookie, staff_cookie = map(_cookie, (resident, member, staff))

    async def run():
        r0, _ = await _connect(servers[0], meeting, resident_cookie)
        r1, _ = await _connect(servers[1], meeting, resident_cookie)
        m1, _ = await _connect(servers[1], meeting, member_cookie)
        try:
            started = time.monotonic()
            status = await asyncio.to_thread(
                _post, servers[0], f"/memberships/{membership.pk}/decide/", staff_cookie,
                {"decision": "revoke", "reason": "已搬离本社区"},
            )  # fmt: skip
            revoked = [await _closed(s, started) for s in (r0, r1)]
            started = time.monotonic()
            await asyncio.to_thread(_post, servers[0], "/accounts/logout/", member_cookie, {})
            logged_out = await _closed(m1, started)
            return status, revoked, logged_out
        finally:
            for socket_ in (r0, r1, m1):
                await socket_.close()

    status, revoked, logged_out = async_to_sync(run)()
    assert status == 302  # the decision was recorded, and the page would show the queue
    for code, took, seen in revoked:
        assert (code, seen) == (4403, []) and took < WITHIN, (code, took, seen)
    code, took, seen = logged_out
    assert (code, seen) == (4401, []) and took < WITHIN, (code, took, seen)
    print(f"access lost across processes: revoked {[round(t, 3) for _c, t, _s in revoked]} s, "
          f"logged out {took:.3f} s")  # fmt: skip
