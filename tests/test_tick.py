"""`manage.py deliberation_tick`: closes due polls and reminds overdue bodies once a day."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from deliberation import services
from deliberation.models import Matter, Notification, Poll


def _council_poll(world):
    party = world.cast["party_secretary"]
    matter = services.propose_matter(
        party, world.community, title="议事会议案", body="说明", category="other",
        procedure="council_motion",
    )  # fmt: skip
    services.advance(party, matter)
    closes = timezone.now() + timezone.timedelta(hours=1)
    poll = services.create_poll(party, matter, question="是否通过？", kind="yes_no_abstain",
                                closes_at=closes)  # fmt: skip
    return matter, poll


def test_it_closes_polls_whose_time_is_up(world):
    _matter, poll = _council_poll(world)
    services.cast_ballot(world.cast["council_member"], poll, ["yes"])
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timezone.timedelta(seconds=1))
    out = StringIO()
    call_command("deliberation_tick", stdout=out)
    poll.refresh_from_db()
    assert poll.is_closed
    assert poll.result == services.tally(poll)
    assert "closed 1 poll" in out.getvalue()


def test_it_leaves_polls_that_are_still_running(world):
    _matter, poll = _council_poll(world)
    call_command("deliberation_tick", stdout=StringIO())
    poll.refresh_from_db()
    assert poll.is_open


def test_it_reminds_about_an_overdue_matter_once_a_day(world):
    concern = services.propose_matter(
        world.cast["resident"], world.community, title="路灯坏了", body="说明", category="safety",
        procedure="concern", concern_kind="urgent",
    )  # fmt: skip
    Matter.objects.filter(pk=concern.pk).update(
        deadline=timezone.now() - timezone.timedelta(hours=1)
    )
    call_command("deliberation_tick", stdout=StringIO())
    call_command("deliberation_tick", stdout=StringIO())
    staff = world.cast["ws_staff"]
    assert Notification.objects.filter(kind="overdue", matter=concern, recipient=staff).count() == 1
