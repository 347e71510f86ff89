"""The register under concurrency: two scrutineers entering the same unit's written ballot while
its owner votes online, then two scrutineers confirming it at once while the owner tries again,
end with exactly one counted ballot for the unit. Real transactions, one connection per thread
(tests/test_ballot_concurrency.py); CI runs it on PostgreSQL as well as SQLite."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from deliberation import services
from deliberation.models import Ballot, PaperBallot, Poll
from deliberation.services import register
from tests.test_ballot_concurrency import check_errors, run_together
from tests.test_one_register import owners_vote, with_scrutineers

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def enter(scrutineer_pk, poll_pk, unit, choice):
    def call():
        poll = Poll.objects.get(pk=poll_pk)
        return register.enter_paper_ballot(
            User.objects.get(pk=scrutineer_pk), poll, unit=unit, choices=[choice]
        )

    return call


def confirm(scrutineer_pk, paper_pk, choice):
    def call():
        paper = PaperBallot.objects.get(pk=paper_pk)
        return register.confirm_paper_ballot(User.objects.get(pk=scrutineer_pk), paper, [choice])

    return call


def online(user_pk, poll_pk, choice):
    def call():
        return services.cast_ballot(User.objects.get(pk=user_pk), Poll(pk=poll_pk), [choice])

    return call


def test_two_scrutineers_and_the_owner_at_once_leave_one_ballot(world):
    poll, owners = owners_vote(world)
    s1, s2, s3 = with_scrutineers(world, poll, names=("s1", "s2", "s3"))
    unit = world.estate.units.get(number="102")
    owner = owners["102"]
    first = run_together(
        [
            enter(s1.pk, poll.pk, unit, "yes"),
            enter(s2.pk, poll.pk, unit, "yes"),
            online(owner.pk, poll.pk, "no"),
        ]
    )
    check_errors(first)
    pending = PaperBallot.objects.filter(poll=poll, status="pending")
    ballots = Ballot.objects.filter(poll=poll, voter=owner)
    assert pending.count() + ballots.count() == 1  # one way in, whichever came first
    assert [kind for kind, _v in first].count("ok") == 1

    if pending.exists():
        paper = pending.get()
        others = [s for s in (s1, s2, s3) if s.pk != paper.entered_by_id]
        second = run_together(
            [
                confirm(others[0].pk, paper.pk, "yes"),
                confirm(others[1].pk, paper.pk, "yes"),
                online(owner.pk, poll.pk, "no"),
            ]
        )
        check_errors(second)
        assert [kind for kind, _v in second].count("ok") == 1
    ballot = Ballot.objects.get(poll=poll, voter=owner)
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert ballot.channel in ("online", "paper")
