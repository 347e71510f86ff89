"""The WebSocket handshake's Origin check: Django's CSRF origin rule, applied to sockets.

Channels' `AllowedHostsOriginValidator` compares the Origin's host with ALLOWED_HOSTS and ignores
its scheme and port, so a page on http://site:8080 (or plain http when the site is https) could
open a signed-in socket. Here the Origin must be exactly what Django's `CsrfViewMiddleware`
accepts for a form post (`_origin_verified`):

- the request's own origin, `scheme://host[:port]`, with the Host allowed by ALLOWED_HOSTS
  (`HttpRequest.get_host`) and the scheme the socket's (`ws` counts as http, `wss` as https;
  behind a TLS proxy, SECURE_PROXY_SSL_HEADER decides, as for HTTP); or
- one of CSRF_TRUSTED_ORIGINS, exactly, or a subdomain of a `scheme://*.domain` entry.

A refused handshake is answered with HTTP 403 (no socket is opened for a foreign page).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.request import is_same_domain


class _Handshake(HttpRequest):
    """The handshake as Django sees a request: its headers in META, its scheme from the scope,
    so that `get_host()` and `scheme` answer exactly as they do for HTTP."""

    def __init__(self, scope):
        super().__init__()
        self._socket_scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        for name, value in scope.get("headers") or []:
            key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
            text = value.decode("latin-1")
            # Repeated headers are joined, as Django's ASGI handler does.
            self.META[key] = f"{self.META[key]},{text}" if key in self.META else text
        server = scope.get("server") or ("", "")
        self.META["SERVER_NAME"] = str(server[0] or "")
        self.META["SERVER_PORT"] = str(server[1] or "")

    def _get_scheme(self):
        return self._socket_scheme


def origin_allowed(scope) -> bool:
    """Whether the handshake's Origin is one Django's CSRF check would accept."""
    request = _Handshake(scope)
    origin = request.META.get("HTTP_ORIGIN")
    if not origin:
        return False
    try:
        if origin == f"{request.scheme}://{request.get_host()}":
            return True
    except DisallowedHost:
        pass
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in {entry for entry in trusted if "*" not in entry}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    wildcards = (urlsplit(entry) for entry in trusted if "*" in entry)
    return any(
        is_same_domain(parsed.netloc, entry.netloc.lstrip("*"))
        for entry in wildcards
        if entry.scheme == parsed.scheme
    )


class OriginValidator:
    """ASGI middleware: passes a WebSocket on only if `origin_allowed`; else HTTP 403."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
