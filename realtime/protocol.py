"""The wire protocol's client frames: parse and validate, with no Django and no I/O.

Every frame is a JSON object of at most the configured size, with a string `type` and an
optional client `id`, which replies echo. Bad frames raise ProtocolError with a stable code.
See docs/protocol.md.
"""

import json
from dataclasses import dataclass

MAX_ID_LENGTH = 64


class ProtocolError(Exception):
    """A frame the server refuses; `code` is stable and machine-readable."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Message:
    type: str
    id: str | int | None
    body: dict


def parse_frame(text: str, *, max_bytes: int) -> Message:
    """Turn one text frame into a Message, or raise ProtocolError."""
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
        raise ProtocolError("malformed", "type must be a non-empty string")
    return Message(type=message_type, id=message_id, body=data)
