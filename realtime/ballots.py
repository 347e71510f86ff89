"""Group commit for a live room's ballots: the ballots that arrive while a batch is being
committed go together into the next one.

One transaction, one poll lock and a few queries for hundreds of ballots, instead of one of each
per ballot (docs/benchmarks.md). Every ballot still passes the same ballot service and checks,
the session check included (`deliberation.meetings.live.cast_batch`).
"""

import asyncio
import logging
import time
from dataclasses import dataclass

from channels.db import database_sync_to_async

from deliberation.meetings import live

logger = logging.getLogger(__name__)

BALLOT_BATCH = 500  # ballots committed together at most


@dataclass
class LiveBallot:
    """One ballot sent over a socket, waiting for its batch; `future` gets its outcome (a dict,
    a refusal, or live.SESSION_GONE)."""

    user: object
    session_key: str | None
    poll_id: int
    choices: list[str]
    organization_id: int | None
    language: str
    future: asyncio.Future


class GroupCommit:
    """The ballot queue of one room in this process."""

    def __init__(self, meeting_id: int):
        self.meeting_id = meeting_id
        self.waiting: list[LiveBallot] = []
        self.task = None

    def cast(
        self, user, session_key, poll_id: int, choices, organization_id, language
    ) -> asyncio.Future:
        """Queue one ballot; the returned future gets its outcome."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(
            LiveBallot(user, session_key, poll_id, choices, organization_id, language, future)
        )
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._commit())
        return future

    async def drain(self) -> None:
        """Wait until every ballot already sent is committed and answered."""
        if self.task is not None and not self.task.done():
            await self.task

    async def _commit(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:BALLOT_BATCH], self.waiting[BALLOT_BATCH:]
            started = time.perf_counter()
            try:
                outcomes = await database_sync_to_async(self._cast_batch)(batch)
                logger.debug(
                    "room %s: %d ballots committed in %.0f ms", self.meeting_id, len(batch),
                    (time.perf_counter() - started) * 1000,
                )  # fmt: skip
            except Exception as error:  # noqa: BLE001 - every waiting voter must hear back
                logger.exception("room %s: a batch of ballots failed", self.meeting_id)
                outcomes = [error] * len(batch)
            for ballot, outcome in zip(batch, outcomes, strict=True):
                if not ballot.future.done():
                    ballot.future.set_result(outcome)

    def _cast_batch(self, batch: list[LiveBallot]) -> list:
        return live.cast_batch(self.meeting_id, batch)
