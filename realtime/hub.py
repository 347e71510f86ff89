"""The per-process room hub: one channel-layer member per live meeting per process.

The naive design puts every WebSocket connection in the meeting's group, so each event wakes
every consumer through the channel layer. Instead each process keeps one hub per meeting:

- It alone is in the group. It receives each event once, queues the events in `seq` order
  (fetching any it missed from the log), encodes them to JSON once and hands the same frame to
  every local connection whose audience matches. Events that queue up while it is still
  sending go out together as one `events` frame.
- Presence and tallies are coalesced: a burst of changes becomes one update per
  `COALESCE_SECONDS`, spaced further in big rooms, computed once per process.
- It builds the shared part of the snapshot once per change, for every joiner.
- It commits live ballots in groups (`cast`, realtime/ballots.py).
- It outlives the channel layer: after a failure it joins its group again and repairs from the
  log, and it checks both every `CHECK_SECONDS`.

docs/benchmarks.md has the measurements behind each of these.
"""

import asyncio
import collections
import contextlib
import json
import logging
import time
import weakref
from datetime import datetime

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils import timezone

from deliberation.meetings import live
from realtime.ballots import GroupCommit

logger = logging.getLogger(__name__)

COALESCE_SECONDS = 0.25  # at most 4 presence or tally updates a second
# Coalesced updates go to every socket, so in a big room they are spaced further apart: at most
# this many such frames a second per room and process (5,000 sockets: one update per 2.5 s).
FIGURE_FRAMES_PER_SECOND = 2000
CHECK_SECONDS = 30.0  # how often a quiet hub re-joins its group and compares seq with the log
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # back-off while the channel layer is unreachable
# Let the event loop write what was queued after this many sockets, so the first sockets get
# the frame while the hub is still handing it to the rest (pipelining, not one long loop).
YIELD_EVERY = 100
# A hub that falls behind sends the events waiting for it together, as one `events` frame per
# socket (at most this many in one frame): frames per second stay within what a process can
# write, however fast events come.
BATCH_EVENTS = 50


def group_name(meeting_id: int) -> str:
    return f"meeting.{meeting_id}"


def encode(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class RoomHub:
    """Fan-out for one meeting in this process."""

    # Per event loop (one in a server process; tests start a new loop per test).
    _registries: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

    def __init__(self, meeting_id: int):
        self.meeting_id = meeting_id
        self.layer = get_channel_layer()
        self.connections: set = set()
        self.channel = None
        self.task = None
        self.last_seq = 0
        self.dirty: set = set()
        self.flush_handle = None
        self.last_flush = 0.0
        self.floor_timer = None
        self.ballots = GroupCommit(meeting_id)
        # The shared part of the snapshot, per language, valid until the next event or update.
        self.room_cache: dict[str, dict] = {}
        self.room_lock = asyncio.Lock()
        self.version = 0
        self.deliver_lock = asyncio.Lock()  # events are queued one at a time, in seq order
        self.inbox: collections.deque = collections.deque()  # numbered events not yet sent
        self.sending = None
        self.watch = None

    # -- lifecycle --------------------------------------------------------------------------

    @classmethod
    def _registry(cls) -> tuple[dict, asyncio.Lock]:
        loop = asyncio.get_running_loop()
        if loop not in cls._registries:
            cls._registries[loop] = ({}, asyncio.Lock())
        return cls._registries[loop]

    @classmethod
    def running(cls) -> dict[int, "RoomHub"]:
        """This process's hubs by meeting (for tests and diagnostics)."""
        return cls._registry()[0]

    @classmethod
    async def attach(cls, meeting_id: int, connection) -> "RoomHub":
        """Join this process's hub for the meeting, starting it if it is the first connection."""
        hubs, lock = cls._registry()
        async with lock:
            hub = hubs.get(meeting_id)
            if hub is None:
                hub = cls(meeting_id)
                await hub.start()
                hubs[meeting_id] = hub
            hub.connections.add(connection)
            return hub

    async def detach(self, connection) -> None:
        """Leave the hub; the last connection out stops it."""
        hubs, lock = self._registry()
        async with lock:
            self.connections.discard(connection)
            if self.connections:
                return
            hubs.pop(self.meeting_id, None)
            await self.stop()

    async def start(self) -> None:
        if isinstance(self.layer, InMemoryChannelLayer):
            # This process alone serves the room (the in-memory layer reaches no other) and no
            # socket of its own is in it yet: a stay still open was left by a server that died
            # with its sockets, and would count as presence and towards the quorum for good.
            if await database_sync_to_async(live.end_stays)(self.meeting_id):
                logger.warning("room hub %s: ended stays left open by a server", self.meeting_id)
        # The default prefix on purpose: channels_redis reads all of a process's channels that
        # share a prefix through one receive loop; a second prefix would starve behind it.
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(group_name(self.meeting_id), self.channel)
        self.last_seq = await database_sync_to_async(live.current_seq)(self.meeting_id)
        self.task = asyncio.ensure_future(self._run())
        self.watch = asyncio.ensure_future(self._watch())

    async def stop(self) -> None:
        await self.layer.group_discard(group_name(self.meeting_id), self.channel)
        for handle in (self.flush_handle, self.floor_timer):
            if handle is not None:
                handle.cancel()
        # Ballots already sent are committed and answered, even as the last socket leaves.
        with contextlib.suppress(Exception):
            await self.ballots.drain()
        if self.watch is not None:
            self.watch.cancel()
        if self.task is not None:
            # Wait for the cancelled receive to finish, so the layer's receive lock is released.
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    # -- receiving ----------------------------------------------------------------------------

    async def _run(self) -> None:
        """Receive from the layer; if it fails (Redis restarted or unreachable), keep trying,
        and once it answers, join the group again (a restarted Redis forgot it) and deliver
        what was missed from the database. Every CHECK_SECONDS of quiet, do the same check."""
        failures = 0
        while True:
            try:
                if failures:
                    await self._rejoin()
                    failures = 0
                # Never cancelled while waiting: channels_redis drops a channel's buffer then.
                message = await self.layer.receive(self.channel)
                if message.get("type") == "room.event":
                    async with self.deliver_lock:
                        await self._on_event(message)
                elif message.get("type") == "room.dirty":
                    self._on_dirty(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer is down, or a bad message: the room must go on
                if failures == 0:
                    logger.exception("room hub %s: receiving failed", self.meeting_id)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1

    async def _watch(self) -> None:
        """Every CHECK_SECONDS: still in the group, and nothing in the log left undelivered."""
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            with contextlib.suppress(Exception):  # the receive loop deals with outages
                await self._rejoin()

    async def _rejoin(self) -> None:
        """Be in the group again and catch up from the log (raises while the layer is down)."""
        await self.layer.group_add(group_name(self.meeting_id), self.channel)
        async with self.deliver_lock:
            await self._repair()

    async def _repair(self) -> None:
        current = await database_sync_to_async(live.current_seq)(self.meeting_id)
        if current > self.last_seq:
            logger.warning(
                "room hub %s: repairing events %s..%s from the log",
                self.meeting_id, self.last_seq + 1, current,
            )  # fmt: skip
            for event in await database_sync_to_async(live.events_between)(
                self.meeting_id, self.last_seq, current + 1
            ):
                self._enqueue(event)
            # Figures may have moved too: send fresh presence and tallies.
            self.dirty.update({("presence", None), ("tallies", None)})
            self._schedule_flush()

    async def _on_event(self, message: dict) -> None:
        seq = message["seq"]
        if seq <= self.last_seq:
            return  # already delivered (repaired from the log earlier)
        if seq > self.last_seq + 1:
            missed = await database_sync_to_async(live.events_between)(
                self.meeting_id, self.last_seq, seq
            )
            for event in missed:
                self._enqueue(event)
        self._enqueue(message)

    def _enqueue(self, event: dict) -> None:
        """Queue a numbered event for sending, once, in order; the sender drains the queue."""
        if event["seq"] <= self.last_seq:
            return
        self.last_seq = event["seq"]
        self._changed()
        self.inbox.append(event)
        if self.sending is None or self.sending.done():
            self.sending = asyncio.ensure_future(self._send_queued())

    async def _send_queued(self) -> None:
        while self.inbox:
            batch = [self.inbox.popleft()]
            if batch[0].get("audience", "all") == "all":
                while (
                    self.inbox
                    and self.inbox[0].get("audience", "all") == "all"
                    and len(batch) < BATCH_EVENTS
                ):
                    batch.append(self.inbox.popleft())
            try:
                await self._deliver(batch)
            except Exception:  # noqa: BLE001 - the clients resume from the log; keep sending
                logger.exception("room hub %s: sending events failed", self.meeting_id)

    async def _deliver(self, events: list[dict]) -> None:
        """Send events (of one audience, in seq order) to every socket that hears them: one
        `event` frame, or one `events` frame for several, encoded once for all sockets."""
        self._changed()
        items = [{"seq": e["seq"], "kind": e["kind"], "data": e["data"]} for e in events]
        if len(items) == 1:
            frame = encode({"type": "event", **items[0]})
        else:
            frame = encode({"type": "events", "events": items})
        audience = events[0].get("audience", "all")
        first, last = items[0]["seq"], items[-1]["seq"]
        kinds = {e["kind"] for e in events}
        for index, connection in enumerate(list(self.connections), 1):
            if connection.hears(audience):
                await self._push(connection, (first, last, items), frame, kinds)
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        for event in events:
            if event["kind"] == "floor.granted":
                self._arm_floor_timer(event["data"].get("ends_at"))
            elif event["kind"] in ("floor.ended", "meeting.status", "agenda.current"):
                if self.floor_timer is not None:
                    self.floor_timer.cancel()
                    self.floor_timer = None
            if event["kind"] == "poll.opened":
                # A closed poll's event carries its result; only an opened one needs a tally.
                self.dirty.add(("tally", event["data"].get("id")))
                self._schedule_flush()
                poll_id = event["data"].get("id")
                if poll_id is not None:
                    asyncio.ensure_future(self._tell_eligibility(poll_id))

    # -- who may vote in a poll that opened ------------------------------------------------------

    async def _tell_eligibility(self, poll_id: int) -> None:
        """Tell each socket here whether its person may vote in a poll that just opened, so that
        those outside its electorate see no vote buttons: one batch of queries for the whole
        room (live.eligibility), one small frame per socket. A socket that joins later
        has it in its snapshot (meetings.personal_state)."""
        sockets = [c for c in list(self.connections) if getattr(c, "user", None) is not None]
        if not sockets:
            return
        try:
            flags = await database_sync_to_async(live.eligibility)(
                poll_id, [c.user for c in sockets]
            )
        except Exception:  # noqa: BLE001 - without it the page asks the server on a click
            logger.exception("room %s: could not tell who may vote", self.meeting_id)
            return
        frames = {
            flag: encode(
                {"type": "state", "kind": "eligible", "data": {"poll": poll_id, "eligible": flag}}
            )
            for flag in (True, False)
        }
        for index, (connection, flag) in enumerate(zip(sockets, flags, strict=True), 1):
            await self._push(connection, None, frames[flag])
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    # -- the shared snapshot --------------------------------------------------------------------

    def _changed(self) -> None:
        self.version += 1
        self.room_cache.clear()

    async def room(self, language: str) -> dict:
        """The room as everyone sees it (live.room), built once for many joiners.

        A cached copy is never older than the last event or figure update this hub delivered;
        the joiner is attached before it asks, so whatever changes later reaches it as frames.
        """
        cached = self.room_cache.get(language)
        if cached is not None:
            return cached
        async with self.room_lock:
            cached = self.room_cache.get(language)
            if cached is not None:
                return cached
            version = self.version
            state = await database_sync_to_async(live.room)(self.meeting_id, language)
            if version == self.version:
                self.room_cache[language] = state
            return state

    # -- ballots: group commit ---------------------------------------------------------------

    def cast(self, user, session_key, poll_id: int, choices, org_id, language) -> asyncio.Future:
        """Queue one live ballot for the room's group commit (realtime/ballots.py); the future
        gets its outcome (a dict, a refusal, or live.SESSION_GONE)."""
        return self.ballots.cast(user, session_key, poll_id, choices, org_id, language)

    # -- the floor's time limit ---------------------------------------------------------------

    def _arm_floor_timer(self, ends_at: str | None) -> None:
        if not ends_at:
            return
        if self.floor_timer is not None:
            self.floor_timer.cancel()
        delay = (datetime.fromisoformat(ends_at) - timezone.now()).total_seconds()
        loop = asyncio.get_running_loop()
        self.floor_timer = loop.call_later(
            max(delay, 0) + 0.05, lambda: asyncio.ensure_future(self._end_floor())
        )

    async def _end_floor(self) -> None:
        try:
            await database_sync_to_async(live.end_floor_in_time)(self.meeting_id)
        except Exception:
            logger.exception("could not end the floor in meeting %s", self.meeting_id)

    # -- coalesced figures --------------------------------------------------------------------

    def _on_dirty(self, message: dict) -> None:
        self.dirty.add((message["what"], message.get("poll")))
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self.flush_handle is not None:
            return
        spacing = max(COALESCE_SECONDS, len(self.connections) / FIGURE_FRAMES_PER_SECOND)
        wait = max(0.0, self.last_flush + spacing - time.monotonic())
        loop = asyncio.get_running_loop()
        self.flush_handle = loop.call_later(wait, lambda: asyncio.ensure_future(self._flush()))

    async def _flush(self) -> None:
        self.flush_handle = None
        self.last_flush = time.monotonic()
        dirty, self.dirty = self.dirty, set()
        try:
            frames = [
                (audience, encode(frame))
                for audience, frame in await database_sync_to_async(live.figures)(
                    self.meeting_id, dirty
                )
            ]
        except Exception:
            logger.exception("could not compute live figures for meeting %s", self.meeting_id)
            return
        self._changed()
        for audience, frame in frames:
            for index, connection in enumerate(list(self.connections), 1):
                if connection.hears(audience):
                    await self._push(connection, None, frame)
                if index % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    async def _push(self, connection, seqs, frame: str, kinds=frozenset()) -> None:
        """One socket's write; a socket that fails is the consumer's to close, not the room's.

        `seqs` is (first, last, items) for numbered events, None for a coalesced state frame.
        """
        try:
            await connection.push(seqs, frame, kinds)
        except Exception:  # noqa: BLE001 - one broken socket must not stop the others
            logger.debug("room %s: a write failed", self.meeting_id, exc_info=True)
