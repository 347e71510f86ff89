"""ASGI entry point: Django for HTTP; origin-checked, authenticated routes for WebSockets."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.origin import OriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin must be the site's own scheme, host and port (or a trusted origin), as
        # Django's CSRF check asks of a form post: realtime/origin.py.
        "websocket": OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Garbage collection for a process that holds thousands of live sockets. With the default
# thresholds (700, 10, 10) Python kept re-scanning every socket's objects during broadcasts: a
# third of the CPU with 2,000 sockets in a room (docs/benchmarks.md). What start-up loaded is
# frozen out of collection; cycles are still collected, after 50,000 allocations, not 700.
gc.freeze()
gc.set_threshold(50_000, 20, 100)
