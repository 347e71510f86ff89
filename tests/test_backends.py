"""The backends CI asks for are the ones the tests really ran on.

CI runs the suite twice (see .ci/run): on SQLite with the in-memory channel layer, and on
PostgreSQL with Redis. It names what it expects in GONGZHI_REQUIRE_BACKENDS. A backend that is
not configured, or configured but unreachable, fails here; nothing is skipped.
"""

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.conftest import REQUIRED_BACKENDS

DATABASES = {"sqlite", "postgresql"}
CHANNEL_LAYERS = {
    "inmemory": "channels.layers.InMemoryChannelLayer",
    "redis": "channels_redis.core.RedisChannelLayer",
}
# Not a backend but a tool CI must have: the browser tests (tests/e2e/) fail instead of skipping.
TOOLS = {"browser"}
RECEIVE_TIMEOUT = 5  # seconds; a local Redis answers in milliseconds


def test_it_understands_what_ci_asked_for():
    # A typo such as "postgres" would otherwise require nothing and pass quietly.
    unknown = REQUIRED_BACKENDS - DATABASES - CHANNEL_LAYERS.keys() - TOOLS
    assert not unknown, f"GONGZHI_REQUIRE_BACKENDS names unknown backends: {sorted(unknown)}"
    assert len(REQUIRED_BACKENDS & DATABASES) <= 1
    assert len(REQUIRED_BACKENDS & CHANNEL_LAYERS.keys()) <= 1


@pytest.mark.django_db
def test_it_uses_the_database_ci_asked_for():
    required = REQUIRED_BACKENDS & DATABASES
    if required:
        assert connection.vendor == required.pop(), "is DATABASE_URL set as CI expects?"
    else:
        assert connection.vendor in DATABASES
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_it_uses_the_channel_layer_ci_asked_for():
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    required = REQUIRED_BACKENDS & CHANNEL_LAYERS.keys()
    if required:
        assert backend == CHANNEL_LAYERS[required.pop()], "is REDIS_URL set as CI expects?"
    else:
        assert backend in CHANNEL_LAYERS.values()


async def test_it_round_trips_a_group_message_through_the_configured_layer():
    layer = get_channel_layer()
    group = f"test-backends-{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        await layer.group_send(group, {"type": "test.ping", "nonce": group})
        message = await asyncio.wait_for(layer.receive(channel), timeout=RECEIVE_TIMEOUT)
        assert message == {"type": "test.ping", "nonce": group}
    finally:
        await layer.group_discard(group, channel)
        # Redis pools belong to this test's event loop; close them rather than leak them.
        # (Not flush(): that would empty every key under the prefix, other tests' too.)
        close_pools = getattr(layer, "close_pools", None)
        if close_pools is not None:
            await close_pools()


def test_it_reaches_the_redis_cache_when_redis_is_configured():
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" in REQUIRED_BACKENDS:
        assert settings.REDIS_URL, "CI asked for Redis but REDIS_URL is not set"
    if settings.REDIS_URL:
        assert backend == "django.core.cache.backends.redis.RedisCache"
        key = f"test-backends-{uuid.uuid4().hex}"
        try:
            cache.set(key, "共治", timeout=30)
            assert cache.get(key) == "共治"
        finally:
            cache.delete(key)
    else:
        assert backend == "django.core.cache.backends.locmem.LocMemCache"


def test_it_has_the_browser_and_axe_when_ci_asks_for_browser_tests():
    from tests.e2e.conftest import AXE, CHROMIUM

    if "browser" not in REQUIRED_BACKENDS:
        pytest.skip("this run does not require the browser tests")
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing (apt install chromium)"
    assert AXE.exists(), f"{AXE} is missing (npm ci)"
    import playwright.sync_api  # noqa: F401
