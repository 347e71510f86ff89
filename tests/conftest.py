import os

import pytest
from django.conf import settings

from tests import factories

# Services are what CI is told it gets; a missing one must fail, not skip (see .ci/run).
REQUIRED_BACKENDS = {
    b.strip() for b in os.environ.get("GONGZHI_REQUIRE_BACKENDS", "").split(",") if b.strip()
}


def pytest_configure(config):
    # Hashing passwords properly is slow and beside the point in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    return factories.make_admin()


class World:
    """A community with all six bodies, one estate, and the named cast in their roles."""

    def __init__(self, admin):
        self.admin = admin
        self.community, self.estate, self.orgs = factories.make_community(admin)
        self.cast = factories.make_cast(admin, self.community, self.estate, self.orgs)


@pytest.fixture
def world(admin_user):
    return World(admin_user)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new channel layer object per test: each async test runs in its own event loop, and a
    Redis layer's locks belong to the loop that first used them (a server has one loop)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
