"""WebSocket consumers: parse, check, call a service, reply. No business rule lives here."""

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from communities import access
from realtime.protocol import ProtocolError, parse_frame
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
    """The frame discipline every live route shares: size limit, JSON schema, rate limit.

    Subclasses implement `authorize()` and `handle_<type>` methods (dots become underscores).
    """

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
            handler = getattr(self, "handle_" + message.type.replace(".", "_"), None)
            if handler is None:
                await self.send_error(
                    message.id, "unknown_type", _("This message type is not understood here.")
                )
                return
            await handler(message)

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

    async def handle_ping(self, message):
        await self.send_json({"type": "ack", "id": message.id})


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
