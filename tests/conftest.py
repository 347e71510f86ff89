import os

import pytest
from django.conf import settings

from tests import factories

# Services are what CI is told it gets; a missing one must fail, not skip (see .ci/run).
REQUIRED_BACKENDS = {
    b.strip() for b in os.environ.get("GONGZHI_REQUIRE_BACKENDS", "").split(",") if b.strip()
}


# The flag row that lets SQLite's triggers pass a DELETE (communities migration 0004).
FLUSH_FLAG = "gongzhi_flush_in_progress"


def pytest_configure(config):
    # Hashing passwords properly is slow and beside the point in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _let_the_test_flush_past_the_guards()


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """Notices' tasks run as they are enqueued (on commit); tests/test_notice_worker.py runs the
    database backend and its worker instead."""
    settings.TASKS = IMMEDIATE_TASKS


def _let_the_test_flush_past_the_guards():
    """SQLite's flush (between transactional and browser tests) empties tables with DELETE,
    which the never-deleted triggers refuse. Set their flag for the flush alone: the row is
    inserted and removed inside the flush's own transaction, so no other connection sees it.
    PostgreSQL flushes with TRUNCATE, which row triggers do not see."""
    from django.db.backends.sqlite3.base import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush
    if getattr(flush, "passes_the_guards", False):
        return

    def execute_sql_flush(self, sql_list):
        if not sql_list:
            return flush(self, sql_list)
        flag_on = f"INSERT INTO {FLUSH_FLAG} (flag) VALUES (1)"  # noqa: S608 - a fixed name
        flag_off = f"DELETE FROM {FLUSH_FLAG}"  # noqa: S608 - a fixed name
        return flush(self, [flag_on, *sql_list, flag_off])

    execute_sql_flush.passes_the_guards = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush


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


@pytest.fixture
def estate(world):
    """The world with an owner for every unit, and one more building: 1栋101 (the cast's
    owner, 88.50 m²), 1栋102 (owner102, 120.00), 1栋201 (owner201, 65.25) and 2栋301
    (owner301, 2,000.00): 4 heads, 2,273.75 m²."""
    factories.own_every_unit(world)
    return world


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new channel layer object per test: each async test runs in its own event loop, and a
    Redis layer's locks belong to the loop that first used them (a server has one loop)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def pdf_upload():
    """A factory of small, real PDF uploads (a signed written authorisation)."""
    return factories.upload
