"""The load generator: N WebSocket clients in one room, driven from one asyncio loop.

Every wait is bounded, so a run always ends by itself; a bound that is hit is reported as a
failure (a failed join, a lost event, a missing ack), never waited out.
"""

import asyncio
import json
import re
import statistics
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

OPEN_TIMEOUT = 60.0  # a join slower than this counts as a failure
SETTLE_TIMEOUT = 30.0  # the longest we wait for a broadcast or a result to reach everyone
ACK_TIMEOUT = 120.0
MARK = re.compile(r"bcast-(\d+)")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


class Client:
    """One participant: its socket, the `seq` it has reached, and when things arrived."""

    __slots__ = (
        "index", "url", "cookie", "origin", "ws", "task", "seq", "lost", "disorder", "arrivals",
        "snapshot", "acks", "tallies", "closed_at", "closed", "opened_poll", "marks", "errors",
        "seen", "resuming",
    )  # fmt: skip

    def __init__(self, index: int, url: str, cookie: str, origin: str):
        self.index, self.url, self.cookie, self.origin = index, url, cookie, origin
        self.ws = self.task = self.snapshot = self.closed_at = self.closed = None
        self.opened_poll = None
        self.seq = self.lost = self.disorder = self.tallies = self.errors = 0
        self.arrivals: dict[int, float] = {}
        self.acks: dict[int, asyncio.Future] = {}
        self.marks: dict[int, int] = {}  # seq -> broadcast number (read by the sender only)
        self.seen: set[int] | None = None  # every event seq received (fault runs only)
        self.resuming = False

    async def join(self) -> tuple[float, float]:
        """Open the socket and wait for the snapshot: (open seconds, snapshot seconds)."""
        started = time.perf_counter()
        self.snapshot = asyncio.get_running_loop().create_future()
        self.ws = await connect(
            self.url,
            additional_headers={"Cookie": self.cookie},
            origin=self.origin,
            compression=None,
            open_timeout=OPEN_TIMEOUT,
            ping_interval=None,
            close_timeout=2,
            max_size=2**22,
        )
        opened = time.perf_counter()
        self.task = asyncio.ensure_future(self._read())
        await asyncio.wait_for(self.snapshot, OPEN_TIMEOUT - (opened - started))
        return opened - started, time.perf_counter() - started

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "event":
                    self._event(frame, now)
                elif kind == "events":  # a busy server sends waiting events together
                    for item in frame["events"]:
                        self._event(item, now)
                elif kind == "state":
                    if frame.get("kind") == "tally":
                        self.tallies += 1
                elif kind == "ack" or kind == "error":
                    waiter = self.acks.pop(frame.get("id"), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result((now, frame))
                    elif kind == "error":
                        self.errors += 1
                elif kind == "snapshot":
                    if self.resuming and self.seen is not None:
                        # The room as of its seq: the server never sends this socket an event
                        # at or below it (docs/protocol.md), so the snapshot delivered those.
                        self.seen.update(range(self.seq + 1, frame["seq"] + 1))
                    self.seq = max(self.seq, frame["seq"])
                    if not self.snapshot.done():
                        self.snapshot.set_result(now)
        except Exception:  # noqa: BLE001,S110 - a dropped socket shows up as missing events
            pass

    async def rejoin(self, url: str, origin: str) -> None:
        """Connect again (to `url`) and `resume` from the last seq this client held before: the
        server sends only what neither the new snapshot nor an event since has brought."""
        if self.task is not None:
            self.task.cancel()
        since = self.seq
        self.url, self.origin, self.resuming = url, origin, True
        try:
            await self.join()
        finally:
            self.resuming = False
        _at, answer = await asyncio.wait_for(
            self.request({"id": -1, "type": "resume", "since": since}), OPEN_TIMEOUT
        )
        if answer["type"] != "ack":
            raise RuntimeError(f"resume refused: {answer}")

    def _event(self, frame: dict, now: float) -> None:
        seq = frame["seq"]
        if self.seen is not None:
            self.seen.add(seq)
        if seq <= self.seq:
            self.disorder += 1
            return
        if seq > self.seq + 1:
            self.lost += seq - self.seq - 1
        self.seq = seq
        self.arrivals[seq] = now
        what = frame["kind"]
        if what == "chat.message":
            mark = MARK.search(frame["data"].get("html", ""))
            if mark:
                self.marks[seq] = int(mark.group(1))
        elif what == "poll.opened":
            self.opened_poll = frame["data"]
        elif what == "poll.closed":
            self.closed_at, self.closed = now, frame["data"]

    def request(self, message: dict) -> asyncio.Future:
        """Send a message; the future resolves to (arrival time, ack or error frame)."""
        future = asyncio.get_running_loop().create_future()
        self.acks[message["id"]] = future
        asyncio.ensure_future(self.ws.send(json.dumps(message, ensure_ascii=False)))
        return future

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001,S110 - closing a dead socket is fine
                pass
        if self.task is not None:
            self.task.cancel()


@dataclass
class Room:
    """Where the clients go: one or more server ports, the meeting path, and the people."""

    ports: list[int]
    path: str
    chair_cookie: str
    cookies: list[str]
    clients: list[Client] = field(default_factory=list)
    chair: Client | None = None
    ids: int = 0
    meeting: int = 0

    @classmethod
    def new_meeting(cls, site, ports: list[int]) -> "Room":
        """A fresh live meeting on the bench's site, entered through these server ports."""
        meeting = site.fixture("meeting")["meeting"]
        room = cls(
            ports, f"/ws/meetings/{meeting}/", site.people["chair"], site.people["residents"]
        )
        room.meeting = meeting
        return room

    def _client(self, index: int, cookie: str) -> Client:
        port = self.ports[index % len(self.ports)]
        return Client(
            index, f"ws://127.0.0.1:{port}{self.path}", cookie, f"http://127.0.0.1:{port}"
        )

    def next_id(self) -> int:
        self.ids += 1
        return self.ids

    async def open_chair(self) -> None:
        self.chair = self._client(0, self.chair_cookie)
        await self.chair.join()

    async def join(self, n: int, *, concurrency: int | None) -> dict:
        """Join n clients, `concurrency` at a time (a ramp) or all at once (None: a storm)."""
        self.clients = [self._client(i, self.cookies[i]) for i in range(n)]
        gate = asyncio.Semaphore(concurrency or n)
        opens, snaps, failures = [], [], []

        async def one(client):
            async with gate:
                try:
                    opened, snapped = await client.join()
                    opens.append(opened)
                    snaps.append(snapped)
                except Exception as error:  # noqa: BLE001 - every failure is counted
                    failures.append(type(error).__name__)

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in self.clients))
        return {
            "open_p50_ms": ms(pct(opens, 50)),
            "open_p99_ms": ms(pct(opens, 99)),
            "snapshot_p50_ms": ms(pct(snaps, 50)),
            "snapshot_p99_ms": ms(pct(snaps, 99)),
            "failures": len(failures),
            "failure_kinds": sorted(set(failures)),
            "seconds": round(time.perf_counter() - started, 2),
        }

    async def close_all(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients))
        self.clients = []

    def connected(self) -> list[Client]:
        return [c for c in self.clients if c.snapshot is not None and c.snapshot.done()]

    async def _until(self, done, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while not done():
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def broadcast(self, rate: float, count: int) -> dict:
        """The chair sends `count` chat lines at `rate` a second; each client times every one."""
        clients = self.connected()
        sent: dict[int, float] = {}
        acks = []
        start = time.perf_counter()
        first_seq = self.chair.seq
        for i in range(count):
            sent[i] = time.perf_counter()
            acks.append(
                self.chair.request(
                    {"id": self.next_id(), "type": "chat.send", "text": f"bcast-{i}"}
                )
            )
            await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
        done, _pending = await asyncio.wait(acks, timeout=SETTLE_TIMEOUT)
        refused = sum(1 for a in done if a.result()[1]["type"] != "ack") + len(_pending)

        def mine():
            return {seq: mark for seq, mark in self.chair.marks.items() if seq > first_seq}

        # Every line this phase sent (and the server accepted) has come back to the chair.
        await self._until(lambda: len(mine()) >= count - refused, SETTLE_TIMEOUT)
        seqs = mine()
        last_seq = max(seqs, default=first_seq)
        await self._until(lambda: all(c.seq >= last_seq for c in clients), SETTLE_TIMEOUT)
        per_delivery, to_last, missing = [], [], 0
        for seq, mark in seqs.items():
            times = [c.arrivals.get(seq) for c in clients]
            got = [t - sent[mark] for t in times if t is not None]
            missing += len(times) - len(got)
            per_delivery.extend(got)
            if got:
                to_last.append(max(got))
        return {
            "rate": rate,
            "messages": count,
            "refused": refused,
            "deliveries": len(per_delivery),
            "missing": missing,
            "p50_ms": ms(pct(per_delivery, 50)),
            "p99_ms": ms(pct(per_delivery, 99)),
            "max_ms": ms(max(per_delivery, default=None)),
            "last_client_p50_ms": ms(statistics.median(to_last) if to_last else None),
            "last_client_max_ms": ms(max(to_last, default=None)),
        }

    def integrity(self) -> dict:
        """Lost and out-of-order numbered events, over every connected client."""
        clients = self.connected()
        final = max((c.seq for c in clients + [self.chair]), default=0)
        lost = sum(c.lost for c in clients) + sum(final - c.seq for c in clients)
        return {
            "clients": len(clients),
            "lost": lost,
            "out_of_order": sum(c.disorder for c in clients),
            "clients_with_loss": sum(1 for c in clients if c.lost or c.seq < final),
        }

    async def vote_burst(self, retry_share: float = 0.05) -> dict:
        """Everyone votes at once, some twice (a retried send); then close and time the result."""
        clients = self.connected()
        _at, opened = await asyncio.wait_for(
            self.chair.request(
                {"id": self.next_id(), "type": "poll.open", "question": "基准测试表决"}
            ),
            SETTLE_TIMEOUT,
        )
        if opened["type"] != "ack":
            raise RuntimeError(f"the chair could not open a poll: {opened}")
        poll = opened["poll"]
        await self._until(
            lambda: all(c.opened_poll and c.opened_poll["id"] == poll for c in clients),
            SETTLE_TIMEOUT,
        )
        codes = [c["code"] for c in clients[0].opened_poll["choices"]] if clients else []
        expected = dict.fromkeys(codes, 0)
        retry_every = max(1, round(1 / retry_share)) if retry_share else 0
        tallies_before = clients[0].tallies if clients else 0
        waits: list[tuple[float, asyncio.Future]] = []
        started = time.perf_counter()
        for client in clients:
            choice = codes[client.index % len(codes)]
            expected[choice] += 1
            tries = 2 if retry_every and client.index % retry_every == 0 else 1
            for _ in range(tries):
                message = {"id": self.next_id(), "type": "ballot.cast", "poll": poll}
                message["choice"] = choice
                waits.append((time.perf_counter(), client.request(message)))
        futures = [f for _t, f in waits]
        await asyncio.wait(futures, timeout=ACK_TIMEOUT)
        latencies, refusals, statuses = [], [], {}
        for sent_at, future in waits:
            if not future.done():
                refusals.append("timeout")
                continue
            at, frame = future.result()
            if frame["type"] != "ack":
                refusals.append(frame.get("code", "error"))
                continue
            latencies.append(at - sent_at)
            statuses[frame.get("status")] = statuses.get(frame.get("status"), 0) + 1
        acked_in = time.perf_counter() - started
        await asyncio.sleep(0.6)  # let the last coalesced tally go out before counting them
        tallies = (clients[0].tallies - tallies_before) if clients else 0
        closed_at = time.perf_counter()
        _at, closing = await asyncio.wait_for(
            self.chair.request({"id": self.next_id(), "type": "poll.close", "poll": poll}),
            SETTLE_TIMEOUT,
        )
        everyone = await self._until(
            lambda: all(c.closed and c.closed.get("id") == poll for c in clients), SETTLE_TIMEOUT
        )
        arrivals = [c.closed_at - closed_at for c in clients if c.closed and c.closed_at]
        result = (self.chair.closed or {}).get("result") or {}
        heads = {code: cell["heads"] for code, cell in result.get("counts", {}).items()}
        return {
            "poll": poll,
            "ballots_sent": len(waits),
            "retries": len(waits) - len(clients),
            "ack_p50_ms": ms(pct(latencies, 50)),
            "ack_p99_ms": ms(pct(latencies, 99)),
            "ack_max_ms": ms(max(latencies, default=None)),
            "all_acked_s": round(acked_in, 3),
            "refused": len(refusals),
            "refusal_kinds": sorted(set(refusals)),
            "statuses": statuses,
            "tally_broadcasts": tallies,
            "close_acked": closing["type"] == "ack",
            "result_to_all": everyone,
            "result_p50_ms": ms(pct(arrivals, 50)),
            "result_last_ms": ms(max(arrivals, default=None)),
            "result_heads": heads,
            "expected_heads": expected,
            "tally_exact": heads == expected,
        }
