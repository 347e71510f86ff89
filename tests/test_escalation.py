"""Escalation (community → street → district) with answer deadlines, and reception sessions (接访)
that residents rate."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.timezone import localtime as local

from communities import services as register
from communities.models import AuditEvent, Organization
from deliberation import access, rules, services
from deliberation.models import Escalation, Matter, Notification, ReceptionRating, ReceptionSession
from tests.factories import CAST
from tests.walks import CONCERN, FOUR, fresh, outcome, propose

Kind = Organization.Kind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def matter(world):
    """A resident's concern; its first body is the workstation."""
    return propose(world, CONCERN, by="resident")


def escalate(world, matter, by="ws_staff", **options):
    return services.escalate(
        world.cast[by], matter, reason="涉及市政管网，社区无权处理。", **options
    )


def overdue(now):
    return set(Matter.objects.filter(access.overdue_q(now)).distinct())


# Escalating ---------------------------------------------------------------------------------


def test_it_lets_exactly_the_escalating_bodies_escalate(world, matter):
    outcomes = {name: outcome(lambda n=name: escalate(world, matter, by=n)) for name in CAST}
    allowed = {"rc_director", "ws_staff", "street_officer"}
    assert outcomes == {name: "ok" if name in allowed else "denied" for name in CAST}
    assert not Escalation.objects.exists()


def test_it_sends_a_matter_to_the_street_office_first(world, matter):
    escalation = escalate(world, matter)
    street = world.orgs[Kind.STREET_OFFICE]
    assert (escalation.level, escalation.to_organization) == ("street", street)
    assert street in matter.stakeholders.all()
    event = AuditEvent.objects.get(verb="matter.escalated")
    assert event.actor == world.cast["ws_staff"]
    assert event.data == {"matter": matter.reference, "level": "street", "grace_days": 0}
    assert Notification.objects.filter(
        recipient=world.cast["street_officer"], kind="escalated"
    ).exists()
    assert not Notification.objects.filter(
        recipient=world.cast["ws_staff"], kind="escalated"
    ).exists()


def test_it_sends_it_on_to_the_district_only_from_the_street(world, matter):
    escalate(world, matter)
    for name in ("ws_staff", "rc_director"):
        with pytest.raises(PermissionDenied):
            escalate(world, matter, by=name)
    second = escalate(world, matter, by="street_officer")
    assert (second.level, second.to_organization) == ("district", world.orgs[Kind.DISTRICT_OFFICE])
    with pytest.raises(ValidationError):
        escalate(world, matter, by="street_officer")
    assert list(matter.escalations.values_list("level", flat=True)) == ["street", "district"]


def test_it_gives_an_escalation_working_days_plus_grace_days_to_answer(world, matter):
    escalation = escalate(world, matter, grace_days=2)
    ten_working_days = rules.add_days(local(escalation.raised_at), 10, working=True)
    assert escalation.deadline == ten_working_days + timedelta(days=2)
    assert escalation.grace_days == 2


def test_it_reads_the_answer_days_from_the_community_settings(world, matter):
    world.community.settings = {"escalation.answer_days": 5}
    register.save_structure(world.admin, world.community, changed=["settings"])
    escalation = escalate(world, fresh(matter))
    assert escalation.deadline == rules.add_days(local(escalation.raised_at), 5, working=True)


def test_it_counts_working_days_in_the_communitys_own_time_zone(world, matter, monkeypatch):
    world.community.settings = {"escalation.answer_days": 1}
    register.save_structure(world.admin, world.community, changed=["settings"])
    # 07:30 on Friday 27 November 2026 in Shenzhen, still Thursday in UTC.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 26, 23, 30, tzinfo=UTC))
    escalation = escalate(world, fresh(matter), grace_days=1)
    due = local(escalation.deadline)
    assert (due.date(), due.hour, due.minute) == (date(2026, 12, 1), 7, 30)  # Monday + 1 day


def test_it_needs_a_reason_and_a_grace_period_of_at_most_sixty_days(world, matter):
    with pytest.raises(ValidationError):
        services.escalate(world.cast["ws_staff"], matter, reason="  ")
    for grace in (-1, 61, "3"):
        with pytest.raises(ValidationError):
            escalate(world, matter, grace_days=grace)
    assert not Escalation.objects.exists()


def test_it_escalates_only_a_matter_in_progress(world, matter):
    services.withdraw(world.cast["resident"], matter, reason="已解决")
    with pytest.raises(ValidationError):
        escalate(world, matter)


# Answering ----------------------------------------------------------------------------------


def test_it_lets_only_the_street_officers_answer_a_street_escalation(world, matter):
    escalation = escalate(world, matter)
    outcomes = {
        name: outcome(
            lambda n=name: services.answer_escalation(world.cast[n], escalation, response="已派单")
        )
        for name in CAST
    }
    assert outcomes == {name: "ok" if name == "street_officer" else "denied" for name in CAST}

    answered = services.answer_escalation(
        world.cast["street_officer"], escalation, response="已协调水务部门。"
    )
    assert (answered.answered_by, answered.response) == (
        world.cast["street_officer"],
        "已协调水务部门。",
    )
    assert AuditEvent.objects.get(verb="escalation.answered").data["late"] is False
    assert Notification.objects.filter(
        recipient=world.cast["ws_staff"], kind="escalation_answered"
    ).exists()
    with pytest.raises(ValidationError):
        services.answer_escalation(world.cast["street_officer"], escalation, response="再答")


def test_it_lets_only_the_district_answer_a_district_escalation(world, matter):
    escalate(world, matter)
    district = escalate(world, matter, by="street_officer")
    with pytest.raises(PermissionDenied):
        services.answer_escalation(world.cast["street_officer"], district, response="街道代答")
    services.answer_escalation(world.cast["district_officer"], district, response="区里已受理。")
    assert Escalation.objects.get(pk=district.pk).answered_by == world.cast["district_officer"]


def test_it_needs_a_response_text(world, matter):
    escalation = escalate(world, matter)
    with pytest.raises(ValidationError):
        services.answer_escalation(world.cast["street_officer"], escalation, response=" ")
    assert Escalation.objects.get(pk=escalation.pk).answered_at is None


def test_it_shows_an_unanswered_escalation_as_overdue(world):
    matter = propose(world, FOUR)  # a stage without a deadline of its own
    escalation = escalate(world, matter)
    assert matter not in overdue(escalation.deadline - timedelta(minutes=1))
    assert matter in overdue(escalation.deadline + timedelta(minutes=1))
    assert access.is_overdue(matter, now=escalation.deadline + timedelta(minutes=1))
    assert escalation.is_overdue(now=escalation.deadline + timedelta(minutes=1))

    services.answer_escalation(world.cast["street_officer"], escalation, response="已处理。")
    assert matter not in overdue(escalation.deadline + timedelta(minutes=1))


def test_it_records_a_late_answer_as_late(world, matter):
    escalation = escalate(world, matter)
    Escalation.objects.filter(pk=escalation.pk).update(
        raised_at=escalation.raised_at - timedelta(days=30),
        deadline=timezone.now() - timedelta(days=1),
    )
    assert matter in overdue(timezone.now())
    services.answer_escalation(world.cast["street_officer"], escalation, response="迟复。")
    assert AuditEvent.objects.get(verb="escalation.answered").data["late"] is True
    assert matter not in overdue(timezone.now())


# Reception sessions -------------------------------------------------------------------------


def hold(world, by="rc_director", **fields):
    defaults = {
        "held_on": timezone.localdate(),
        "place": "社区党群服务中心",
        "hosts": "区人大代表王某，居委会主任",
        "topic": "加装电梯",
    }
    return services.hold_reception(world.cast[by], world.community, **(defaults | fields))


def test_it_lets_exactly_the_officials_record_a_reception(world):
    outcomes = {name: outcome(lambda n=name: hold(world, by=n)) for name in CAST}
    hosts = {"party_secretary", "rc_director", "ws_staff", "street_officer", "district_officer"}
    assert outcomes == {name: "ok" if name in hosts else "denied" for name in CAST}
    assert not ReceptionSession.objects.exists()


def test_it_records_a_reception_held_today_or_before(world):
    session = hold(world, held_on=date(2024, 5, 8))
    assert (session.place, session.created_by) == ("社区党群服务中心", world.cast["rc_director"])
    assert AuditEvent.objects.filter(verb="reception.held", object_id=str(session.pk)).exists()
    for wrong in (
        {"held_on": timezone.localdate() + timedelta(days=1)},
        {"held_on": None},
        {"place": " "},
        {"hosts": ""},
    ):
        with pytest.raises(ValidationError):
            hold(world, **wrong)
    assert ReceptionSession.objects.count() == 1


def test_it_lets_exactly_verified_residents_rate_a_reception(world):
    session = hold(world)
    outcomes = {
        name: outcome(lambda n=name: services.rate_reception(world.cast[n], session, score=4))
        for name in CAST
    }
    assert outcomes == {name: "ok" if name in {"resident", "owner"} else "denied" for name in CAST}
    assert not ReceptionRating.objects.exists()


def test_it_takes_one_rating_from_one_to_five_per_resident(world):
    session = hold(world)
    resident = world.cast["resident"]
    for score in (0, 6, "3", None):
        with pytest.raises(ValidationError):
            services.rate_reception(resident, session, score=score)
    with pytest.raises(ValidationError):
        services.rate_reception(resident, session, score=3, comment="长" * 501)
    rating = services.rate_reception(resident, session, score=5, comment=" 很耐心 ")
    assert (rating.score, rating.comment) == (5, "很耐心")
    with pytest.raises(ValidationError):
        services.rate_reception(resident, session, score=1)
    assert list(session.ratings.values_list("score", flat=True)) == [5]
    assert AuditEvent.objects.get(verb="reception.rated").data == {"score": 5}
    services.rate_reception(world.cast["owner"], session, score=2)
    assert session.ratings.count() == 2
