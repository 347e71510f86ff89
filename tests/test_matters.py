"""Matters through their procedures: proposal, who may move them on at each stage, the guards,
the endings, and the audit trail and notices every step leaves. Services only."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.timezone import localtime as local

from communities import services as register
from communities.models import AuditEvent, Organization
from deliberation import access, rules, services
from deliberation.models import Matter, Notification, Transition
from tests import factories
from tests.walks import (
    CONCERN,
    CONSULTATION,
    COUNCIL,
    FOUR,
    MICRO,
    OWNERS,
    PROCEDURES,
    elapse,
    fresh,
    leave,
    outcome,
    prepare,
    propose,
    walk_to,
    walk_to_end,
    yes_poll,
)

Kind = Organization.Kind
CAST = factories.CAST


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def new_notices(matter, since_pk):
    return Notification.objects.filter(matter=matter, pk__gt=since_pk)


def last_pk(model) -> int:
    row = model.objects.order_by("-pk").first()
    return row.pk if row else 0


# Proposal ----------------------------------------------------------------------------------

FIRST_STAGE = {
    FOUR: "proposal",
    OWNERS: "proposal",
    COUNCIL: "screening",
    MICRO: "screening",
    CONCERN: "received",
    CONSULTATION: "open",
}


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_it_puts_a_new_matter_at_the_first_stage_of_its_procedure(world, procedure):
    matter = propose(world, procedure)
    assert matter.stage == FIRST_STAGE[procedure]
    assert matter.status == Matter.Status.OPEN
    assert matter.closed_at is None
    year = timezone.now().year
    assert matter.reference == f"LH-{year}-0001"
    assert (matter.year, matter.number) == (year, 1)
    transition = Transition.objects.get(matter=matter)
    assert (transition.action, transition.to_stage) == ("proposed", FIRST_STAGE[procedure])


def test_it_numbers_matters_per_community_and_year(world):
    first = propose(world, FOUR)
    second = propose(world, CONSULTATION)
    other, _estate, _orgs = factories.make_community(
        world.admin, slug="taoyuan", code="TY", name="桃源社区"
    )
    elsewhere = services.propose_matter(
        world.admin, other, title="路灯", body="路灯不亮。", category="safety",
        procedure=CONSULTATION,
    )  # fmt: skip
    year = timezone.now().year
    assert [first.reference, second.reference] == [f"LH-{year}-0001", f"LH-{year}-0002"]
    assert elsewhere.reference == f"TY-{year}-0001"


def test_it_records_the_stakeholders_named_and_implied(world):
    orgs = world.orgs
    matter = propose(
        world,
        FOUR,
        on_behalf_of=orgs[Kind.PARTY_COMMITTEE],
        stakeholders=[orgs[Kind.SOCIAL_ORGANIZATION], orgs[Kind.RESIDENTS_COMMITTEE]],
    )
    assert set(matter.stakeholders.all()) == {
        orgs[Kind.PARTY_COMMITTEE],
        orgs[Kind.SOCIAL_ORGANIZATION],
        orgs[Kind.RESIDENTS_COMMITTEE],
    }
    concern = propose(world, CONCERN)
    assert concern.first_body == orgs[Kind.WORKSTATION]
    assert set(concern.stakeholders.all()) == {orgs[Kind.WORKSTATION]}
    owners = propose(world, OWNERS)
    assert set(owners.stakeholders.all()) == {
        orgs[Kind.PROPERTY_MANAGEMENT],
        orgs[Kind.OWNERS_COMMITTEE],
    }


def test_it_ignores_stakeholders_from_another_community(world):
    _other, _estate, other_orgs = factories.make_community(
        world.admin, slug="taoyuan", code="TY", name="桃源社区"
    )
    matter = propose(world, FOUR, stakeholders=[other_orgs[Kind.SOCIAL_ORGANIZATION]])
    assert not matter.stakeholders.exists()


def test_it_gives_a_concern_the_working_day_deadline_of_its_kind(world):
    for kind, days in (("urgent", 1), ("enquiry", 3), ("complaint", 13)):
        matter = propose(world, CONCERN, concern_kind=kind)
        assert matter.deadline == rules.add_days(local(matter.stage_started_at), days, working=True)
        assert not matter.deadline_is_minimum
        assert matter.visibility == Matter.Visibility.MEMBERS


# 07:30 on Friday 27 November 2026 in Shenzhen, still Thursday in UTC.
FRIDAY_MORNING = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)


def test_it_counts_working_days_in_the_communitys_own_time_zone(world, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: FRIDAY_MORNING)
    matter = propose(world, CONCERN, concern_kind="urgent")  # due in one working day
    due = local(matter.deadline)
    assert (due.date(), due.hour, due.minute) == (date(2026, 11, 30), 7, 30)  # Monday
    matter = services.extend_deadline(world.cast["ws_staff"], matter, days=5, reason="协调")
    due = local(matter.deadline)
    assert (due.date(), due.hour, due.minute) == (date(2026, 12, 7), 7, 30)  # Monday


def test_it_reads_a_concern_deadline_from_the_community_settings(world):
    world.community.settings = {"concern.complaint_days": 5}
    register.save_structure(world.admin, world.community, changed=["settings"])
    matter = propose(world, CONCERN, concern_kind="complaint")
    assert matter.deadline == rules.add_days(local(matter.stage_started_at), 5, working=True)


def test_it_gives_a_consultation_a_minimum_comment_period(world):
    matter = propose(world, CONSULTATION)
    assert matter.deadline == matter.stage_started_at + timedelta(days=14)
    assert matter.deadline_is_minimum


def test_it_sets_no_deadline_where_the_first_stage_has_none(world):
    for procedure in (FOUR, OWNERS, COUNCIL, MICRO):
        assert propose(world, procedure).deadline is None


def test_it_refuses_a_concern_without_a_kind(world):
    with pytest.raises(ValidationError):
        propose(world, CONCERN, concern_kind="")


def test_it_refuses_an_unknown_procedure(world):
    with pytest.raises(ValidationError):
        propose(world, "referendum", by="resident")


# Who may propose: the verified residents and the community's own bodies (roles.py), and for
# an owners' decision the estate's owners and its two bodies. Written out by hand.
MAY_PROPOSE = {
    "community": {
        "party_secretary", "rc_director", "pm_manager", "oc_chair", "so_member",
        "council_member", "resident", "owner",
    },
    "estate": {"owner", "oc_chair", "pm_manager"},
}  # fmt: skip


@pytest.mark.parametrize("procedure", [FOUR, OWNERS, CONSULTATION])
def test_it_lets_exactly_the_entitled_cast_propose(world, procedure):
    outcomes = {name: outcome(lambda n=name: propose(world, procedure, by=n)) for name in CAST}
    allowed = MAY_PROPOSE["estate" if procedure == OWNERS else "community"]
    assert outcomes == {name: "ok" if name in allowed else "denied" for name in CAST}
    assert not Matter.objects.exists()


def test_it_refuses_proposals_from_the_unverified_and_outsiders(world):
    for procedure in (COUNCIL, MICRO, CONCERN):
        for name in ("unverified", "outsider"):
            with pytest.raises(PermissionDenied):
                propose(world, procedure, by=name)
    assert not Matter.objects.exists()


def test_it_refuses_an_owners_decision_without_an_estate_of_the_community(world):
    with pytest.raises(ValidationError):
        propose(world, OWNERS, estate=None)
    _other, other_estate, _orgs = factories.make_community(
        world.admin, slug="taoyuan", code="TY", name="桃源社区"
    )
    with pytest.raises(ValidationError):
        propose(world, OWNERS, estate=other_estate)
    assert not Matter.objects.exists()


def test_it_keeps_the_estate_only_for_owners_decisions(world):
    assert propose(world, FOUR, estate=world.estate).estate is None


def test_it_holds_micro_projects_to_the_budget_cap(world):
    budgets = [
        ("service", "200000"),  # the cap itself is within the cap
        ("service", "200000.01"),
        ("goods", "200000"),
        ("goods", "200000.01"),
        ("works", "400000"),
        ("works", "400000.01"),
    ]
    outcomes = {
        (kind, budget): outcome(
            lambda k=kind, b=budget: propose(world, MICRO, project_type=k, budget=Decimal(b))
        )
        for kind, budget in budgets
    }
    assert outcomes == {
        ("service", "200000"): "ok",
        ("service", "200000.01"): "invalid",
        ("goods", "200000"): "ok",
        ("goods", "200000.01"): "invalid",
        ("works", "400000"): "ok",
        ("works", "400000.01"): "invalid",
    }


def test_it_reads_the_budget_cap_from_the_community_settings(world):
    world.community.settings = {"micro_project.caps": {"service": "1000"}}
    register.save_structure(world.admin, world.community, changed=["settings"])
    with pytest.raises(ValidationError) as excinfo:
        propose(world, MICRO, project_type="service", budget=Decimal("1000.01"))
    assert "1000" in messages(excinfo)
    assert propose(world, MICRO, project_type="service", budget=Decimal("1000")).budget == 1000


def test_it_needs_a_project_type_and_budget_for_a_micro_project(world):
    with pytest.raises(ValidationError):
        propose(world, MICRO, project_type="", budget=Decimal("10"))
    with pytest.raises(ValidationError):
        propose(world, MICRO, project_type="works", budget=None)


def test_it_lets_only_a_spokesperson_propose_on_behalf_of_an_organisation(world):
    party = world.orgs[Kind.PARTY_COMMITTEE]
    for name in ("resident", "rc_director", "council_member"):
        with pytest.raises(PermissionDenied):
            propose(world, COUNCIL, by=name, on_behalf_of=party)
    matter = propose(world, FOUR, by="party_secretary", on_behalf_of=party)
    assert matter.on_behalf_of == party
    assert party in matter.stakeholders.all()


def test_it_refuses_to_propose_on_behalf_of_another_communitys_body(world):
    _other, _estate, other_orgs = factories.make_community(
        world.admin, slug="taoyuan", code="TY", name="桃源社区"
    )
    with pytest.raises(ValidationError):
        propose(world, FOUR, on_behalf_of=other_orgs[Kind.PARTY_COMMITTEE])


def test_it_needs_a_title_and_a_description(world):
    with pytest.raises(ValidationError):
        propose(world, FOUR, title="   ")
    with pytest.raises(ValidationError):
        propose(world, FOUR, body="")


# Who may move a 四议两公开 matter on, stage by stage ---------------------------------------

STAGES = ["proposal", "consultation", "review", "decision", "notice", "implementation"]

# Written out by hand from domain-rules §3, not read from procedures.py.
MAY_ADVANCE = {
    "proposal": {"party_secretary"},  # the party organisation
    "consultation": {"party_secretary", "rc_director"},  # the joint meeting's chair
    "review": {"party_secretary"},  # the party members' assembly
    "decision": {"rc_director"},  # the residents' committee convenes the meeting
    "notice": {"rc_director"},  # the residents' committee publishes
    "implementation": {"rc_director"},
}
MAY_REJECT = {
    "proposal": {"party_secretary"},
    "consultation": {"party_secretary", "rc_director"},
    "review": {"party_secretary"},
    "decision": {"rc_director"},
    "notice": None,  # a published resolution is not rejected; None: nobody, the stage has no reject
    "implementation": None,
}


def _expected(allowed):
    if allowed is None:
        return dict.fromkeys(CAST, "invalid")
    return {name: "ok" if name in allowed else "denied" for name in CAST}


@pytest.mark.parametrize("stage", STAGES)
def test_it_lets_exactly_the_stage_actor_advance_four_deliberations(world, stage):
    matter = prepare(world, walk_to(world, propose(world, FOUR), stage))
    outcomes = {
        name: outcome(lambda name=name: services.advance(world.cast[name], matter, note="同意。"))
        for name in CAST
    }
    assert outcomes == _expected(MAY_ADVANCE[stage])
    assert {n for n in CAST if access.may_act(world.cast[n], matter, "advance")} == (
        MAY_ADVANCE[stage]
    )
    assert fresh(matter).stage == stage  # every attempt was undone


@pytest.mark.parametrize("stage", STAGES)
def test_it_lets_exactly_the_stage_actor_reject_four_deliberations(world, stage):
    matter = walk_to(world, propose(world, FOUR), stage)
    outcomes = {
        name: outcome(lambda name=name: services.reject(world.cast[name], matter, reason="不可行"))
        for name in CAST
    }
    assert outcomes == _expected(MAY_REJECT[stage])
    assert fresh(matter).status == matter.status


def test_it_refuses_to_move_a_matter_for_an_anonymous_visitor(world):
    from django.contrib.auth.models import AnonymousUser

    matter = propose(world, FOUR)
    with pytest.raises(PermissionDenied):
        services.advance(AnonymousUser(), matter)


def test_it_refuses_a_deactivated_official(world):
    secretary = world.cast["party_secretary"]
    matter = propose(world, FOUR)
    secretary.is_active = False
    with pytest.raises(PermissionDenied):
        services.advance(secretary, matter)


def test_it_ends_a_rejected_matter_with_its_reason(world):
    matter = walk_to(world, propose(world, FOUR), "consultation")
    with pytest.raises(ValidationError):
        services.reject(world.cast["rc_director"], matter, reason=" ")
    matter = services.reject(world.cast["rc_director"], matter, reason="与规划冲突")
    assert matter.status == Matter.Status.REJECTED
    assert matter.closing_reason == "与规划冲突"
    assert matter.closed_at is not None
    assert matter.deadline is None
    last = matter.transitions.last()
    assert (last.action, last.note, last.as_organization) == ("rejected", "与规划冲突", None)
    with pytest.raises(ValidationError):
        services.advance(world.cast["rc_director"], matter)


# Guards -------------------------------------------------------------------------------------


def test_it_needs_a_passed_poll_to_leave_the_review(world):
    secretary = world.cast["party_secretary"]
    matter = walk_to(world, propose(world, FOUR), "review")
    with pytest.raises(ValidationError) as excinfo:
        services.advance(secretary, matter)
    assert "must have passed" in messages(excinfo)

    poll = services.create_poll(secretary, matter, question="同意？", kind="yes_no_abstain")
    with pytest.raises(ValidationError) as excinfo:
        services.advance(secretary, matter)
    assert "Close the open poll first." in messages(excinfo)

    services.cast_ballot(secretary, poll, ["no"])
    services.close_poll(secretary, poll)
    with pytest.raises(ValidationError) as excinfo:
        services.advance(secretary, matter)
    assert "must have passed" in messages(excinfo)

    yes_poll(world, matter, "party_secretary", ["party_secretary", "resident"])
    assert services.advance(secretary, matter).stage == "decision"


def test_it_does_not_count_a_poll_passed_at_an_earlier_stage(world):
    director = world.cast["rc_director"]
    matter = walk_to(world, propose(world, FOUR), "decision")  # the review poll passed
    with pytest.raises(ValidationError) as excinfo:
        services.advance(director, matter)
    assert "must have passed" in messages(excinfo)


def test_it_needs_the_resolution_before_the_notice_ends(world):
    director = world.cast["rc_director"]
    matter = elapse(walk_to(world, propose(world, FOUR), "notice"))
    with pytest.raises(ValidationError) as excinfo:
        services.advance(director, matter)
    assert "Publish the resolution first." in messages(excinfo)
    services.publish_resolution(director, matter, text="决议：实施。")
    assert services.advance(director, matter).stage == "implementation"


def test_it_keeps_the_notice_open_until_its_period_has_run(world):
    director = world.cast["rc_director"]
    matter = walk_to(world, propose(world, FOUR), "notice")
    assert matter.deadline == matter.stage_started_at + timedelta(days=7)
    assert matter.deadline_is_minimum
    services.publish_resolution(director, matter, text="决议：实施。")
    with pytest.raises(ValidationError) as excinfo:
        services.advance(director, matter)
    assert "The notice period runs until" in messages(excinfo)
    assert not access.is_overdue(matter, now=matter.deadline + timedelta(days=30))
    matter = elapse(matter)
    assert services.advance(director, matter).stage == "implementation"


def test_it_needs_every_objection_answered_before_the_notice_ends(world):
    director = world.cast["rc_director"]
    matter = prepare(world, walk_to(world, propose(world, FOUR), "notice"))
    objection = services.post_comment(
        world.cast["resident"], matter, body="公示内容有误。", objection=True
    )
    with pytest.raises(ValidationError) as excinfo:
        services.advance(director, matter)
    assert "Answer every objection first." in messages(excinfo)
    services.answer_objection(director, objection, body="已核实并更正。")
    assert services.advance(director, matter).stage == "implementation"


def test_it_needs_the_work_completed_before_closing_the_implementation(world):
    director = world.cast["rc_director"]
    matter = walk_to(world, propose(world, FOUR), "implementation")
    assert matter.deadline == matter.stage_started_at + timedelta(days=30)
    with pytest.raises(ValidationError) as excinfo:
        services.advance(director, matter)
    assert "marks the work completed" in messages(excinfo)
    services.post_update(director, matter, text="已开工。", status="in_progress")
    with pytest.raises(ValidationError):
        services.advance(director, matter)
    services.post_update(director, matter, text="已完工。", status="completed")
    assert services.advance(director, matter).closed_at is not None


@pytest.mark.parametrize(
    "procedure, stage",
    [(CONCERN, "received"), (CONSULTATION, "summary"), (MICRO, "acceptance")],
)
def test_it_needs_a_note_where_the_stage_asks_for_one(world, procedure, stage):
    matter = prepare(world, walk_to(world, propose(world, procedure), stage))
    by = world.cast["ws_staff" if procedure == CONCERN else "rc_director"]
    with pytest.raises(ValidationError) as excinfo:
        services.advance(by, matter, note="   ")
    assert "Please write the" in messages(excinfo)
    moved = services.advance(by, matter, note="答复：已安排维修。")
    assert moved.transitions.last().note == "答复：已安排维修。"


def test_it_needs_the_owners_agenda_before_the_notice(world):
    chair = world.cast["oc_chair"]
    matter = propose(world, OWNERS)
    with pytest.raises(ValidationError) as excinfo:
        services.advance(chair, matter)
    assert "agenda" in messages(excinfo)


# Withdrawal and merging ---------------------------------------------------------------------


def test_it_lets_only_the_proposer_or_a_moderator_withdraw(world):
    matter = propose(world, CONCERN, by="resident")
    outcomes = {
        name: outcome(lambda n=name: services.withdraw(world.cast[n], matter, reason="已解决"))
        for name in CAST
    }
    moderators = {"party_secretary", "rc_director"}
    assert outcomes == {
        name: "ok" if name in moderators | {"resident"} else "denied" for name in CAST
    }
    matter = services.withdraw(world.cast["resident"], matter, reason="已自行解决")
    assert matter.status == Matter.Status.WITHDRAWN
    assert matter.closing_reason == "已自行解决"
    assert matter.closed_at is not None
    assert matter.transitions.last().action == "withdrawn"


def test_it_needs_a_reason_to_withdraw(world):
    matter = propose(world, CONCERN, by="resident")
    with pytest.raises(ValidationError):
        services.withdraw(world.cast["resident"], matter, reason="")
    assert fresh(matter).is_open


def test_it_withdraws_only_an_open_matter(world):
    matter = propose(world, CONCERN, by="resident")
    services.withdraw(world.cast["resident"], matter, reason="已解决")
    with pytest.raises(ValidationError):
        services.withdraw(world.cast["resident"], matter, reason="再次撤回")
    decided = prepare(world, walk_to(world, propose(world, FOUR), "notice"))
    assert decided.status == Matter.Status.DECIDED  # the resolution is out
    with pytest.raises(ValidationError):
        services.withdraw(world.cast["party_secretary"], decided, reason="撤回")


def test_it_merges_a_duplicate_and_keeps_the_link(world):
    original = propose(world, CONCERN, by="owner")
    duplicate = propose(world, CONCERN, by="resident")
    merged = services.merge(world.cast["rc_director"], duplicate, original, reason="同一问题")
    assert merged.status == Matter.Status.MERGED
    assert merged.merged_into == original
    assert list(original.merged_matters.all()) == [merged]
    assert merged.closing_reason == "同一问题"
    event = AuditEvent.objects.get(verb="matter.merged")
    assert event.data["into"] == original.reference


def test_it_lets_only_moderators_merge(world):
    original, duplicate = propose(world, CONCERN), propose(world, CONCERN)
    outcomes = {
        name: outcome(
            lambda n=name: services.merge(world.cast[n], duplicate, original, reason="重复")
        )
        for name in CAST
    }
    moderators = {"party_secretary", "rc_director"}
    assert outcomes == {name: "ok" if name in moderators else "denied" for name in CAST}
    assert fresh(duplicate).is_open


def test_it_merges_only_into_another_matter_of_the_same_community(world):
    director = world.cast["rc_director"]
    matter = propose(world, CONCERN)
    with pytest.raises(ValidationError):
        services.merge(director, matter, matter, reason="自身")
    other, _estate, _orgs = factories.make_community(
        world.admin, slug="taoyuan", code="TY", name="桃源社区"
    )
    elsewhere = services.propose_matter(
        world.admin, other, title="路灯", body="路灯不亮。", category="safety",
        procedure=CONCERN, concern_kind="urgent",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        services.merge(director, matter, elsewhere, reason="跨社区")
    target, duplicate = propose(world, CONCERN), propose(world, CONCERN)
    services.merge(director, duplicate, target, reason="同一问题")
    with pytest.raises(ValidationError):
        services.merge(director, matter, fresh(duplicate), reason="并入已合并的")
    with pytest.raises(ValidationError):
        services.merge(director, duplicate, matter, reason="再次合并")
    assert fresh(matter).is_open


def test_it_never_deletes_a_matter_whatever_its_ending(world):
    register.record_ownership(
        world.admin, world.estate.units.get(number="102"), world.cast["resident"]
    )
    director = world.cast["rc_director"]
    to_reject = walk_to(world, propose(world, FOUR), "decision")
    to_withdraw = propose(world, CONCERN)
    duplicate, target = propose(world, CONCERN), propose(world, CONCERN)
    to_rate = walk_to(world, propose(world, CONCERN), "feedback")
    to_walk = [propose(world, procedure) for procedure in PROCEDURES]
    count = Matter.objects.count()
    endings = [
        lambda: services.reject(director, to_reject, reason="否决"),
        lambda: services.withdraw(director, to_withdraw, reason="撤回"),
        lambda: services.merge(director, duplicate, target, reason="重复"),
        lambda: services.rate_response(world.cast["resident"], to_rate, score=5),
        *[lambda m=m: walk_to_end(world, m) for m in to_walk],
    ]
    for end in endings:
        end()
        assert Matter.objects.count() == count
    assert Matter.objects.filter(closed_at__isnull=False).count() == count - 1  # all but target
    assert not [name for name in dir(services) if "delete" in name or "purge" in name]


# Deadlines and ratings of concerns ----------------------------------------------------------


def test_it_extends_a_concern_deadline_with_a_recorded_reason(world):
    staff = world.cast["ws_staff"]
    matter = propose(world, CONCERN, concern_kind="complaint")
    with pytest.raises(ValidationError):
        services.extend_deadline(staff, matter, days=5, reason="  ")
    assert fresh(matter).deadline == matter.deadline
    extended = services.extend_deadline(staff, matter, days=5, reason="需协调供电局")
    assert extended.deadline == rules.add_days(local(matter.deadline), 5, working=True)
    transition = extended.transitions.last()
    assert (transition.action, transition.note) == ("extended", "需协调供电局")
    assert transition.as_organization == world.orgs[Kind.WORKSTATION]
    event = AuditEvent.objects.get(verb="matter.extended", object_id=str(matter.pk))
    assert event.actor == staff
    assert event.data["reason"] == "需协调供电局"
    assert event.data["days"] == 5


def test_it_refuses_an_extension_outside_one_to_sixty_days(world):
    matter = propose(world, CONCERN)
    for days in (0, 61, "3"):
        with pytest.raises(ValidationError):
            services.extend_deadline(world.cast["ws_staff"], matter, days=days, reason="协调")
    assert fresh(matter).deadline == matter.deadline


def test_it_lets_only_the_first_body_extend_a_concern(world):
    matter = propose(world, CONCERN)
    outcomes = {
        name: outcome(
            lambda n=name: services.extend_deadline(world.cast[n], matter, days=2, reason="协调")
        )
        for name in CAST
    }
    assert outcomes == {name: "ok" if name == "ws_staff" else "denied" for name in CAST}
    assert fresh(matter).deadline == matter.deadline


def test_it_extends_only_where_the_stage_allows(world):
    matter = propose(world, CONSULTATION)
    with pytest.raises(ValidationError):
        services.extend_deadline(world.cast["rc_director"], matter, days=2, reason="延长")


def test_it_closes_a_concern_when_the_requester_rates_the_response(world):
    matter = propose(world, CONCERN, by="resident")
    matter = leave(world, matter)
    assert matter.stage == "feedback"
    assert matter.deadline == rules.add_days(local(matter.stage_started_at), 3, working=True)
    since = last_pk(Notification)
    rated = services.rate_response(world.cast["resident"], matter, score=4)
    assert rated.satisfaction == 4
    assert rated.status == Matter.Status.DECIDED
    assert rated.closed_at is not None
    assert rated.deadline is None
    assert AuditEvent.objects.get(verb="matter.rated").data == {"score": 4}
    assert {n.recipient for n in new_notices(matter, since)} == {world.cast["ws_staff"]}


def test_it_lets_only_the_requester_rate(world):
    matter = leave(world, propose(world, CONCERN, by="resident"))
    outcomes = {
        name: outcome(lambda n=name: services.rate_response(world.cast[n], matter, score=5))
        for name in CAST
    }
    assert outcomes == {name: "ok" if name == "resident" else "denied" for name in CAST}
    assert fresh(matter).satisfaction is None


def test_it_takes_a_rating_from_one_to_five(world):
    matter = leave(world, propose(world, CONCERN, by="resident"))
    for score in (0, 6, "5", None, 4.5):
        with pytest.raises(ValidationError):
            services.rate_response(world.cast["resident"], matter, score=score)
    assert fresh(matter).satisfaction is None


def test_it_takes_a_rating_only_once_the_response_is_sent(world):
    matter = propose(world, CONCERN, by="resident")
    with pytest.raises(ValidationError):
        services.rate_response(world.cast["resident"], matter, score=5)


def test_it_lets_the_first_body_close_a_concern_without_a_rating(world):
    matter = leave(world, propose(world, CONCERN, by="resident"))
    closed = services.advance(world.cast["ws_staff"], matter)
    assert closed.status == Matter.Status.DECIDED
    assert closed.satisfaction is None
    assert closed.closed_at is not None


# Audit events and notices -------------------------------------------------------------------


def _four_with_stakeholders(world):
    orgs = world.orgs
    return propose(
        world,
        FOUR,
        on_behalf_of=orgs[Kind.PARTY_COMMITTEE],
        stakeholders=[orgs[Kind.SOCIAL_ORGANIZATION], orgs[Kind.RESIDENTS_COMMITTEE]],
    )


def _transition(world, name):
    """Set up one kind of transition; return (actor name, audit verb, matter, the step)."""
    cast = world.cast
    if name == "proposed":
        made = []
        return (
            "party_secretary",
            "matter.proposed",
            made,
            lambda: made.append(_four_with_stakeholders(world)),
        )
    matter = _four_with_stakeholders(world)
    if name == "completed":
        matter = prepare(world, walk_to(world, matter, "implementation"))
    other = propose(world, CONCERN) if name == "merged" else None
    steps = {
        "advanced": ("party_secretary", lambda: services.advance(cast["party_secretary"], matter)),
        "rejected": (
            "party_secretary",
            lambda: services.reject(cast["party_secretary"], matter, reason="时机未到"),
        ),
        "withdrawn": (
            "party_secretary",
            lambda: services.withdraw(cast["party_secretary"], matter, reason="另行安排"),
        ),
        "withdrawn by a moderator": (
            "rc_director",
            lambda: services.withdraw(cast["rc_director"], matter, reason="重复提交"),
        ),
        "merged": (
            "rc_director",
            lambda: services.merge(cast["rc_director"], matter, other, reason="重复"),
        ),
        "completed": ("rc_director", lambda: services.advance(cast["rc_director"], matter)),
    }
    by, step = steps[name]
    return by, f"matter.{name.split()[0]}", [matter], step


TRANSITIONS = [
    "proposed",
    "advanced",
    "rejected",
    "withdrawn",
    "withdrawn by a moderator",
    "merged",
    "completed",
]


@pytest.mark.parametrize("transition", TRANSITIONS)
def test_it_audits_and_notifies_stakeholders_but_not_the_actor(world, transition):
    name, verb, matters, step = _transition(world, transition)
    audit_since = last_pk(AuditEvent)
    notice_since = last_pk(Notification)
    step()
    actor, matter = world.cast[name], matters[0]

    events = AuditEvent.objects.filter(pk__gt=audit_since, verb=verb)
    assert [(e.actor, e.community, e.object_id) for e in events] == [
        (actor, world.community, str(matter.pk))
    ]
    # The stakeholders' people: the party committee, the social organisation and the
    # residents' committee, each with one member in the cast; the proposer is the secretary.
    stakeholders = {world.cast[n] for n in ("party_secretary", "so_member", "rc_director")}
    notices = Notification.objects.filter(pk__gt=notice_since)
    assert {n.recipient for n in notices} == stakeholders - {actor}
    assert {n.matter for n in notices} == {matter}
    assert len({n.kind for n in notices}) == 1


def test_it_tells_the_residents_committee_of_an_owners_notice(world):
    rc = world.orgs[Kind.RESIDENTS_COMMITTEE]
    matter = propose(world, OWNERS)
    assert rc not in matter.stakeholders.all()
    since = last_pk(Notification)
    matter = leave(world, matter)
    assert matter.stage == "notice"
    assert matter.deadline == matter.stage_started_at + timedelta(days=15)
    assert rc in matter.stakeholders.all()
    assert new_notices(matter, since).filter(recipient=world.cast["rc_director"]).exists()


# Full walks ---------------------------------------------------------------------------------

STAGE_CODES = {
    FOUR: ["proposal", "consultation", "review", "decision", "notice", "implementation"],
    OWNERS: ["proposal", "notice", "voting", "resolution", "implementation"],
    COUNCIL: ["screening", "council_vote", "notice", "implementation"],
    MICRO: ["screening", "council_vote", "notice", "implementation", "acceptance"],
    CONCERN: ["received", "feedback"],
    CONSULTATION: ["open", "summary"],
}
HAS_RESOLUTION = {FOUR, OWNERS, COUNCIL, MICRO}


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_it_walks_each_procedure_from_proposal_to_closed(world, procedure):
    # A second owner, so that the owners' vote meets the 2/3 participation gate.
    register.record_ownership(
        world.admin, world.estate.units.get(number="102"), world.cast["resident"]
    )
    matter = propose(world, procedure)
    seen = [matter.stage]
    while matter.closed_at is None:
        if matter.stage == "feedback":
            matter = services.rate_response(world.cast["resident"], matter, score=5)
        else:
            matter = leave(world, matter)
        seen.append(matter.stage)
    matter = fresh(matter)

    assert matter.status == Matter.Status.DECIDED
    assert matter.closed_at is not None
    assert matter.deadline is None
    assert not access.is_overdue(matter, now=timezone.now() + timedelta(days=365))
    assert list(dict.fromkeys(seen)) == STAGE_CODES[procedure]
    actions = list(matter.transitions.values_list("action", flat=True))
    assert actions[0] == "proposed"
    assert actions.count("advanced") == len(STAGE_CODES[procedure]) - 1
    assert actions[-1] == ("rated" if procedure == CONCERN else "completed")
    assert ("resolution" in actions) == (procedure in HAS_RESOLUTION)
    verbs = list(
        AuditEvent.objects.filter(object_id=str(matter.pk), verb__startswith="matter.")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs[0] == "matter.proposed"
    assert verbs.count("matter.advanced") == len(STAGE_CODES[procedure]) - 1
    assert verbs[-1] == ("matter.rated" if procedure == CONCERN else "matter.completed")
    if procedure in HAS_RESOLUTION:
        resolution = matter.resolution
        assert resolution.reference == f"LH-R-{timezone.now().year}-001"
        assert resolution.status == "completed"
        assert resolution.poll is not None and resolution.poll.result["passed"]
