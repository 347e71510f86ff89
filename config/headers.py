"""Response headers that tell the browser what a page may do.

- Content-Security-Policy, from settings.CONTENT_SECURITY_POLICY (django-csp), plus this
  page's own WebSocket origin in connect-src: a live room opens ws(s)://<host>/ws/..., and
  older browsers do not count ws: and wss: as 'self'.
- Permissions-Policy, from settings.PERMISSIONS_POLICY.

Cross-Origin-Opener-Policy comes from Django's SecurityMiddleware
(SECURE_CROSS_ORIGIN_OPENER_POLICY).
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost


def websocket_origin(request) -> str | None:
    """The origin a page's WebSocket connects to: its own host, ws: or wss: like the page."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


class SecurityHeadersMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = websocket_origin(request)
        if origin is not None and not report_only:
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", ()), origin]
            parts.update = update
        return parts

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response
