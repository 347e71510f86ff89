"""Who is told what: the owners' notice with its agenda to every owner, a poll's opening to its
electorate, the reminder before a poll closes to those who have not voted (once), a scheduled
meeting to its invitees, and a verification decision to the resident."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from communities import services as register
from deliberation import meetings, notify, services
from deliberation.models import Notification, Poll
from tests.factories import make_more_owners, make_user
from tests.walks import FOUR, OWNERS, fresh, propose, walk_to


def told(kind, **filters):
    return set(
        Notification.objects.filter(kind=kind, **filters).values_list(
            "recipient__username", flat=True
        )
    )


@pytest.fixture
def owners(world):
    return make_more_owners(world)


def test_it_tells_every_owner_of_the_estate_of_the_notice_with_its_agenda(world, owners):
    matter = walk_to(world, propose(world, OWNERS), "notice")
    assert told("owners_notice", matter=matter) == {"owner", "owner_b", "owner_c"}
    notice = Notification.objects.filter(kind="owners_notice", recipient=owners["owner_b"]).get()
    text = notify.message(notice)
    assert "续聘物业？" in text and matter.reference in text


def test_the_owners_notice_goes_to_no_one_but_owners(world, owners):
    matter = walk_to(world, propose(world, OWNERS), "notice")
    assert "resident" not in told("owners_notice", matter=matter)
    assert "outsider" not in told("owners_notice", matter=matter)


def test_it_tells_the_electorate_when_a_poll_opens(world):
    matter = walk_to(world, propose(world, FOUR), "review")
    services.create_poll(
        world.cast["party_secretary"], matter, question="是否同意？", kind="yes_no_abstain"
    )
    # The review is voted by the party roll: the secretary (who opened it) and one resident,
    # who is no stakeholder and is told only as a voter.
    assert "resident" in told("poll_opened", matter=matter)
    assert "owner" not in told("poll_opened", matter=matter)
    assert "party_secretary" not in told("poll_opened", matter=matter)  # the actor


def _owners_vote(world):
    matter = walk_to(world, propose(world, OWNERS), "voting")
    poll = matter.polls.get(status=Poll.Status.DRAFT)
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() + timedelta(hours=30))
    poll = services.open_poll(world.cast["oc_chair"], fresh_poll(poll))
    return fresh(matter), poll


def fresh_poll(poll):
    return Poll.objects.get(pk=poll.pk)


def test_it_reminds_only_those_who_have_not_voted_and_only_once(world, owners):
    matter, poll = _owners_vote(world)
    services.cast_ballot(world.cast["owner"], poll, ["yes"])
    now = timezone.now()
    # More than the reminder's 24 hours before the close: nobody is reminded yet.
    assert services.remind_non_voters(now) == 0
    later = now + timedelta(hours=7)
    assert services.remind_non_voters(later) == 1
    assert told("poll_reminder", matter=matter) == {"owner_b", "owner_c"}
    assert services.remind_non_voters(later) == 0
    call_command("deliberation_tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Notification.objects.filter(kind="poll_reminder").count() == 2
    assert fresh_poll(poll).reminded_at is not None


def test_the_reminder_hours_are_a_setting(world, owners, settings):
    settings.POLL_REMINDER_HOURS = 48
    matter, _poll = _owners_vote(world)
    assert services.remind_non_voters() == 1
    assert told("poll_reminder", matter=matter) == {"owner", "owner_b", "owner_c"}


def test_it_tells_the_invitees_of_a_scheduled_meeting(world):
    meeting = meetings.schedule_meeting(
        world.cast["party_secretary"], world.community, title="居民议事会", kind="council",
        scheduled_at=timezone.now() + timedelta(days=2), agenda=[("加装电梯", None)],
    )  # fmt: skip
    assert told("meeting_scheduled") == {"council_member"}
    notice = Notification.objects.get(kind="meeting_scheduled")
    assert "居民议事会" in notify.message(notice) and notice.data["meeting_id"] == meeting.pk


def test_it_tells_a_resident_they_were_verified(world):
    membership = world.cast["unverified"].memberships.get(community=world.community)
    register.verify_membership(world.cast["rc_director"], membership)
    [notice] = Notification.objects.filter(recipient=world.cast["unverified"])
    assert notice.kind == "membership_verified" and world.community.name in notify.message(notice)


def test_it_tells_a_resident_they_were_rejected_with_the_reason(world):
    applicant = make_user("applicant")
    membership = register.request_membership(applicant, world.community, address="1栋102")
    register.reject_membership(world.cast["rc_director"], membership, reason="查无此人")
    [notice] = Notification.objects.filter(recipient=applicant)
    assert notice.kind == "membership_rejected" and "查无此人" in notify.message(notice)


def test_a_refused_decision_tells_nobody(world):
    membership = world.cast["unverified"].memberships.get(community=world.community)
    with pytest.raises(Exception):  # noqa: B017 - any refusal
        register.verify_membership(world.cast["outsider"], membership)
    assert not Notification.objects.filter(recipient=world.cast["unverified"]).exists()
