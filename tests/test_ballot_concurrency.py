"""Ballots under concurrency: one voter sending the same ballot many times at once gets one
ballot, and a cast racing the close never lands after it.

Each thread has its own database connection, so the tests run in real transactions. On
PostgreSQL 50 threads race; SQLite serialises writers (IMMEDIATE transactions and a busy
timeout, config/settings.py), so fewer threads make the same point there. Any error other than
a refusal (ValidationError) would be a 500 for the voter and fails the test.

The SQLite test database is a file (config/settings.py), as in `make run` and production: the
in-memory default's shared cache fails at once with "database table is locked" instead of
waiting for the busy timeout, so it would not test what production does.
"""

import os
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from communities import services as register
from deliberation import services
from deliberation.models import Ballot, Poll
from tests.factories import make_user
from tests.walks import FOUR, propose, walk_to

ON_POSTGRES = connection.vendor == "postgresql"
THREADS = 50 if ON_POSTGRES else 8
RACERS = 30 if ON_POSTGRES else 6
JOIN_TIMEOUT = 60  # seconds; a deadlock fails the test instead of hanging it

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()


def test_it_runs_on_the_database_that_database_url_names():
    # Nothing here is skipped: with DATABASE_URL pointing at PostgreSQL, the 50-thread race runs.
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        assert ON_POSTGRES
        assert THREADS == 50


def run_together(calls):
    """Run each call in its own thread, all released at once; return ("ok"|"invalid", value)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def work(index, call):
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            with translation.override("en"):  # the active language is per thread
                results[index] = ("ok", call())
        except ValidationError as refusal:
            results[index] = ("invalid", refusal)
        except Exception as error:  # noqa: BLE001 - any other error is the failure we look for
            results[index] = ("error", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def check_errors(results):
    """Fail on any error but a refusal (a refusal is what the voter sees as a message)."""
    errors = [value for kind, value in results if kind == "error"]
    assert errors == []


def cast_as(user_pk, poll_pk, choices):
    """A cast from a fresh request: the voter and the poll read again on this thread."""

    def call():
        return services.cast_ballot(User.objects.get(pk=user_pk), Poll(pk=poll_pk), choices)

    return call


@pytest.fixture
def decision(world):
    return walk_to(world, propose(world, FOUR), "decision")


def open_poll(world, matter, **options):
    return services.create_poll(
        world.cast["rc_director"], matter, question="是否同意？", kind="yes_no_abstain", **options
    )


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_it_keeps_one_ballot_when_one_voter_sends_many_at_once(world, decision):
    poll = open_poll(world, decision)
    voter = world.cast["resident"]
    choices = [["yes"] if i % 2 else ["no"] for i in range(THREADS)]
    results = run_together([cast_as(voter.pk, poll.pk, c) for c in choices])

    ballot = Ballot.objects.get(poll=poll)
    statuses = [value["status"] for kind, value in results if kind == "ok"]
    assert statuses.count("cast") == 1
    for (kind, value), chosen in zip(results, choices, strict=True):
        if kind == "error":
            continue  # judged by check_errors below
        if chosen == ballot.choices:  # the same ballot again is a harmless retry
            assert kind == "ok" and value["status"] in {"cast", "unchanged"}
        else:  # a different one is refused: this poll does not allow changes
            assert kind == "invalid"
    check_errors(results)


def test_it_keeps_one_ballot_when_one_voter_changes_it_many_times_at_once(world, decision):
    poll = open_poll(world, decision, allow_change=True)
    voter = world.cast["resident"]
    choices = [[("yes", "no", "abstain")[i % 3]] for i in range(THREADS)]
    results = run_together([cast_as(voter.pk, poll.pk, c) for c in choices])

    assert [r for r in results if r[0] == "invalid"] == []
    assert [value["status"] for kind, value in results if kind == "ok"].count("cast") == 1
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.choices in (["yes"], ["no"], ["abstain"])
    services.close_poll(world.cast["rc_director"], poll)
    assert Poll.objects.get(pk=poll.pk).result["participation"]["heads"] == 1
    check_errors(results)


def test_it_never_lets_a_ballot_land_after_the_close(world, decision):
    voters = []
    for i in range(RACERS):
        person = make_user(f"racer{i:02d}")
        membership = register.request_membership(person, world.community, address=f"5栋{i}")
        register.verify_membership(world.admin, membership)
        voters.append(person)
    poll = open_poll(world, decision)
    director = world.cast["rc_director"]
    half = RACERS // 2
    # Half the voters are in before the race; the other half race the close.
    for voter in voters[:half]:
        services.cast_ballot(voter, poll, ["yes"])

    def close():
        return services.close_poll(User.objects.get(pk=director.pk), Poll(pk=poll.pk))

    calls = [cast_as(v.pk, poll.pk, ["no"]) for v in voters[half:]]
    results = run_together([*calls[: len(calls) // 2], close, *calls[len(calls) // 2 :]])

    if results[len(calls) // 2][0] == "error":
        check_errors(results)
    assert results[len(calls) // 2][0] == "ok"  # the close itself
    poll = Poll.objects.get(pk=poll.pk)
    assert poll.is_closed
    ballots = list(poll.ballots.all())
    assert all(ballot.cast_at <= poll.closed_at for ballot in ballots)
    landed = sum(1 for kind, value in results if kind == "ok" and isinstance(value, dict))
    assert len(ballots) == half + landed
    # The frozen result counts exactly the ballots stored, and counting again agrees.
    assert poll.result["participation"]["heads"] == len(ballots)
    assert services.tally(poll) == poll.result
    for kind, value in results:
        if kind == "invalid":
            assert value.messages == ["This poll is not open for voting."]
    check_errors(results)
