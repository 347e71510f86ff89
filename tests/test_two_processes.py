"""Two real daphne processes serve one meeting through Redis and PostgreSQL: a client on either
sees every event, in order.

This needs what a multi-process deployment needs: REDIS_URL and a PostgreSQL DATABASE_URL. CI's
second pass has both (and requires them); on the embedded default (SQLite, in-memory layer) two
processes cannot share a room, so the test says so and is skipped there.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from deliberation import meetings
from tests.conftest import REQUIRED_BACKENDS

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30
CHATS = 20


def _backends_ready() -> bool:
    return bool(os.environ.get("REDIS_URL")) and connection.vendor == "postgresql"


@pytest.fixture
def backends():
    if not _backends_ready():
        if "redis" in REQUIRED_BACKENDS:
            pytest.fail("CI requires Redis, but REDIS_URL or PostgreSQL is missing")
        pytest.skip("two processes share a room only through Redis and PostgreSQL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def servers(backends):
    """Two daphne processes on the test database, sharing the test's Redis."""
    ports = [_free_port(), _free_port()]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": _database_url(),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
    }
    procs = [
        subprocess.Popen(  # noqa: S603 - our own daphne, on 127.0.0.1 only
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for port in ports
    ]
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        for port, proc in zip(ports, procs, strict=True):
            while True:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "daphne did not start"
                    time.sleep(0.2)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


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
    """The next `count` numbered events from this socket (other frames skipped)."""
    seen = []
    end = time.monotonic() + timeout
    while len(seen) < count:
        frame = json.loads(await asyncio.wait_for(socket_.recv(), end - time.monotonic()))
        if frame["type"] == "event":
            seen.append(frame)
    return seen


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
