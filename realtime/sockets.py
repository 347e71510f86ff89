"""This process's live sockets, by person: the per-person limits, and the one subscription that
ends access when it is withdrawn.

- **Sockets per person.** A signed-in person may hold `WEBSOCKET_MAX_PER_PERSON` sockets here
  at once (every live route counted together); the next is closed with 4409.
- **Frames per person.** A person's sockets here share one token bucket
  (`WEBSOCKET_RATE_PER_SECOND`, `WEBSOCKET_RATE_BURST`), so opening more tabs buys no more
  frames. A socket with no person (not signed in) has a bucket of its own.
- **Access changes.** The process is one member of one channel-layer group, `access`, whatever
  the number of sockets. A change to what a person may do (`communities.events.ACCESS_CHANGED`,
  published on commit: membership, position, ownership, account flags, logout) comes here once
  per process; each local socket of that person checks again, with the person re-read from the
  database, and is closed (4401, 4403) or sent what it may still see. A logout names its
  session: only that session's sockets close, at once.
- **Catching up.** A message can be lost (Redis restarted or unreachable). Every
  `CHECK_SECONDS`, and at once after the layer comes back, the process asks the database which
  of its sockets' sessions have ended and whose rights an audited change has touched since the
  last look (`communities.access.withdrawn_since`), and checks those again: access lost while
  the layer was down ends within `CHECK_SECONDS` at most.

Both limits are counted per process, not across processes: counting across them would cost a
Redis round trip on every frame (the rate), and for the sockets a lease in Redis that a killed
process cannot leave behind (a count it never takes back would lock its people out). Behind a
proxy that spreads sockets over N processes, a person may hold up to N times the limit: still
a bound.
"""

import asyncio
import contextlib
import logging
import weakref
from datetime import timedelta

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from communities import access
from realtime.ratelimit import TokenBucket

logger = logging.getLogger(__name__)

ACCESS_GROUP = "access"
CHECK_SECONDS = 30.0  # how often the subscription joins its group again and catches up
# Catch-up windows overlap by this much: audit times come from the clocks of other processes.
CLOCK_MARGIN = timedelta(seconds=10)
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # back-off while the channel layer is unreachable


class People:
    """The sockets of this event loop (one in a server process), by person."""

    _registries: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

    def __init__(self):
        self.sockets: dict[int, set] = {}  # person's id -> their open sockets here
        self.buckets: dict[int, TokenBucket] = {}  # person's id -> their shared frame budget
        self.watch: AccessWatch | None = None
        self.lock = asyncio.Lock()

    @classmethod
    def here(cls) -> "People":
        loop = asyncio.get_running_loop()
        if loop not in cls._registries:
            cls._registries[loop] = cls()
        return cls._registries[loop]

    async def join(self, socket) -> bool:
        """Count a signed-in person's socket here; False if they already hold the most allowed.
        The first socket of the process starts the access subscription."""
        async with self.lock:
            mine = self.sockets.setdefault(socket.user.pk, set())
            if len(mine) >= settings.WEBSOCKET_MAX_PER_PERSON:
                if not mine:
                    del self.sockets[socket.user.pk]
                return False
            mine.add(socket)
            if self.watch is None:
                self.watch = AccessWatch(self)
                await self.watch.start()
            return True

    async def leave(self, socket) -> None:
        """A counted socket closed; the last one out stops the subscription."""
        async with self.lock:
            user_id = socket.user.pk
            mine = self.sockets.get(user_id)
            if mine is None or socket not in mine:
                return
            mine.discard(socket)
            if not mine:
                del self.sockets[user_id]
                self.buckets.pop(user_id, None)
            if not self.sockets and self.watch is not None:
                watch, self.watch = self.watch, None
                await watch.stop()

    def bucket(self, user_id: int) -> TokenBucket:
        """The frame budget this person's sockets here share."""
        bucket = self.buckets.get(user_id)
        if bucket is None:
            bucket = self.buckets[user_id] = TokenBucket(
                rate=settings.WEBSOCKET_RATE_PER_SECOND, burst=settings.WEBSOCKET_RATE_BURST
            )
        return bucket

    def access_changed(self, user_id: int, session_key: str | None = None) -> int:
        """Have this person's sockets here check their access again (only those of
        `session_key`, which has ended, when one is named). Returns how many were asked."""
        sockets = list(self.sockets.get(user_id, ()))
        if session_key is not None:
            sockets = [s for s in sockets if s.session_key == session_key]
        for socket in sockets:
            socket.recheck_soon(session_ended=session_key is not None)
        return len(sockets)

    async def catch_up(self, since) -> int:
        """Check again the sockets here whose session has ended or whose person's rights
        changed since `since`, by the database (for messages that may have been lost).
        Returns how many were asked."""
        sockets = [s for mine in self.sockets.values() for s in mine if not s.closed]
        if not sockets:
            return 0
        pairs = {(s.session_key, s.user.pk) for s in sockets}
        gone, changed = await database_sync_to_async(access.withdrawn_since)(pairs, since)
        asked = 0
        for socket in sockets:
            if (socket.session_key, socket.user.pk) in gone:
                socket.recheck_soon(session_ended=True)
            elif socket.user.pk in changed:
                socket.recheck_soon()
            else:
                continue
            asked += 1
        return asked


class AccessWatch:
    """The process's one subscription to access changes: one channel in the `access` group."""

    def __init__(self, people: People):
        self.people = people
        self.layer = get_channel_layer()
        self.channel = None
        self.task = None
        self.keep = None
        self.looked = timezone.now()  # access changes before this have been dealt with

    async def start(self) -> None:
        self.channel = await self.layer.new_channel()
        try:
            await self.layer.group_add(ACCESS_GROUP, self.channel)
            failures = 0
        except Exception:  # noqa: BLE001 - the layer is down: sockets open all the same
            logger.exception("access changes: could not subscribe yet")
            failures = 1  # the receive loop keeps trying, then catches up
        self.task = asyncio.ensure_future(self._run(failures))
        self.keep = asyncio.ensure_future(self._keep())

    async def stop(self) -> None:
        with contextlib.suppress(Exception):  # the layer may be down; the group forgets us
            await self.layer.group_discard(ACCESS_GROUP, self.channel)
        self.keep.cancel()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def _run(self, failures: int = 0) -> None:
        """Receive access changes; while the layer fails, keep trying with back-off, and once
        it answers, join the group again (a restarted Redis forgot it) and catch up."""
        while True:
            try:
                if failures:
                    await self.layer.group_add(ACCESS_GROUP, self.channel)
                    failures = 0
                    # Messages sent while the layer was down are lost: ask the database.
                    asyncio.ensure_future(self._catch_up())
                message = await self.layer.receive(self.channel)
                if message.get("type") == "access.changed":
                    self.people.access_changed(message["user"], message.get("session"))
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer is down, or a bad message: keep listening
                if failures == 0:
                    logger.exception("access changes: receiving failed")
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1

    async def _keep(self) -> None:
        """Every CHECK_SECONDS: still in the group (a restarted Redis forgot it, and
        channels_redis lets group membership expire after a day), and caught up."""
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            with contextlib.suppress(Exception):  # the receive loop deals with outages
                await self.layer.group_add(ACCESS_GROUP, self.channel)
            await self._catch_up()

    async def _catch_up(self) -> None:
        began = timezone.now()
        try:
            await self.people.catch_up(self.looked - CLOCK_MARGIN)
        except Exception:  # noqa: BLE001 - the database may be away; the next look retries
            logger.exception("access changes: catching up failed")
            return
        self.looked = max(self.looked, began)
