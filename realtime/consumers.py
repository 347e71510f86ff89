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

# Close codes (4000-4999 are the application's): see docs/protocol.md.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_FLOODING = 4429

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
    dispatch by the route's table of message types (`messages`, from realtime.protocol).

    Subclasses implement `authorize()` and `handle(message, spec)` for their own types; `ping`
    is answered here.
    """

    messages = BASE_MESSAGES

    async def connect(self):
        self.user = self.scope.get("user")
        self.language = _language_from_scope(self.scope)
        self.bucket = TokenBucket(
            rate=settings.WEBSOCKET_RATE_PER_SECOND, burst=settings.WEBSOCKET_RATE_BURST
        )
        self.strikes = 0
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await self.authorize():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()
        await self.on_open()

    async def authorize(self) -> bool:
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
        with translation.override(self.language):
            if not self.bucket.take(time.monotonic()):
                self.strikes += 1
                if self.strikes > MAX_RATE_STRIKES:
                    await self.close(code=CLOSE_FLOODING)
                    return
                await self.send_error(None, "rate_limited", _("Too many messages; slow down."))
                return
            if text_data is None:
                await self.send_error(None, "malformed", _("Only text frames are accepted."))
                return
            try:
                message = parse_frame(text_data, max_bytes=settings.WEBSOCKET_MAX_FRAME_BYTES)
            except ProtocolError as error:
                await self.send_error(None, error.code, self.error_text(error.code))
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
        await self.send(text_data=json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    async def send_error(self, message_id, code: str, message: str):
        await self.send_json({"type": "error", "id": message_id, "code": code, "message": message})


class VerificationQueueConsumer(ProtocolConsumer):
    """Tells verifying staff, live, how many residents are waiting in their community's queue."""

    async def authorize(self) -> bool:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.community = await database_sync_to_async(self._community_for_verifier)(slug)
        return self.community is not None

    def _community_for_verifier(self, slug):
        try:
            return access.get_community_for(self.user, slug, action="verify")
        except Http404:
            return None

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

    async def domain_event(self, event):
        # A verifier who lost the right since connecting hears nothing more.
        still_allowed = await database_sync_to_async(self._community_for_verifier)(
            self.community.slug
        )
        if still_allowed is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.send_json({"type": "event", "kind": event["kind"], "data": event["data"]})


def verification_group(community_id: int) -> str:
    return f"verification.{community_id}"


# ---------------------------------------------------------------------------------------------
# Live meetings


class MeetingConsumer(ProtocolConsumer):
    """One live room: `/ws/meetings/<id>/`. Parses, checks the session, calls a service, replies.

    Events reach the socket through the process's RoomHub (realtime/hub.py), which hands over
    frames already encoded; this consumer only writes them, in `seq` order.
    """

    hub = None
    pending = None
    # No channel of its own: events come through the hub. A per-socket channel would cost each
    # connection a layer queue and a receive task (memory per idle connection, docs/benchmarks.md).
    channel_layer_alias = None
    messages = MEETING_MESSAGES

    async def authorize(self) -> bool:
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        self.meeting = await database_sync_to_async(live.meeting_for)(self.user, meeting_id)
        return self.meeting is not None

    async def on_open(self):
        self.delivered_seq = 0
        self.is_chair = False
        # Frames that arrive before the snapshot is out wait here, then follow it in order.
        self.pending = []
        self.hub = await RoomHub.attach(self.meeting.pk, self)
        room = await self.hub.room(self.language)
        with translation.override(self.language):
            snapshot = await database_sync_to_async(live.enter)(self.user, self.meeting, room)
        await self._send_snapshot(snapshot)
        while self.pending:
            waiting, self.pending = self.pending, []
            for seqs, frame in waiting:
                await self._write(seqs, frame)
        self.pending = None

    async def send_snapshot(self):
        with translation.override(self.language):
            snapshot = await database_sync_to_async(live.snapshot)(self.meeting, self.user)
        await self._send_snapshot(snapshot)

    async def _send_snapshot(self, snapshot: dict):
        self.is_chair = snapshot["you"]["is_chair"]
        self.delivered_seq = max(self.delivered_seq, snapshot["seq"])
        await self.send_json({"type": "snapshot", **snapshot})

    # -- what the hub calls ---------------------------------------------------------------------

    def hears(self, audience: str) -> bool:
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
        if kinds & {"chair.handed", "agenda.current", "meeting.status"}:
            # Who chairs may have changed: the audience filter must follow at once.
            asyncio.ensure_future(self._refresh_chair())
        if self.pending is not None:
            self.pending.append((seqs, frame))
            return
        await self._write(seqs, frame)

    async def _write(self, seqs, frame: str) -> None:
        # Straight to the ASGI send (what self.send wraps): thousands of these per event.
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
        if self.hub is not None:
            # Leave before detaching: the last socket out stops the hub, and a hub that starts
            # again may end the stays still open (RoomHub.start); this one must be over by then.
            try:
                await database_sync_to_async(live.leave)(self.user, self.meeting)
            finally:
                await self.hub.detach(self)

    # -- messages -------------------------------------------------------------------------------

    def _session_key(self):
        return getattr(self.scope.get("session"), "session_key", None)

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
        """Run a live action on behalf of this user and answer with ack or error."""
        try:
            with translation.override(self.language):
                result = await database_sync_to_async(live.act)(
                    self.user, self._session_key(), self.meeting, spec.handler, kwargs
                )
        except (PermissionDenied, ValidationError) as error:
            result = error
        if result is live.SESSION_GONE:
            await self.close(code=CLOSE_UNAUTHENTICATED)
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
        events = await database_sync_to_async(live.events_since)(self.meeting, since, self.user)
        if events is None:
            await self.send_snapshot()
            return
        for event in events:
            if event.seq > self.delivered_seq:
                self.delivered_seq = event.seq
            await self.send_json(
                {"type": "event", "seq": event.seq, "kind": event.kind, "data": event.data}
            )
        await self.send_json({"type": "ack", "id": message.id, "seq": self.delivered_seq})

    async def cast_ballot(self, message, spec, *, poll_id, choices, organization_id):
        # Through the room's group commit (RoomHub.cast): same service, same checks, including
        # the session check that `act` makes, for hundreds of ballots in one transaction.
        outcome = await self.hub.cast(
            self.user, self._session_key(), poll_id, choices, organization_id, self.language
        )
        if outcome is live.SESSION_GONE:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.reply(message, outcome, spec.ack)
