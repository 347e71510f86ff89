"""What every deliberation page shares."""

from collections.abc import AsyncIterator, Iterator

import segno
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def error_text(error: Exception) -> str:
    """A refusal in words a person can act on."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do that.")


def streamed(request, chunks: Iterator[str]) -> Iterator[str] | AsyncIterator[str]:
    """A StreamingHttpResponse body that streams under either server.

    Under WSGI, the iterator itself. Under ASGI (daphne), Django would read a plain iterator to
    its end before sending anything, so it gets an async one that pulls each chunk in the
    request's database thread (where the view ran, so the same connection and cursor).
    """
    if not isinstance(request, ASGIRequest):
        return chunks
    pull = sync_to_async(next, thread_sensitive=True)

    async def chunked():
        while (chunk := await pull(chunks, None)) is not None:
            yield chunk

    return chunked()


def qr_svg(text: str) -> str:
    """`text` as a QR code: inline SVG that scales to its box (no style, no script)."""
    svg = segno.make(text, error="m").svg_inline(omitsize=True, border=2, dark="#000")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the text is only in path data
