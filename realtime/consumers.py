"""WebSocket consumers: parse, check, call a service, reply. No business rule lives here.

The live room's messages are one table (`realtime.protocol.MEETING_MESSAGES`): each type's
fields, its handler (a service in `deliberation.meetings.live`, the only module of deliberation
read here) and its ack.
"""

import asyncio
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from communities import access
from deliberation.meetings import live
from realtime.hub import RoomHub
from realtime.protocol import (
    BASE_MESSAGES,
    MEETING_MESSAGES,
    ProtocolError,
    arguments,
    parse_frame,
)
from realtime.ratelimit import TokenBucket
from realtime.sockets import People

# Close codes (4000-4999 are the application's): see docs/protocol.md. They are sent after the
# socket is accepted: daphne answers a close before accept with HTTP 403, which a browser
# reports as 1006, so it would never learn not to come back.
CLOSE_UNAUTHENTICATED = 4401  # not signed in, or no longer (logout, deactivated)
CLOSE_FORBIDDEN = 4403  # may not (or may no longer) see this room
CLOSE_TOO_MANY = 4409  # this person already holds WEBSOCKET_MAX_PER_PERSON sockets here
CLOSE_FLOODING = 4429  # kept sending after being rate-limited

# A client that keeps flooding after this many refusals is disconnected.
MAX_RATE_STRIKES = 20


def _language_from_scope(scope) -> str:
    """The visitor's language: the language cookie, else Accept-Language, else the default."""
    cookies = scope.get("cookies") or {}
    candidates = [cookies.get(settings.LANGUAGE_COOKIE_NAME)]
    for name, value in scope.get("headers") or []:
        if name == b"accept-language":
            parsed = translation.trans_real.parse_accept_lang_header(value.decode("latin-1"))
            candidates.extend(code for code, _q in parsed)
    for code in candidates:
        if not code or code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class ProtocolConsumer(AsyncWebsocketConsumer):
    """The frame discipline every live route shares: size limit, JSON schema, rate limit, and
    dispatch by the route's table of message types (`messages`, from realtime.protocol); and
    the per-person limits and access checks of realtime/sockets.py.

    Subclasses implement `authorize()`, `recheck(session_ended=...)` and `handle(message,
    spec)` for their own types; `ping` is answered here.
    """

    messages = BASE_MESSAGES
    counted = False  # among this process's sockets of its person (realtime.sockets.People)
    closed = False  # closed by the server, or gone: nothing more is sent

    async def connect(self):
        self.user = self.scope.get("user")
        self.language = _language_from_scope(self.scope)
        self.bucket = TokenBucket(
            rate=settings.WEBSOCKET_RATE_PER_SECOND, burst=settings.WEBSOCKET_RATE_BURST
        )
        self.strikes = 0
        # An access check waits for the socket to be open, and checks run one at a time.
        self.gate = asyncio.Lock()
        self.tasks = set()
        await self.accept()  # before any refusal, so that the close code reaches the browser
        if self.user is None or not self.user.is_authenticated:
            await self.close_with(CLOSE_UNAUTHENTICATED)
            return
        self.people = People.here()
        async with self.gate:
            # Counted before the first read of the person's rights: a change committed after
            # that read reaches this socket through the access subscription.
            if not await self.people.join(self):
                await self.close_with(CLOSE_TOO_MANY)
                return
            self.counted = True
            self.bucket = self.people.bucket(self.user.pk)
            if not await self.authorize():
                await self.close_with(CLOSE_FORBIDDEN)
                return
            await self.on_open()

    async def authorize(self) -> bool:
        raise NotImplementedError

    @property
    def session_key(self) -> str | None:
        return getattr(self.scope.get("session"), "session_key", None)

    async def close_with(self, code: int) -> None:
        """Close with an application code; nothing is sent on this socket after it."""
        if self.closed:
            return
        self.closed = True
        await self.close(code=code)

    async def disconnect(self, code):
        self.closed = True
        if self.counted:
            self.counted = False
            await self.people.leave(self)

    # -- access changes (realtime/sockets.py) ---------------------------------------------------

    def recheck_soon(self, *, session_ended: bool = False) -> None:
        """This socket's person's access changed (or, with `session_ended`, the session that
        opened it ended): check again, in a task of its own."""
        if self.closed:
            return
        task = asyncio.ensure_future(self.recheck(session_ended=session_ended))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def recheck(self, *, session_ended: bool = False) -> None:
        """Close with 4401 or 4403, or go on with what the person may still see."""
        raise NotImplementedError

    async def dispatch(self, message):
        # Channels closes stale database connections before every handler: a trip to the
        # database thread for every frame, which made a burst of frames queue behind whatever
        # that thread was doing (a fifth of the server's time in a 5,000-ballot burst,
        # docs/benchmarks.md). These handlers reach the database only through
        # database_sync_to_async, which closes stale connections around each call anyway.
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
            return
        await super().dispatch(message)

    async def on_open(self):
        """Called once the socket is accepted: join groups, send the first snapshot."""

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        with translation.override(self.language):
            if not self.bucket.take(time.monotonic()):
                self.strikes += 1
                if self.strikes > MAX_RATE_STRIKES:
                    await self.close_with(CLOSE_FLOODING)
                    return
                await self.send_error(
                    self.readable_id(text_data), "rate_limited", _("Too many messages; slow down.")
                )
                return
            if text_data is None:
                await self.send_error(None, "malformed", _("Only text frames are accepted."))
                return
            try:
                message = parse_frame(text_data, max_bytes=settings.WEBSOCKET_MAX_FRAME_BYTES)
            except ProtocolError as error:
                await self.send_error(error.message_id, error.code, self.error_text(error.code))
                return
            spec = self.messages.get(message.type)
            if spec is None:
                await self.send_error(
                    message.id, "unknown_type", _("This message type is not understood here.")
                )
                return
            if spec.handler == "ping":
                await self.send_json({"type": "ack", "id": message.id})
                return
            try:
                await self.handle(message, spec)
            except ProtocolError as error:
                await self.send_error(
                    message.id,
                    error.code,
                    _("The field %(name)s is missing or wrong.") % {"name": error.field},
                )

    @staticmethod
    def readable_id(text_data):
        """The client's `id` in a frame that is refused unread (rate-limited), where it can be
        read within the size limit; None otherwise."""
        if text_data is None:
            return None
        try:
            return parse_frame(text_data, max_bytes=settings.WEBSOCKET_MAX_FRAME_BYTES).id
        except ProtocolError as error:
            return error.message_id

    async def handle(self, message, spec):
        """Serve a message of one of this route's own types (raise ProtocolError on bad fields)."""
        raise NotImplementedError

    @staticmethod
    def error_text(code: str) -> str:
        return {
            "too_large": _("The message is too large."),
            "malformed": _("The message is not valid."),
        }.get(code, _("The message was refused."))

    async def send_json(self, payload: dict):
        if self.closed:
            return
        await self.send(text_data=json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    async def send_error(self, message_id, code: str, message: str):
        await self.send_json({"type": "error", "id": message_id, "code": code, "message": message})


class VerificationQueueConsumer(ProtocolConsumer):
    """Tells verifying staff, live, how many residents are waiting in their community's queue."""

    async def authorize(self) -> bool:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.community = await database_sync_to_async(self._community_for_verifier)(slug)
        return self.community is not None

    def _community_for_verifier(self, slug, user=None):
        try:
            return access.get_community_for(user or self.user, slug, action="verify")
        except Http404:
            return None

    def _still_allowed(self) -> int | None:
        """None if this socket's person, re-read from the database, may still verify here;
        else the close code."""
        pair = (self.session_key, self.user.pk)
        person = access.signed_in([pair]).get(pair)
        if person is None:
            return CLOSE_UNAUTHENTICATED
        self.user = person
        if self._community_for_verifier(self.community.slug, person) is None:
            return CLOSE_FORBIDDEN
        return None

    async def recheck(self, *, session_ended: bool = False) -> None:
        async with self.gate:
            if self.closed:
                return
            code = CLOSE_UNAUTHENTICATED
            if not session_ended:
                code = await database_sync_to_async(self._still_allowed)()
            if code is not None:
                await self.close_with(code)

    @property
    def group(self):
        return verification_group(self.community.pk)

    async def on_open(self):
        await self.channel_layer.group_add(self.group, self.channel_name)
        pending = await database_sync_to_async(access.pending_count)(self.community)
        await self.send_json({"type": "snapshot", "pending": pending})

    async def disconnect(self, code):
        if getattr(self, "community", None) is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await super().disconnect(code)

    async def domain_event(self, event):
        # A verifier who lost the right since connecting hears nothing more, even if the
        # access change has not reached this socket yet.
        async with self.gate:
            if self.closed:
                return
            code = await database_sync_to_async(self._still_allowed)()
            if code is not None:
                await self.close_with(code)
                return
            await self.send_json({"type": "event", "kind": event["kind"], "data": event["data"]})


def verification_group(community_id: int) -> str:
    return f"verification.{community_id}"


# ---------------------------------------------------------------------------------------------
# Live meetings


class MeetingConsumer(ProtocolConsumer):
    """One live room: `/ws/meetings/<id>/`. Parses, checks the session, calls a service, replies.

    Events reach the socket through the process's RoomHub (realtime/hub.py), which hands over
    frames already encoded; this consumer only writes them, in `seq` order, each numbered event
    at most once (`delivered_seq`: the highest seq this socket has been sent, by the snapshot,
    the hub or a resume).
    """

    hub = None
    # Frames that arrive while a snapshot is being made (on joining, on a resume that needs
    # one, on an access check) wait here, then follow it in order; None when none is.
    pending = None
    holds = 0
    delivered_seq = 0
    is_chair = False
    # No channel of its own: events come through the hub. A per-socket channel would cost each
    # connection a layer queue and a receive task (memory per idle connection, docs/benchmarks.md).
    channel_layer_alias = None
    messages = MEETING_MESSAGES

    async def authorize(self) -> bool:
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        self.meeting = await database_sync_to_async(live.meeting_for)(self.user, meeting_id)
        return self.meeting is not None

    async def on_open(self):
        self._hold()
        try:
            self.hub = await RoomHub.attach(self.meeting.pk, self)
            room = await self.hub.room(self.language)
            with translation.override(self.language):
                snapshot = await database_sync_to_async(live.enter)(self.user, self.meeting, room)
            await self._send_snapshot(snapshot)
        finally:
            await self._release()

    async def send_snapshot(self):
        self._hold()
        try:
            with translation.override(self.language):
                snapshot = await database_sync_to_async(live.snapshot)(self.meeting, self.user)
            await self._send_snapshot(snapshot)
        finally:
            await self._release()

    async def _send_snapshot(self, snapshot: dict):
        self.is_chair = snapshot["you"]["is_chair"]
        self.delivered_seq = max(self.delivered_seq, snapshot["seq"])
        await self.send_json({"type": "snapshot", **snapshot})

    def _hold(self) -> None:
        """Frames from the hub wait in `pending` until the matching `_release`."""
        self.holds += 1
        if self.pending is None:
            self.pending = []

    async def _release(self) -> None:
        self.holds -= 1
        while self.holds == 0 and self.pending:
            waiting, self.pending = self.pending, []
            for seqs, frame in waiting:
                await self._write(seqs, frame)
        if self.holds == 0:
            self.pending = None

    # -- access changes -------------------------------------------------------------------------

    def recheck_soon(self, *, session_ended: bool = False) -> None:
        # From the moment the change is heard here, nothing more goes out until it is decided.
        if self.closed:
            return
        self._hold()
        super().recheck_soon(session_ended=session_ended)

    async def recheck(self, *, session_ended: bool = False) -> None:
        """The person's access changed: re-read them from the database and ask the one
        definition again (live.recheck). Signed out: 4401. No longer allowed in the room: 4403.
        Still allowed (a public meeting, say): a fresh snapshot with what they may do now
        (no chair's powers, no taking part), then the frames held meanwhile."""
        try:
            async with self.gate:
                if self.closed:
                    return
                if session_ended:
                    await self.close_with(CLOSE_UNAUTHENTICATED)
                    return
                with translation.override(self.language):
                    outcome = await database_sync_to_async(live.recheck)(
                        self.session_key, self.user.pk, self.meeting.pk
                    )
                if await self._closed_for(outcome):
                    return
                self.user, snapshot = outcome
                await self._send_snapshot(snapshot)
        finally:
            await self._release()

    async def _closed_for(self, outcome) -> bool:
        """Close the socket if a check answered that its person may no longer be here."""
        if outcome is live.SESSION_GONE:
            await self.close_with(CLOSE_UNAUTHENTICATED)
        elif outcome is live.ROOM_GONE:
            await self.close_with(CLOSE_FORBIDDEN)
        return self.closed

    # -- what the hub calls ---------------------------------------------------------------------

    def hears(self, audience: str) -> bool:
        if self.closed:
            return False
        if audience == "all":
            return True
        if audience == "chair":
            return self.is_chair
        return audience == f"user:{self.user.pk}"

    async def push(self, seqs, frame: str, kinds=frozenset()) -> None:
        """Write one encoded frame; numbered events only once each and in order.

        `seqs` is (first, last, items) for a frame of numbered events, None for a state frame.
        The write goes straight to daphne's socket buffer (no queue, no task per connection).
        ASGI offers no backpressure, so a reader that stops reading is bounded by daphne's
        ping timeout, which closes it (docs/protocol.md); it then resumes from its last seq.
        """
        if self.closed:
            return
        if kinds & {"chair.handed", "agenda.current", "meeting.status"}:
            # Who chairs may have changed: the audience filter must follow at once.
            asyncio.ensure_future(self._refresh_chair())
        if self.pending is not None:
            self.pending.append((seqs, frame))
            return
        await self._write(seqs, frame)

    async def _write(self, seqs, frame: str) -> None:
        # Straight to the ASGI send (what self.send wraps): thousands of these per event.
        if self.closed:
            return
        if seqs is None:
            await self.base_send({"type": "websocket.send", "text": frame})
            return
        first, last, items = seqs
        if last <= self.delivered_seq:
            return  # the snapshot or a resume already had these
        if first > self.delivered_seq:
            self.delivered_seq = last
            await self.base_send({"type": "websocket.send", "text": frame})
            return
        # Some of the batch went out already (a resume overlapped it): send the rest singly.
        for item in items:
            if item["seq"] > self.delivered_seq:
                self.delivered_seq = item["seq"]
                await self.send_json({"type": "event", **item})

    async def _refresh_chair(self):
        self.is_chair = await database_sync_to_async(live.is_chair)(self.user, self.meeting.pk)

    async def disconnect(self, code):
        self.closed = True
        try:
            if self.hub is not None:
                # Leave before detaching: the last socket out stops the hub, and a hub that
                # starts again may end the stays still open (RoomHub.start); this one must be
                # over by then.
                try:
                    await database_sync_to_async(live.leave)(self.user, self.meeting)
                finally:
                    await self.hub.detach(self)
        finally:
            await super().disconnect(code)

    # -- messages -------------------------------------------------------------------------------

    async def handle(self, message, spec):
        """Serve one message by its spec: the consumer's own handlers, else a live action."""
        kwargs = arguments(message, spec)
        if spec.handler == "resume":
            await self.resume(message, **kwargs)
        elif spec.handler == "ballot":
            await self.cast_ballot(message, spec, **kwargs)
        else:
            await self.act(message, spec, kwargs)

    async def act(self, message, spec, kwargs):
        """Run a live action on behalf of this user, as the database has them now, and answer
        with ack or error (or close, if they may no longer be here)."""
        try:
            with translation.override(self.language):
                result = await database_sync_to_async(live.act)(
                    self.user, self.session_key, self.meeting, spec.handler, kwargs
                )
        except (PermissionDenied, ValidationError) as error:
            result = error
        if await self._closed_for(result):
            return
        await self.reply(message, result, spec.ack)

    async def reply(self, message, result, ack=None):
        """Answer an action: its ack, or an error for a refusal."""
        if isinstance(result, PermissionDenied):
            with translation.override(self.language):
                text = str(result) or _("You may not do that.")
            await self.send_error(message.id, "forbidden", text)
            return
        if isinstance(result, ValidationError):
            code = getattr(result, "code", None) or "refused"
            await self.send_error(message.id, code, " ".join(result.messages))
            return
        if isinstance(result, Exception):
            raise result
        payload = {"type": "ack", "id": message.id}
        if ack is not None:
            payload.update(ack(result))
        await self.send_json(payload)

    async def resume(self, message, *, since: int):
        """Send the events after `since` that this socket has not been sent yet (never one
        twice: those the hub wrote while the log was being read are skipped), or a fresh
        snapshot when there are too many, then the ack with the seq the socket is now current
        to. Access is checked afresh first."""
        async with self.gate:
            outcome = await database_sync_to_async(live.replay)(
                self.session_key, self.user.pk, self.meeting.pk, since
            )
            if await self._closed_for(outcome):
                return
            self.user, events = outcome
            if events is None:  # too many to replay: the whole room instead
                await self.send_snapshot()
                events = ()
            for event in events:
                if event.seq <= self.delivered_seq:
                    continue  # already sent on this socket: by the hub, a snapshot or a resume
                self.delivered_seq = event.seq
                await self.send_json(
                    {"type": "event", "seq": event.seq, "kind": event.kind, "data": event.data}
                )
            await self.send_json({"type": "ack", "id": message.id, "seq": self.delivered_seq})

    async def cast_ballot(self, message, spec, *, poll_id, choices, organization_id):
        # Through the room's group commit (RoomHub.cast): same service, same checks, including
        # the session check that `act` makes, for hundreds of ballots in one transaction.
        outcome = await self.hub.cast(
            self.user, self.session_key, poll_id, choices, organization_id, self.language
        )
        if await self._closed_for(outcome):
            return
        await self.reply(message, outcome, spec.ack)
