"""Every vote follows its matter's procedure, tried as a chair reaching past it in a live room.

The attacks are those that once got through: a council vote standing in for the party members'
review; an owners' special-majority secret poll of the notice replaced by an ordinary named one,
opened during the notice; a vote on an item that was never in the notice, or in another estate's
meeting; a poll on a rejected matter. Then the matrix: procedure × stage × kind of meeting, which
votes a chair can hold in a room, and which poll satisfies which stage's guard.
"""

import inspect
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from communities import services as register
from communities.models import Estate, Ownership, PartyMember, Unit
from deliberation import access, meetings, procedures, services
from deliberation.models import Electorate, Meeting, Poll
from deliberation.services import polls as poll_service
from tests.factories import make_user
from tests.walks import (
    COUNCIL,
    FOUR,
    OWNERS,
    PROCEDURES,
    elapse,
    fresh,
    outcome,
    propose,
    walk_to,
)

KINDS = [kind for kind, _label in Meeting.Kind.choices]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def live(world, kind, matter=None, *, title="议题", chair=None):
    """A live meeting of `kind` chaired by the site admin (who holds every right), so that only
    the procedure decides; its one agenda item is about `matter` (or is a bare motion)."""
    estate = world.estate if kind == Meeting.Kind.OWNERS else None
    meeting = meetings.schedule_meeting(
        world.admin, world.community, title="会议", kind=kind, scheduled_at=timezone.now(),
        estate=estate, agenda=[(title, matter)], chair=chair,
    )  # fmt: skip
    return meetings.start_meeting(world.admin, meeting)


def put(actor, meeting, **fields):
    return meetings.open_poll(
        actor, meeting, question=fields.pop("question", "是否同意？"),
        kind=fields.pop("kind", "yes_no_abstain"), **fields,
    )  # fmt: skip


def owners_matter_in_notice(world, *, law_item=6, secret=True):
    """An owners' decision whose agenda (one item, frozen into the notice) is `law_item`."""
    matter = propose(world, OWNERS)
    services.create_poll(
        world.cast["oc_chair"], matter, question="筹集维修资金？", kind="yes_no_abstain",
        law_item=law_item, secret=secret,
    )  # fmt: skip
    return services.advance(world.cast["oc_chair"], fresh(matter))


def test_a_council_vote_never_stands_in_for_the_party_members_review(world):
    matter = walk_to(world, propose(world, FOUR), "review")
    meeting = live(world, Meeting.Kind.COUNCIL, matter, chair=world.cast["party_secretary"])
    poll = put(world.cast["party_secretary"], meeting)
    # The room held the review's own poll: the roll of party members, its thresholds.
    assert poll.electorate == Electorate.PARTY and poll.stage == "review"
    assert poll.params["mode"] == "majority_of_members"
    assert poll.electorate_heads == PartyMember.objects.current().count() == 2
    # The council's members are not the roll: their ballots are refused.
    with pytest.raises(PermissionDenied):
        services.cast_ballot(world.cast["council_member"], poll, ["yes"])
    # The old way in, a council motion on the matter's item, is shut.
    with pytest.raises(ValidationError):
        poll_service.create_meeting_poll(
            world.cast["party_secretary"], meeting, meeting.items.get(), question="？",
            kind="yes_no_abstain", choices=(), secret=False, results_hidden=False,
        )  # fmt: skip


@pytest.fixture
def forged(monkeypatch):
    """Write a poll row as the old meeting path did: any electorate and rule on a matter."""

    def write(world, matter, *, stage=None, **fields):
        defaults = {
            "community": world.community, "matter": matter, "stage": stage or matter.stage,
            "question": "会议表决", "kind": "yes_no_abstain", "electorate": Electorate.BODY,
            "body": world.orgs["council"], "rule": "council",
            "params": {"quorum": ">=2/3", "mode": "yes_over_no"},
        }  # fmt: skip
        options = [("yes", "yes"), ("no", "no"), ("abstain", "abstain")]
        return poll_service._insert(world.admin, options, {}, **defaults | fields)

    return write


def _pass(world, poll, voters):
    poll_service._open(world.admin, poll, timezone.now())
    for voter in voters:
        services.cast_ballot(voter, poll, ["yes"])
    return services.close_poll(world.admin, poll)


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
def test_a_passed_poll_of_the_wrong_electorate_does_not_advance_the_review(
    world, forged, monkeypatch, weakened
):
    if weakened:  # the guard as it was: any passed poll of the matter since the stage began
        monkeypatch.setattr("deliberation.services.polls.stage_poll_conforms", lambda *args: True)
    matter = walk_to(world, propose(world, FOUR), "review")
    council = forged(world, matter)
    closed = _pass(world, council, [world.cast["council_member"]])
    assert closed.result["passed"]
    if weakened:
        assert services.advance(world.cast["party_secretary"], fresh(matter)).stage == "decision"
        return
    with pytest.raises(ValidationError, match="must have passed"):
        services.advance(world.cast["party_secretary"], fresh(matter))


def test_a_noticed_special_secret_item_cannot_be_replaced_or_voted_during_the_notice(world):
    matter = owners_matter_in_notice(world)
    noticed = matter.polls.get()
    assert noticed.rule == "owners_special" and noticed.secret
    chair = world.cast["oc_chair"]
    meeting = live(world, Meeting.Kind.OWNERS, matter, chair=chair)
    # During the notice: neither a new poll nor the noticed one.
    with pytest.raises(ValidationError):
        put(chair, meeting)
    with pytest.raises(ValidationError):
        put(chair, meeting, poll_id=noticed.pk)
    matter = services.advance(chair, elapse(matter))
    assert matter.stage == "voting"
    # Voting: an ordinary named substitute is refused; only the noticed item opens.
    with pytest.raises(ValidationError, match="published notice"):
        put(chair, meeting, question="续聘物业？", secret=False)
    opened = put(chair, meeting, poll_id=noticed.pk)
    assert opened.pk == noticed.pk and opened.rule == "owners_special" and opened.secret
    assert Poll.objects.filter(matter=matter).count() == 1


def test_no_vote_on_an_item_outside_the_notice_or_with_no_matter(world):
    matter = services.advance(world.cast["oc_chair"], elapse(owners_matter_in_notice(world)))
    other = propose(world, OWNERS, title="另一事项")
    stray = services.create_poll(
        world.cast["oc_chair"], other, question="另一事项？", kind="yes_no_abstain", law_item=4
    )
    meeting = live(world, Meeting.Kind.OWNERS, matter, chair=world.cast["oc_chair"])
    with pytest.raises(ValidationError):  # another matter's draft, on this item
        put(world.cast["oc_chair"], meeting, poll_id=stray.pk)
    bare = live(world, Meeting.Kind.OWNERS, None, title="临时动议", chair=world.cast["oc_chair"])
    with pytest.raises(ValidationError, match="council meeting"):
        put(world.cast["oc_chair"], bare)
    assert not Poll.objects.filter(status=Poll.Status.OPEN).exists()


def second_estate(world):
    estate = register.save_structure(world.admin, Estate(community=world.community, name="翠林苑"))
    register.save_structure(
        world.admin, Unit(estate=estate, building="2", number="101", area=Decimal("90.00"))
    )
    return estate


def test_one_estates_owners_never_vote_on_anothers_matter(world):
    other_estate = second_estate(world)
    # Estate 2's matter, at its voting stage, with its item drafted into its notice.
    matter = services.propose_matter(
        world.admin, world.community, title="翠林苑停车", body="车位不足。", category="facilities",
        procedure=OWNERS, estate=other_estate,
    )  # fmt: skip
    draft = services.create_poll(
        world.admin, matter, question="？", kind="yes_no_abstain", law_item=4
    )
    matter = services.advance(world.admin, fresh(matter))
    matter = services.advance(world.admin, elapse(matter))
    meeting = live(world, Meeting.Kind.OWNERS, None, title="临时动议")
    with pytest.raises(ValidationError, match="another estate"):
        meetings.add_agenda_item(world.admin, meeting, title="翠林苑停车", matter=matter)
    # Even an item planted past the agenda check cannot carry estate 1's vote.
    item = meeting.items.create(title="翠林苑停车", matter=matter, position=9)
    meetings.goto_item(world.admin, meeting, item.pk)
    with pytest.raises(ValidationError, match="another estate"):
        put(world.admin, Meeting.objects.get(pk=meeting.pk), poll_id=draft.pk)
    with pytest.raises(ValidationError, match="another estate"):
        poll_service.open_poll(world.admin, draft, agenda_item=item)
    assert Poll.objects.get(pk=draft.pk).status == Poll.Status.DRAFT


@pytest.mark.parametrize("ending", ["reject", "withdraw"])
def test_no_poll_on_an_ended_matter(world, ending):
    matter = walk_to(world, propose(world, COUNCIL), "council_vote")
    meeting = live(world, Meeting.Kind.COUNCIL, matter)
    getattr(services, ending)(world.admin, fresh(matter), reason="不再推进。")
    with pytest.raises(ValidationError):
        put(world.admin, meeting)
    with pytest.raises(ValidationError, match="closed"):
        poll_service._insert(
            world.admin, [("yes", "yes")], {}, community=world.community, matter=fresh(matter),
            question="？", kind="yes_no_abstain", electorate=Electorate.BODY, rule="council",
        )  # fmt: skip
    assert not Poll.objects.exists()


def test_closing_has_two_named_checks_and_no_switch(world):
    assert "system" not in inspect.signature(services.close_poll).parameters
    matter = walk_to(world, propose(world, COUNCIL), "council_vote")
    poll = services.create_poll(
        world.cast["party_secretary"], matter, question="？", kind="yes_no_abstain",
        closes_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    for name in ("council_member", "resident", "outsider"):
        with pytest.raises(PermissionDenied):
            services.close_poll(world.cast[name], poll)
    with pytest.raises(ValidationError, match="closing time"):
        services.close_poll_when_due(poll)
    assert services.close_due_polls() == []
    later = timezone.now() + timedelta(hours=2)
    assert [p.pk for p in services.close_due_polls(later)] == [poll.pk]


def test_the_roll_is_kept_by_the_party_committee_and_decides_the_review(world):
    secretary, director = world.cast["party_secretary"], world.cast["rc_director"]
    party = world.orgs["party_committee"]
    with pytest.raises(ValidationError, match="verified resident"):
        register.add_party_member(secretary, party, world.cast["outsider"])
    newcomer = make_user("dangyuan")
    register.verify_membership(
        world.admin, register.request_membership(newcomer, world.community, address="1栋102")
    )
    with pytest.raises(PermissionDenied):
        register.add_party_member(director, party, newcomer)
    with pytest.raises(ValidationError):
        register.add_party_member(secretary, world.orgs["residents_committee"], newcomer)
    member = register.add_party_member(secretary, party, newcomer)
    with pytest.raises(ValidationError):
        register.add_party_member(secretary, party, newcomer)
    # Roll of 3: two present is ≥ 2/3; two yes is more than half of the three due to attend.
    matter = walk_to(world, propose(world, FOUR), "review")
    poll = services.create_poll(secretary, matter, question="？", kind="yes_no_abstain")
    assert poll.electorate_heads == 3
    services.cast_ballot(secretary, poll, ["yes"])
    services.cast_ballot(newcomer, poll, ["no"])
    result = services.close_poll(secretary, poll).result
    assert result["quorum_met"] and not result["passed"]
    register.end_party_member(secretary, member, reason="转出组织关系。")
    assert PartyMember.objects.current().count() == 2
    # A counted review is not held again; the next matter's review no longer counts them.
    other = walk_to(world, propose(world, FOUR, title="另一议题"), "review")
    poll = services.create_poll(secretary, other, question="？", kind="yes_no_abstain")
    with pytest.raises(PermissionDenied):
        services.cast_ballot(newcomer, poll, ["yes"])


def void_owners_vote(world, *, extension_days=0):
    """An owners' vote in progress, announced to close in 20 days, in which only one of three
    units' owners took part."""
    matter = propose(world, OWNERS)
    services.create_poll(
        world.cast["oc_chair"], matter, question="续聘物业？", kind="yes_no_abstain",
        law_item=4, extension_days=extension_days, closes_at=timezone.now() + timedelta(days=20),
    )  # fmt: skip
    matter = services.advance(world.cast["oc_chair"], fresh(matter))
    matter = services.advance(world.cast["oc_chair"], elapse(matter))
    poll = matter.polls.get()
    services.open_poll(world.cast["oc_chair"], poll)
    services.cast_ballot(world.cast["owner"], poll, ["yes"])
    return fresh(matter), Poll.objects.get(pk=poll.pk)


def test_a_short_vote_is_extended_once_as_its_notice_allowed(world):
    matter, poll = void_owners_vote(world, extension_days=7)
    chair = world.cast["oc_chair"]
    with pytest.raises(PermissionDenied):
        services.extend_poll(world.cast["resident"], poll)
    announced = poll.closes_at
    extended = services.extend_poll(chair, poll)
    assert extended.closes_at == announced + timedelta(days=7)
    with pytest.raises(ValidationError, match="once"):
        services.extend_poll(chair, extended)
    matter, poll = void_owners_vote(world)  # a notice that allowed no extension
    with pytest.raises(ValidationError, match="no extension"):
        services.extend_poll(chair, poll)


def test_a_void_owners_vote_is_rerun_with_a_fresh_notice(world):
    matter, poll = void_owners_vote(world)
    chair = world.cast["oc_chair"]
    with pytest.raises(ValidationError, match="Close the open poll"):
        services.rerun_vote(chair, matter)
    with pytest.raises(ValidationError, match="as announced"):
        services.close_poll(chair, poll)
    services.close_poll_when_due(poll, poll.closes_at)  # the clock closes it, as announced
    assert not Poll.objects.get(pk=poll.pk).result["quorum_met"]
    with pytest.raises(PermissionDenied):
        services.rerun_vote(world.cast["resident"], fresh(matter))
    matter = services.rerun_vote(chair, fresh(matter), note="参与不足，重新公告。")
    assert matter.stage == "notice" and matter.deadline > timezone.now() + timedelta(days=14)
    again = matter.polls.get(status=Poll.Status.DRAFT)
    assert (again.question, again.law_item, again.rule) == ("续聘物业？", 4, "owners_ordinary")
    # Announced anew: voting lasts as long as before, counted from the new notice's end.
    assert again.closes_at == matter.deadline + (poll.closes_at - poll.opened_at)
    # The fresh notice runs in full before the vote; then it may pass and carry the matter.
    with pytest.raises(ValidationError):
        services.advance(chair, matter)
    matter = services.advance(chair, elapse(matter))
    services.open_poll(chair, again)
    services.cast_ballot(world.cast["owner"], again, ["yes"])
    # Again too few: void once more, and it may be re-run again.
    closed = services.close_poll_when_due(again, again.closes_at)
    assert not closed.result["quorum_met"]
    assert services.rerun_vote(chair, fresh(matter)).stage == "notice"


def test_a_void_residents_vote_may_be_held_again_in_its_stage(world):
    director = world.cast["rc_director"]
    matter = walk_to(world, propose(world, FOUR), "decision")
    first = services.create_poll(director, matter, question="？", kind="yes_no_abstain")
    assert services.close_poll(director, first).result["quorum_met"] is False
    second = services.create_poll(director, fresh(matter), question="？", kind="yes_no_abstain")
    for name in ("resident", "owner"):
        services.cast_ballot(world.cast[name], second, ["yes"])
    services.close_poll(director, second)
    assert services.advance(director, fresh(matter)).stage == "notice"


# --- the matrix ------------------------------------------------------------------------------

STAGES = [
    (procedure, stage.code)
    for procedure in PROCEDURES
    for stage in procedures.get(procedure).stages
]


def expected_in_room(spec, stage, kind, matter) -> str:
    """What a chair with every right gets when they put a vote on the item in a room."""
    if kind == Meeting.Kind.OWNERS and matter.estate_id is None:
        return "invalid"  # an estate's owners vote only on their estate's matters
    if procedures.CREATE_POLL in stage.actions and stage.poll.open_at_once:
        return "stage poll"
    return "invalid"


@pytest.mark.parametrize(("procedure", "code"), STAGES, ids=[f"{p}-{s}" for p, s in STAGES])
def test_matrix_which_vote_a_chair_can_hold_in_a_room(world, procedure, code):
    for number in ("102", "201"):  # every unit with its owner, so the owners' vote can pass
        unit = world.estate.units.get(number=number)
        register.record_ownership(world.admin, unit, make_user(f"owner{number}"))
    matter = walk_to(world, propose(world, procedure), code)
    spec = matter.procedure_spec
    stage = spec.stage(code)
    for kind in KINDS:
        meeting = live(world, kind, matter)
        expected = expected_in_room(spec, stage, kind, matter)
        got = outcome(lambda meeting=meeting: put(world.admin, meeting))
        assert got == ("ok" if expected == "stage poll" else expected), (kind, got)
        if expected == "stage poll":
            poll = put(world.admin, meeting)
            assert poll.stage == code and poll.matter_id == matter.pk
            assert poll.electorate == stage.poll.electorates[0]
            assert poll.rule == stage.poll.rule
            assert services.stage_poll_conforms(poll, matter, stage)
            services.close_poll(world.admin, poll)
        drafts = matter.polls.filter(status=Poll.Status.DRAFT)
        for draft in drafts:
            # A noticed item opens only once its stage votes it, in its estate's assembly.
            opens = procedures.OPEN_POLL in stage.actions and kind == Meeting.Kind.OWNERS
            got = outcome(lambda meeting=meeting, d=draft: put(world.admin, meeting, poll_id=d.pk))
            assert got == ("ok" if opens else "invalid"), (kind, draft.pk, got)


@pytest.mark.parametrize("kind", KINDS)
def test_matrix_a_motion_without_a_matter_only_in_a_council(world, kind):
    meeting = live(world, kind, None, title="临时动议")
    got = outcome(lambda: put(world.admin, meeting))
    assert got == ("ok" if kind == Meeting.Kind.COUNCIL else "invalid")
    if kind == Meeting.Kind.COUNCIL:
        poll = put(world.admin, meeting)
        assert (poll.matter, poll.electorate, poll.rule) == (None, Electorate.BODY, "council")


GUARDED = [
    (procedure, stage.code)
    for procedure in PROCEDURES
    for stage in procedures.get(procedure).stages
    if procedures.POLL_PASSED in stage.requires
]


@pytest.mark.parametrize(("procedure", "code"), GUARDED, ids=[f"{p}-{s}" for p, s in GUARDED])
def test_matrix_which_poll_satisfies_which_guard(world, forged, procedure, code):
    matter = walk_to(world, propose(world, procedure), code)
    stage = matter.procedure_spec.stage(code)
    defining = procedures.poll_definition(matter.procedure_spec, stage)
    right = {
        "electorate": defining.poll.electorates[0],
        "rule": defining.poll.rule,
        "stage": defining.code,
    }
    if right["electorate"] in (Electorate.BODY, Electorate.PARTY):
        right["body"] = access.body_of_kind(world.community, defining.poll.body)
    if right["electorate"] == Electorate.OWNERS:
        right |= {"estate": world.estate, "law_item": 4, "rule": "owners_ordinary"}
    wrong = {
        "another stage": {**right, "stage": "proposal" if defining.code != "proposal" else "x"},
        "another electorate": {**right, "electorate": Electorate.ORGANIZATIONS},
        "another rule": {**right, "rule": "simple_majority"},
    }
    if right["electorate"] == Electorate.OWNERS:
        wrong["another law item's rule"] = {**right, "law_item": 6}
        wrong["another estate"] = {**right, "estate": second_estate(world)}
    elif "body" in right:
        council, party = world.orgs["council"], world.orgs["party_committee"]
        wrong["another body"] = {**right, "body": party if right["body"] == council else council}
    for label, fields in wrong.items():
        poll = forged(world, matter, **fields)
        assert not services.stage_poll_conforms(poll, matter, stage), label
    poll = forged(world, matter, **right)
    assert services.stage_poll_conforms(poll, matter, stage)


def test_a_counted_vote_is_not_held_again_nor_two_at_once(world):
    director = world.cast["rc_director"]
    matter = walk_to(world, propose(world, FOUR), "decision")
    first = services.create_poll(director, matter, question="？", kind="yes_no_abstain")
    with pytest.raises(ValidationError, match="Close the open poll"):  # no second, parallel one
        services.create_poll(
            director, fresh(matter), question="？", kind="yes_no_abstain", electorate="households"
        )
    services.cast_ballot(world.cast["resident"], first, ["no"])
    services.cast_ballot(world.cast["owner"], first, ["no"])
    assert services.close_poll(director, first).result["quorum_met"]
    # Counted and failed: the stage's answer is no; voting again until yes is refused.
    with pytest.raises(ValidationError, match="not held again"):
        services.create_poll(director, fresh(matter), question="？", kind="yes_no_abstain")
    with pytest.raises(ValidationError, match="must have passed"):
        services.advance(director, fresh(matter))


def test_leaving_the_roll_mid_vote_takes_no_vote_away(world):
    secretary = world.cast["party_secretary"]
    matter = walk_to(world, propose(world, FOUR), "review")
    poll = services.create_poll(secretary, matter, question="？", kind="yes_no_abstain")
    member = PartyMember.objects.get(user=world.cast["resident"])
    register.end_party_member(secretary, member, reason="转出组织关系。")
    services.cast_ballot(world.cast["resident"], poll, ["no"])  # on the roll when it opened
    assert services.close_poll(secretary, poll).result["participation"]["heads"] == 1


def test_no_early_close_of_an_announced_vote_and_no_stand_in_closing_another_item(world):
    secretary = world.cast["party_secretary"]
    matter = walk_to(world, propose(world, COUNCIL), "council_vote")
    poll = services.create_poll(
        secretary, matter, question="？", kind="yes_no_abstain",
        closes_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="as announced"):
        services.close_poll(secretary, poll)
    # A motion on the first item; the chair hands the second item to a stand-in, who may not
    # close the first item's vote.
    meeting = meetings.schedule_meeting(
        secretary, world.community, title="议事会", kind="council", scheduled_at=timezone.now(),
        agenda=[("动议一", None), ("动议二", None)],
    )  # fmt: skip
    meeting = meetings.start_meeting(secretary, meeting)
    motion = put(secretary, meeting)
    second = meeting.items.get(title="动议二")
    meeting = meetings.goto_item(secretary, meeting, second.pk)
    stand_in = world.cast["rc_director"]
    meetings.hand_chair(secretary, meeting, stand_in)
    with pytest.raises(PermissionDenied):
        services.close_poll(stand_in, motion)
    first = meeting.items.get(title="动议一")
    meetings.goto_item(stand_in, Meeting.objects.get(pk=meeting.pk), first.pk)
    meetings.end_meeting(secretary, Meeting.objects.get(pk=meeting.pk))
    assert Poll.objects.get(pk=motion.pk).is_closed  # the sitting's end closed it


def test_an_ended_matter_closes_its_vote_and_takes_no_more_ballots(world):
    secretary = world.cast["party_secretary"]
    matter = walk_to(world, propose(world, COUNCIL), "council_vote")
    poll = services.create_poll(secretary, matter, question="？", kind="yes_no_abstain")
    services.withdraw(world.admin, fresh(matter), reason="提议人撤回。")
    assert Poll.objects.get(pk=poll.pk).is_closed
    with pytest.raises(ValidationError):
        services.cast_ballot(world.cast["council_member"], poll, ["yes"])


def test_a_rerun_is_refused_once_an_item_passed(world):
    for number in ("102", "201"):
        unit = world.estate.units.get(number=number)
        register.record_ownership(world.admin, unit, make_user(f"owner{number}"))
    chair = world.cast["oc_chair"]
    matter = propose(world, OWNERS)
    for question in ("续聘物业？", "调整停车费？"):
        services.create_poll(chair, matter, question=question, kind="yes_no_abstain", law_item=4)
    matter = services.advance(chair, fresh(matter))
    matter = services.advance(chair, elapse(matter))
    passed, void = matter.polls.order_by("id")
    services.open_poll(chair, passed)
    for ownership in Ownership.objects.current().filter(unit__estate=world.estate):
        services.cast_ballot(ownership.owner, passed, ["yes"])
    assert services.close_poll(chair, passed).result["passed"]
    services.open_poll(chair, void)
    assert not services.close_poll(chair, void).result["quorum_met"]
    with pytest.raises(ValidationError, match="passed"):
        services.rerun_vote(chair, fresh(matter))
    assert services.advance(chair, fresh(matter)).stage == "resolution"
