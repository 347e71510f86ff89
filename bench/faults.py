"""Fault runs: two daphne processes and the bench's own Redis, n clients, events flowing, and
then one part killed with SIGKILL. Each run is bounded and reports what the clients saw.

- Redis restarts: it is killed while the chair keeps talking, and started again on its port.
  Chat lines sent during the outage must still be committed and, once Redis is back, reach
  every client without any client reconnecting.
- One daphne process dies: its clients reconnect (to the other process, as nginx would send
  them) with back-off, send `resume {since}`, and must end up with every event.
"""

import asyncio
import os
import random
import time

from bench import servers
from bench.load import SETTLE_TIMEOUT, Client, Room, ms, pct

CHATS = 10


def _seen_all(clients: list[Client], seqs: set[int]) -> int:
    """How many (client, event) pairs are still missing."""
    return sum(len(seqs - c.seen) for c in clients)


async def _talk(room: Room, count: int, rate: float, tag: str) -> list:
    """The chair sends `count` chat lines at `rate`; returns (sent at, ack or error or None)."""
    sent = []
    for i in range(count):
        future = room.chair.request(
            {"id": room.next_id(), "type": "chat.send", "text": f"bcast-{tag}{i}"}
        )
        sent.append((time.perf_counter(), future))
        await asyncio.sleep(1 / rate)
    await asyncio.wait([f for _t, f in sent], timeout=SETTLE_TIMEOUT)
    return [(t, f.result()[1] if f.done() else None) for t, f in sent]


def _committed_seqs(site, meeting: int) -> set[int]:
    rows = site.fixture("events", "--meeting", str(meeting), "--kind", "chat.message")
    return set(rows["seqs"])


async def _await_everyone(clients, seqs, timeout=SETTLE_TIMEOUT) -> float | None:
    started = time.perf_counter()
    while _seen_all(clients, seqs):
        if time.perf_counter() - started > timeout:
            return None
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


def _two_processes(site, name: str):
    """The bench's own Redis and two daphne processes sharing it."""
    redis, redis_url = servers.start_redis(site.workdir)
    try:
        webs = [site.web(f"{name}{i}", servers.free_port(), redis_url) for i in range(2)]
    except Exception:
        redis.stop()
        raise
    return redis, webs


def redis_restart(site, n: int) -> dict:
    redis, webs = _two_processes(site, "fault-r")
    redis_port = redis.port
    started = [redis, *webs]
    try:
        room = Room.new_meeting(site, [w.port for w in webs])
        meeting = room.meeting

        async def run():
            await room.open_chair()
            joined = await room.join(n, concurrency=50)
            clients = room.connected()
            for c in clients + [room.chair]:
                c.seen = set()
            await _talk(room, 3, 5, "before")
            redis.kill()
            killed_at = time.perf_counter()
            during = await _talk(room, CHATS, 5, "during")
            down_for = time.perf_counter() - killed_at
            again = servers.start(
                "redis-again",
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(site.workdir)],
                dict(os.environ), redis_port, site.workdir,
            )  # fmt: skip
            started.append(again)
            back_at = time.perf_counter()
            committed = await asyncio.to_thread(_committed_seqs, site, meeting)
            recovered = await _await_everyone(clients, committed, timeout=60)
            after = await _talk(room, 3, 5, "after")
            committed = await asyncio.to_thread(_committed_seqs, site, meeting)
            settled = await _await_everyone(clients, committed)
            closed = sum(1 for c in clients if c.ws.close_code is not None)
            await room.close_all()
            await room.chair.close()
            return {
                "clients": len(clients),
                "join failures": joined["failures"],
                "chat lines sent while Redis was down": len(during),
                "acknowledged while down": sum(1 for _t, a in during if a and a["type"] == "ack"),
                "Redis down for": f"{down_for:.1f} s",
                "every event on every client again after Redis came back": (
                    f"{recovered:.2f} s" if recovered is not None else "**not within 60 s**"
                ),
                "_recovered": recovered is not None,
                "events lost at the end": _seen_all(clients, committed),
                "events after recovery delivered to all": settled is not None,
                "sockets closed by the fault": closed,
                "acks after recovery": sum(1 for _t, a in after if a and a["type"] == "ack"),
                "_back_at": back_at,
            }

        figures = asyncio.run(run())
        figures.pop("_back_at", None)
        recovered = figures.pop("_recovered")
        figures["servers alive"] = all(w.alive() for w in webs)
        ok = recovered and figures["events lost at the end"] == 0
        return {
            "name": "Redis killed (SIGKILL) and restarted during a meeting",
            "summary": (
                "no event lost; live rooms recover without reconnecting"
                if ok
                else "**events were lost or recovery failed**"
            ),
            "ok": ok,
            "figures": figures,
        }
    finally:
        for process in reversed(started):
            process.stop()


def daphne_death(site, n: int) -> dict:
    redis, webs = _two_processes(site, "fault-d")
    started = [redis, *webs]
    try:
        room = Room.new_meeting(site, [w.port for w in webs])
        meeting = room.meeting
        survivor = f"ws://127.0.0.1:{webs[0].port}/ws/meetings/{meeting}/"

        async def run():
            await room.open_chair()  # on process 0, which survives
            joined = await room.join(n, concurrency=50)
            clients = room.connected()
            for c in clients + [room.chair]:
                c.seen = set()
            on_dead = [c for c in clients if str(webs[1].port) in c.url]
            talking = asyncio.ensure_future(_talk(room, 20, 5, "x"))
            await asyncio.sleep(1.0)
            webs[1].kill()
            killed_at = time.perf_counter()
            reconnects, failures = [], []

            async def come_back(client: Client):
                # Back-off with jitter, as the page does (static/js/live/socket.js).
                for attempt in range(8):
                    await asyncio.sleep(min(0.25 * 2**attempt, 4) * (0.5 + random.random()))  # noqa: S311
                    try:
                        await client.rejoin(survivor, f"http://127.0.0.1:{webs[0].port}")
                        reconnects.append(time.perf_counter() - killed_at)
                        return
                    except Exception as error:  # noqa: BLE001 - counted
                        last = type(error).__name__
                failures.append(last)

            await asyncio.gather(*(come_back(c) for c in on_dead))
            await talking
            committed = await asyncio.to_thread(_committed_seqs, site, meeting)
            settled = await _await_everyone(clients, committed)
            missing_on_survivor = _seen_all([c for c in clients if c not in on_dead], committed)
            await room.close_all()
            await room.chair.close()
            return {
                "clients": len(clients),
                "join failures": joined["failures"],
                "clients on the killed process": len(on_dead),
                "reconnected (with resume)": len(reconnects),
                "reconnect failures": len(failures),
                "time to reconnect after the kill, p50": f"{ms(pct(reconnects, 50))} ms",
                "time to reconnect after the kill, max": f"{ms(max(reconnects, default=None))} ms",
                "events missing on the surviving process's clients": missing_on_survivor,
                "events missing on any client at the end": _seen_all(clients, committed),
                "all events everywhere": settled is not None,
            }

        figures = asyncio.run(run())
        figures["surviving process alive"] = webs[0].alive()
        ok = (
            figures["events missing on any client at the end"] == 0
            and not figures["reconnect failures"]
        )
        return {
            "ok": ok,
            "name": "One of two daphne processes killed (SIGKILL) during a meeting",
            "summary": (
                "its clients reconnect to the other process and resume; no event lost"
                if ok
                else "**clients failed to recover every event**"
            ),
            "figures": figures,
        }
    finally:
        for process in reversed(started):
            process.stop()


def run_all(site, n: int) -> list[dict]:
    results = []
    for name, run in (("redis", redis_restart), ("daphne", daphne_death)):
        print(f"  fault: {name}, N={n}…", flush=True)
        result = run(site, n)
        print(f"    {result['summary']}", flush=True)
        results.append(result)
    return results
