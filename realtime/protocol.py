"""The wire protocol's client frames, as one table: message type -> fields and their types ->
the handler -> the shape of the ack. Parsing and validation only: no Django and no I/O.

Every frame is a JSON object of at most the configured size, with a string `type` and an
optional client `id`, which replies echo. Bad frames raise ProtocolError with a stable code (and
the field at fault, where one is). See docs/protocol.md, which lists the same table.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

MAX_ID_LENGTH = 64


class ProtocolError(Exception):
    """A frame the server refuses; `code` is stable and machine-readable."""

    def __init__(self, code: str, detail: str = "", *, field: str | None = None, message_id=None):
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.field = field
        # The client's `id`, when the frame could be read that far: the error reply echoes it.
        self.message_id = message_id


@dataclass(frozen=True)
class Message:
    type: str
    id: str | int | None
    body: dict


def parse_frame(text: str, *, max_bytes: int) -> Message:
    """Turn one text frame into a Message, or raise ProtocolError (with the frame's `id` when
    it could be read)."""
    if len(text) > max_bytes or len(text.encode("utf-8")) > max_bytes:
        raise ProtocolError("too_large", f"frames are limited to {max_bytes} bytes")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("malformed", "the frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("malformed", "the frame must be a JSON object")
    message_id = data.pop("id", None)
    if message_id is not None and (
        isinstance(message_id, bool)
        or not isinstance(message_id, (int, str))
        or (isinstance(message_id, str) and len(message_id) > MAX_ID_LENGTH)
    ):
        raise ProtocolError("malformed", "id must be an integer or a short string")
    message_type = data.pop("type", None)
    if not isinstance(message_type, str) or not message_type:
        raise ProtocolError("malformed", "type must be a non-empty string", message_id=message_id)
    return Message(type=message_type, id=message_id, body=data)


# -- field types --------------------------------------------------------------------------------


def _int(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError


def _str(value):
    if isinstance(value, str):
        return value
    raise ValueError


def _strings(value):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError


def _choices(value):
    """One choice code, or a list of them (multiple choice): always a list."""
    return [value] if isinstance(value, str) else _strings(value)


def _flag(value):
    """Set only by a JSON true; anything else leaves it off."""
    return value is True


INT, STR, STRINGS, CHOICES, FLAG = _int, _str, _strings, _choices, _flag


@dataclass(frozen=True)
class Field:
    """One field of a client message: its wire name, type, whether it must be there (an optional
    one that is absent, null or empty takes `default`), and the keyword the handler takes it as
    (the wire name unless given)."""

    name: str
    type: Callable
    required: bool = True
    default: object = None
    arg: str = ""

    @property
    def keyword(self) -> str:
        return self.arg or self.name


@dataclass(frozen=True)
class Spec:
    """A client message type: its fields, the handler that serves it (a live action named in
    `deliberation.meetings.live.ACTIONS`, or one of the consumer's own: "ping", "resume",
    "ballot"), and what its ack adds to {"type": "ack", "id": ...}."""

    handler: str
    fields: tuple[Field, ...] = ()
    ack: Callable[[object], dict] | None = None


def _poll_ack(poll) -> dict:
    return {"poll": poll.pk}


def _ballot_ack(outcome) -> dict:
    return {"status": outcome["status"]}


# Understood on every socket.
BASE_MESSAGES: dict[str, Spec] = {"ping": Spec("ping")}

# The live room's messages (`/ws/meetings/<id>/`).
MEETING_MESSAGES: dict[str, Spec] = {
    **BASE_MESSAGES,
    "resume": Spec("resume", (Field("since", INT),)),
    "chat.send": Spec("send_chat", (Field("text", STR),)),
    "hand.raise": Spec("raise_hand", (Field("side", STR, required=False, default="neutral"),)),
    "hand.lower": Spec("lower_hand"),
    "floor.grant": Spec("grant_floor", (Field("user", INT, arg="user_id"),)),
    "floor.end": Spec("end_floor"),
    "agenda.goto": Spec("goto_item", (Field("item", INT, arg="item_id"),)),
    "chair.hand": Spec("hand_chair", (Field("user", INT, arg="user_id"),)),
    "meeting.start": Spec("start_meeting"),
    "meeting.adjourn": Spec("adjourn_meeting"),
    "meeting.end": Spec("end_meeting"),
    "poll.open": Spec(
        "open_poll",
        (
            Field("question", STR, required=False, default=""),
            Field("kind", STR, required=False, default="yes_no_abstain"),
            Field("choices", STRINGS, required=False, default=()),
            Field("poll", INT, required=False, arg="poll_id"),
            Field("secret", FLAG, required=False, default=False),
            Field("results_hidden", FLAG, required=False, default=False),
        ),
        ack=_poll_ack,
    ),
    "poll.close": Spec("close_poll", (Field("poll", INT, arg="poll_id"),)),
    "ballot.cast": Spec(
        "ballot",
        (
            Field("poll", INT, arg="poll_id"),
            Field("choice", CHOICES, arg="choices"),
            Field("organization", INT, required=False, arg="organization_id"),
        ),
        ack=_ballot_ack,
    ),
}


def arguments(message: Message, spec: Spec) -> dict:
    """The handler's keyword arguments from a message's fields, checked against the spec; a
    field that is missing (and required) or of the wrong type raises ProtocolError naming it."""
    result = {}
    for item in spec.fields:
        value = message.body.get(item.name)
        if value is None and not item.required:
            value = item.default
        else:
            try:
                value = item.type(value)
            except ValueError:
                raise ProtocolError("malformed", "missing or wrong", field=item.name) from None
            if not item.required and value in ("", []):
                value = item.default
        result[item.keyword] = value
    return result
