"""Polls: where they may be created, what a ballot may choose, who is in each electorate, how
ballots are cast, changed and frozen, the owners' vote under Civil Code Art. 278, and secret
ballots that cannot be linked to their voters."""

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.utils import timezone, translation

from communities import services as register
from communities.models import AuditEvent, Organization, Unit
from deliberation import electorates, sealing, services
from deliberation.models import Ballot, Poll, SealedUrn, SecretBallot, VoterReceipt
from tests.factories import CAST, make_user
from tests.walks import COUNCIL, FOUR, OWNERS, elapse, fresh, outcome, propose, walk_to

Kind = Organization.Kind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def decision(world):
    """A 四议两公开 matter at the residents' meeting, where the residents' committee polls."""
    return walk_to(world, propose(world, FOUR), "decision")


def poll_at(world, matter, by="rc_director", **options):
    fields = {"question": "是否同意加装电梯？", "kind": "yes_no_abstain"} | options
    return services.create_poll(world.cast[by], matter, **fields)


def verified_resident(world, username, address="2栋 301"):
    person = make_user(username)
    membership = register.request_membership(person, world.community, address=address)
    register.verify_membership(world.admin, membership)
    return person


def in_memory_poll(world, electorate, **fields):
    """An unsaved poll, to ask the electorate module who is in a base without opening one."""
    return Poll(community=world.community, electorate=electorate, **fields)


# Where polls may be created -----------------------------------------------------------------


def test_it_lets_only_the_stage_actor_create_a_poll(world, decision):
    outcomes = {name: outcome(lambda n=name: poll_at(world, decision, by=n)) for name in CAST}
    assert outcomes == {name: "ok" if name == "rc_director" else "denied" for name in CAST}
    assert not Poll.objects.filter(stage=decision.stage).exists()


@pytest.mark.parametrize("stage", ["proposal", "consultation"])
def test_it_creates_polls_only_at_stages_that_vote(world, stage):
    matter = walk_to(world, propose(world, FOUR), stage)
    for name in ("party_secretary", "rc_director"):
        with pytest.raises(ValidationError):
            poll_at(world, matter, by=name)
    assert not Poll.objects.filter(stage=stage).exists()


def test_it_puts_the_poll_to_the_stage_electorate_under_the_stage_rule(world, decision):
    poll = poll_at(world, decision)
    assert (poll.electorate, poll.rule, poll.stage) == (
        "residents",
        "residents_meeting",
        "decision",
    )
    assert poll.params == {"quorum": ">1/2", "pass": ">1/2"}
    assert poll.is_open and poll.opened_at is not None
    assert poll.electorate_heads == 2  # the two verified residents
    services.close_poll(world.cast["rc_director"], poll)  # void: nobody took part
    households = poll_at(world, decision, electorate="households")
    assert households.electorate_heads == 1  # both live at 1栋
    for electorate in ("owners", "body", "organizations", "everyone"):
        with pytest.raises(ValidationError):
            poll_at(world, decision, electorate=electorate)


def test_it_puts_a_council_vote_to_the_council_members(world):
    matter = walk_to(world, propose(world, COUNCIL), "council_vote")
    poll = poll_at(world, matter, by="party_secretary")
    assert (poll.electorate, poll.body, poll.rule) == ("body", world.orgs[Kind.COUNCIL], "council")
    assert poll.electorate_heads == 1
    assert services.cast_ballot(world.cast["council_member"], poll, ["yes"])["status"] == "cast"
    for name in ("party_secretary", "resident", "so_member"):
        with pytest.raises(PermissionDenied):
            services.cast_ballot(world.cast[name], poll, ["yes"])


def test_it_refuses_a_closing_time_in_the_past(world, decision):
    with pytest.raises(ValidationError):
        poll_at(world, decision, closes_at=timezone.now() - timedelta(minutes=1))


def test_it_refuses_a_secret_ballot_that_could_be_changed(world, decision):
    with pytest.raises(ValidationError):
        poll_at(world, decision, secret=True, allow_change=True)
    assert not Poll.objects.filter(stage=decision.stage).exists()


# What a ballot may choose -------------------------------------------------------------------


def test_it_offers_yes_no_and_abstain_and_takes_one_of_them(world, decision):
    poll = poll_at(world, decision, max_choices=3)
    assert list(poll.choices.values_list("code", flat=True)) == ["yes", "no", "abstain"]
    assert poll.max_choices == 1
    resident = world.cast["resident"]
    for wrong in (["yes", "no"], ["maybe"], [], ["yes", "yes"], None):
        with pytest.raises(ValidationError):
            services.cast_ballot(resident, poll, wrong)
    assert not poll.ballots.exists()
    assert services.cast_ballot(resident, poll, ["abstain"]) == {"status": "cast", "slots": 1}


def test_it_takes_one_choice_in_a_single_choice_poll(world, decision):
    poll = poll_at(world, decision, kind="single", choices=["东门", "西门", " 南门 ", ""])
    assert list(poll.choices.values_list("code", "label")) == [
        ("c1", "东门"),
        ("c2", "西门"),
        ("c3", "南门"),
    ]
    with pytest.raises(ValidationError):
        services.cast_ballot(world.cast["resident"], poll, ["c1", "c2"])
    services.cast_ballot(world.cast["resident"], poll, ["c2"])
    assert poll.ballots.get().choices == ["c2"]


def test_it_holds_a_multiple_choice_ballot_to_its_most_choices(world, decision):
    poll = poll_at(
        world, decision, kind="multiple", choices=["绿化", "路灯", "座椅"], max_choices=2
    )
    with pytest.raises(ValidationError):
        services.cast_ballot(world.cast["resident"], poll, ["c1", "c2", "c3"])
    services.cast_ballot(world.cast["resident"], poll, ["c3", "c1"])
    assert poll.ballots.get().choices == ["c1", "c3"]
    services.cast_ballot(world.cast["owner"], poll, ["c1"])
    result = services.close_poll(world.cast["rc_director"], poll).result
    assert result["counts"]["c1"]["heads"] == 2
    assert result["counts"]["c3"]["heads"] == 1
    assert result["counts"]["c2"]["heads"] == 0


def test_it_refuses_malformed_choices_when_creating_a_poll(world, decision):
    for kind, choices, most in [
        ("single", ["只有一个"], 1),
        ("single", ["甲", "甲"], 1),
        ("multiple", ["甲", "乙"], 3),
        ("multiple", ["甲", "乙"], 0),
        ("multiple", ["长" * 121, "乙"], 1),
        ("ranked", ["甲", "乙"], 1),
    ]:
        with pytest.raises(ValidationError):
            poll_at(world, decision, kind=kind, choices=choices, max_choices=most)
    assert not Poll.objects.filter(stage=decision.stage).exists()


# Who is in each electorate ------------------------------------------------------------------


def test_it_counts_verified_residents_one_each(world):
    poll = in_memory_poll(world, "residents")
    assert electorates.base(poll).heads == 2
    names = {n for n in CAST if electorates.slots(world.cast[n], poll)}
    assert names == {"resident", "owner"}
    slot = electorates.slots(world.cast["resident"], poll)
    assert slot == [(f"user:{world.cast['resident'].pk}",) * 2 + (Decimal(0),)]


def test_it_gives_a_household_one_slot_whoever_casts_it(world, decision):
    # resident and owner live at 1栋101; "1 栋 101 室" is the same registered unit.
    neighbour = verified_resident(world, "neighbour", address=" 1 栋 101 室")
    other = verified_resident(world, "other", address="1栋102")
    poll = poll_at(world, decision, electorate="households")
    assert poll.electorate_heads == 2
    slots = {electorates.slots(p, poll)[0][0] for p in (world.cast["owner"], neighbour)}
    assert len(slots) == 1

    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    assert services.cast_ballot(neighbour, poll, ["yes"])["status"] == "unchanged"
    with pytest.raises(ValidationError):
        services.cast_ballot(world.cast["owner"], poll, ["no"])
    services.cast_ballot(other, poll, ["no"])
    assert Ballot.objects.filter(poll=poll).count() == 2
    ballot = Ballot.objects.get(poll=poll, voter=world.cast["resident"])
    assert ballot.choices == ["yes"]


def test_it_lets_a_household_member_change_its_vote_where_allowed(world, decision):
    poll = poll_at(world, decision, electorate="households", allow_change=True)
    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    assert services.cast_ballot(world.cast["owner"], poll, ["no"])["status"] == "changed"
    ballot = Ballot.objects.get(poll=poll)
    assert (ballot.voter, ballot.choices) == (world.cast["owner"], ["no"])


def test_it_counts_an_owner_of_two_units_as_one_head_with_both_areas(world):
    estate, admin, owner = world.estate, world.admin, world.cast["owner"]
    register.record_ownership(admin, estate.units.get(number="201"), owner)
    register.record_ownership(admin, estate.units.get(number="102"), world.cast["resident"])
    poll = in_memory_poll(world, "owners", estate=estate)
    base = electorates.base(poll)
    assert (base.heads, base.area) == (2, Decimal("273.75"))
    assert electorates.slots(owner, poll) == [
        (f"unit:{estate.units.get(number='101').pk}", f"user:{owner.pk}", Decimal("88.50")),
        (f"unit:{estate.units.get(number='201').pk}", f"user:{owner.pk}", Decimal("65.25")),
    ]


def test_it_counts_the_developers_units_as_one_head(world):
    for number, area in (("301", "50.00"), ("302", "30.00"), ("303", "20.00")):
        register.save_structure(
            world.admin,
            Unit(estate=world.estate, building="3", number=number, area=Decimal(area),
                 developer_held=True),
        )  # fmt: skip
    base = electorates.base(in_memory_poll(world, "owners", estate=world.estate))
    # owner (101), 102 and 201 (sold, no voter recorded: a head each), the developer (301-303).
    assert (base.heads, base.area) == (4, Decimal("373.75"))
    register.record_ownership(
        world.admin, world.estate.units.get(number="303"), world.cast["resident"]
    )
    base = electorates.base(in_memory_poll(world, "owners", estate=world.estate))
    assert (base.heads, base.area) == (5, Decimal("373.75"))


def test_it_lets_co_owners_share_one_vote_cast_by_the_designated_one(world):
    unit = world.estate.units.get(number="101")
    spouse = make_user("spouse")
    register.record_ownership(world.admin, unit, spouse)
    poll = in_memory_poll(world, "owners", estate=world.estate)
    before = electorates.base(poll)
    assert electorates.slots(spouse, poll) == []
    register.designate_voter(world.cast["owner"], unit, spouse)
    assert electorates.slots(world.cast["owner"], poll) == []
    assert [s[0] for s in electorates.slots(spouse, poll)] == [f"unit:{unit.pk}"]
    assert electorates.base(poll) == before


def test_it_counts_a_body_by_its_current_members(world):
    council = world.orgs[Kind.COUNCIL]
    poll = in_memory_poll(world, "body", body=council)
    assert electorates.base(poll).heads == 1
    assert {n for n in CAST if electorates.slots(world.cast[n], poll)} == {"council_member"}
    register.appoint(world.admin, council, world.cast["resident"], "member")
    assert electorates.base(poll).heads == 2


def test_it_gives_each_organisation_of_the_community_one_vote(world):
    # No procedure stage offers this electorate yet, so it is asked directly.
    orgs = world.orgs
    poll = in_memory_poll(world, "organizations")
    assert electorates.base(poll).heads == 7  # every body but the street and district offices
    social = orgs[Kind.SOCIAL_ORGANIZATION]
    assert electorates.slots(world.cast["so_member"], poll, social) == [
        (f"org:{social.pk}", f"org:{social.pk}", Decimal(0))
    ]
    assert electorates.slots(world.cast["so_member"], poll) == []
    assert electorates.slots(world.cast["so_member"], poll, orgs[Kind.PARTY_COMMITTEE]) == []
    assert electorates.slots(world.cast["resident"], poll, social) == []
    assert electorates.slots(world.cast["council_member"], poll, orgs[Kind.COUNCIL]) == []
    street = orgs[Kind.STREET_OFFICE]
    assert electorates.slots(world.cast["street_officer"], poll, street) == []


def test_it_refuses_ballots_from_outside_the_electorate(world, decision):
    poll = poll_at(world, decision)
    for name in ("unverified", "outsider", "party_secretary", "rc_director"):
        with pytest.raises(PermissionDenied):
            services.cast_ballot(world.cast[name], poll, ["yes"])
    assert not Ballot.objects.filter(poll__stage="decision").exists()


def test_it_keeps_someone_verified_after_the_poll_opened_out_of_it(world, decision):
    poll = poll_at(world, decision)
    latecomer = verified_resident(world, "latecomer")
    with pytest.raises(PermissionDenied):
        services.cast_ballot(latecomer, poll, ["yes"])
    assert not services.has_voted(latecomer, poll)
    assert fresh_poll(poll).electorate_heads == 2
    services.close_poll(world.cast["rc_director"], poll)  # void: nobody took part
    assert poll_at(world, decision).electorate_heads == 3  # the next poll counts them


def fresh_poll(poll) -> Poll:
    return Poll.objects.get(pk=poll.pk)


# Casting, changing and closing --------------------------------------------------------------


def test_it_refuses_a_second_different_ballot_unless_changes_are_allowed(world, decision):
    resident = world.cast["resident"]
    poll = poll_at(world, decision)
    assert services.cast_ballot(resident, poll, ["yes"]) == {"status": "cast", "slots": 1}
    assert services.cast_ballot(resident, poll, ["yes"]) == {"status": "unchanged", "slots": 1}
    with pytest.raises(ValidationError):
        services.cast_ballot(resident, poll, ["no"])
    assert list(poll.ballots.values_list("choices", flat=True)) == [["yes"]]
    assert services.has_voted(resident, poll)
    assert not services.has_voted(world.cast["owner"], poll)


def test_it_replaces_a_ballot_in_place_where_changes_are_allowed(world, decision):
    resident = world.cast["resident"]
    poll = poll_at(world, decision, allow_change=True)
    services.cast_ballot(resident, poll, ["yes"])
    first = poll.ballots.get()
    assert services.cast_ballot(resident, poll, ["no"]) == {"status": "changed", "slots": 1}
    assert services.cast_ballot(resident, poll, ["no"]) == {"status": "unchanged", "slots": 1}
    ballot = poll.ballots.get()
    assert (ballot.pk, ballot.choices) == (first.pk, ["no"])
    assert ballot.cast_at >= first.cast_at
    votes = AuditEvent.objects.filter(verb="poll.voted", object_id=str(poll.pk)).order_by("pk")
    assert [e.data["changed"] for e in votes] == [False, True]


def test_it_freezes_the_result_at_close(world, decision):
    director = world.cast["rc_director"]
    poll = poll_at(world, decision)
    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    services.cast_ballot(world.cast["owner"], poll, ["no"])
    with pytest.raises(PermissionDenied):
        services.close_poll(world.cast["party_secretary"], poll)
    closed = services.close_poll(director, poll)
    assert closed.is_closed and closed.closed_at is not None
    assert closed.result["participation"] == {"heads": 2, "area": "0.00"}
    assert closed.result["counts"]["yes"]["heads"] == 1
    assert closed.result["passed"] is False  # 1 of 2 attending is not more than half
    stored = fresh_poll(poll)
    assert stored.result == closed.result
    assert services.tally(stored) == stored.result
    verified_resident(world, "latecomer")  # the register moves on; the base stays frozen
    assert services.tally(fresh_poll(poll)) == stored.result
    with pytest.raises(ValidationError):
        services.close_poll(director, poll)
    event = AuditEvent.objects.get(verb="poll.closed", object_id=str(poll.pk))
    assert event.data == {"passed": False, "quorum": True}


def test_it_takes_no_ballot_after_the_close(world, decision):
    poll = poll_at(world, decision)
    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    services.close_poll(world.cast["rc_director"], poll)
    with pytest.raises(ValidationError):
        services.cast_ballot(world.cast["owner"], poll, ["yes"])
    with pytest.raises(ValidationError):
        services.cast_ballot(world.cast["resident"], poll, ["yes"])
    assert poll.ballots.count() == 1


def test_it_takes_no_ballot_after_the_closing_time(world, decision):
    poll = poll_at(world, decision, closes_at=timezone.now() + timedelta(hours=1))
    services.cast_ballot(world.cast["resident"], poll, ["yes"])
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError):
        services.cast_ballot(world.cast["owner"], poll, ["yes"])
    assert [p.pk for p in services.close_due_polls()] == [poll.pk]
    assert fresh_poll(poll).result["participation"]["heads"] == 1


# The owners' vote under Civil Code Art. 278 -------------------------------------------------


def _owners_register(world):
    """owner: 101 + 201 (one head, 153.75 m²); resident: 102 (120 m²); developer: 301 + 302."""
    admin, estate = world.admin, world.estate
    register.record_ownership(admin, estate.units.get(number="201"), world.cast["owner"])
    register.record_ownership(admin, estate.units.get(number="102"), world.cast["resident"])
    for number, area in (("301", "50.00"), ("302", "30.00")):
        register.save_structure(
            admin,
            Unit(estate=estate, building="3", number=number, area=Decimal(area),
                 developer_held=True),
        )  # fmt: skip


def test_it_runs_an_owners_vote_by_the_law(world):
    _owners_register(world)
    chair, owner, resident = world.cast["oc_chair"], world.cast["owner"], world.cast["resident"]
    matter = propose(world, OWNERS)

    # The agenda is drafted at the proposal; each item names its Art. 278 item.
    with pytest.raises(ValidationError):
        poll_at(world, matter, by="oc_chair")
    with pytest.raises(ValidationError):
        poll_at(world, matter, by="oc_chair", law_item=10)
    agenda = {
        item: poll_at(world, matter, by="oc_chair", question=f"第{item}项", law_item=item)
        for item in (4, 5, 6)
    }
    assert {i: p.rule for i, p in agenda.items()} == {
        4: "owners_ordinary",
        5: "owners_ordinary",
        6: "owners_special",
    }
    for poll in agenda.values():
        assert (poll.status, poll.opened_at, poll.estate) == ("draft", None, world.estate)
        with pytest.raises(ValidationError):
            services.cast_ballot(owner, poll, ["yes"])

    # The notice freezes the agenda for at least 15 days.
    matter = services.advance(chair, matter)
    assert matter.stage == "notice"
    assert matter.deadline == matter.stage_started_at + timedelta(days=15)
    with pytest.raises(ValidationError):
        poll_at(world, matter, by="oc_chair", law_item=4)
    with pytest.raises(ValidationError):
        services.open_poll(chair, agenda[4])
    with pytest.raises(ValidationError):
        services.advance(chair, matter)
    matter = elapse(matter)
    matter = services.advance(chair, matter)
    assert matter.stage == "voting"
    with pytest.raises(ValidationError):
        poll_at(world, matter, by="oc_chair", law_item=4)

    # Voting opens only now, on the items of the notice.
    with pytest.raises(PermissionDenied):
        services.open_poll(world.cast["party_secretary"], agenda[4])
    for poll in agenda.values():
        opened = services.open_poll(chair, poll)
        assert (opened.electorate_heads, opened.electorate_area) == (3, Decimal("353.75"))
    with pytest.raises(ValidationError):
        services.open_poll(chair, agenda[4])

    votes = {4: ("yes", "yes"), 5: ("yes", "no"), 6: ("yes", "no")}
    for item, (by_owner, by_resident) in votes.items():
        assert services.cast_ballot(owner, agenda[item], [by_owner])["slots"] == 2
        services.cast_ballot(resident, agenda[item], [by_resident])
    results = {item: services.close_poll(chair, poll).result for item, poll in agenda.items()}

    # 2 of 3 heads and 273.75 of 353.75 m² took part: exactly 2/3 of heads is "at or above".
    for result in results.values():
        assert result["electorate"] == {"heads": 3, "area": "353.75"}
        assert result["participation"] == {"heads": 2, "area": "273.75"}
        assert result["quorum_met"]
    assert results[4]["passed"] and results[4]["counts"]["yes"] == {
        "heads": 2,
        "area": "273.75",
    }
    # 153.75 of 273.75 m² is more than half, but 1 of 2 heads is not more than half.
    assert (results[5]["passed"], results[5]["reasons"]) == (False, ["pass_heads"])
    # A special matter needs 3/4 of both; 56% of the area and half of the heads fall short.
    assert (results[6]["passed"], results[6]["reasons"]) == (False, ["pass_area", "pass_heads"])
    for poll in agenda.values():
        assert services.tally(fresh_poll(poll)) == fresh_poll(poll).result

    matter = services.advance(chair, matter)
    assert matter.stage == "resolution"
    resolution = services.publish_resolution(chair, matter, text="续聘物业服务企业。")
    assert resolution.issuing_body == world.orgs[Kind.OWNERS_COMMITTEE]


def test_it_voids_an_owners_vote_below_two_thirds_of_the_heads(world):
    _owners_register(world)
    matter = walk_to(world, propose(world, OWNERS), "notice")  # the helper drafts item 4
    matter = services.advance(world.cast["oc_chair"], elapse(matter))
    poll = services.open_poll(world.cast["oc_chair"], matter.polls.get())
    services.cast_ballot(world.cast["owner"], poll, ["yes"])  # 1 of 3 heads, 153.75 m²
    result = services.close_poll(world.cast["oc_chair"], poll).result
    assert result["quorum_met"] is False
    assert result["reasons"] == ["participation_area", "participation_heads"]
    with pytest.raises(ValidationError):
        services.advance(world.cast["oc_chair"], matter)
    assert fresh(matter).stage == "voting"


def test_it_keeps_an_owner_recorded_after_the_vote_opened_out_of_it(world):
    matter = walk_to(world, propose(world, OWNERS), "notice")
    matter = services.advance(world.cast["oc_chair"], elapse(matter))
    poll = services.open_poll(world.cast["oc_chair"], matter.polls.get())
    buyer = make_user("buyer")
    register.record_ownership(world.admin, world.estate.units.get(number="102"), buyer)
    with pytest.raises(PermissionDenied):
        services.cast_ballot(buyer, poll, ["yes"])


# Secret ballots -----------------------------------------------------------------------------


def _names(model) -> set[str]:
    # Both primary keys are called "id"; the secret ballot's is random (see the next tests).
    return {f.name for f in model._meta.get_fields() if not f.primary_key}


def test_it_keeps_nothing_in_common_between_a_secret_ballot_and_its_receipt():
    assert _names(SecretBallot) & _names(VoterReceipt) == {"poll"}
    assert _names(SealedUrn) & _names(VoterReceipt) == set()  # keyed by the poll alone
    # The receipt says who took part, for which slot and how (online, at the box, by whose
    # proxy), and nothing about the choice.
    assert _names(VoterReceipt) == {"poll", "voter", "slot", "channel", "cast_by"}
    assert VoterReceipt._meta.get_field("voter").related_model is get_user_model()


def test_it_keeps_no_time_and_no_voter_on_a_secret_ballot():
    user_model = get_user_model()
    for model in (SecretBallot, SealedUrn):
        for field in model._meta.get_fields():
            assert not isinstance(field, models.DateField | models.TimeField), field.name
            assert field.related_model is not user_model, field.name
    # No weight: an owner's area would name them (the area totals are frozen in the result).
    assert _names(SecretBallot) == {"poll", "choices"}
    assert _names(SealedUrn) == {"sealed"}


CHOICES = ("yes", "no", "abstain")


@pytest.fixture
def secret_casts(world, decision):
    """30 residents cast a secret ballot one after another, then the poll closes."""
    voters = [verified_resident(world, f"voter{i:02d}") for i in range(30)]
    poll = poll_at(world, decision, secret=True)
    sealed = []  # the urn as it stood after each ballot
    for i, voter in enumerate(voters):
        services.cast_ballot(voter, poll, [CHOICES[i % 3]])
        sealed.append(SealedUrn.objects.get(poll=poll).sealed)
    services.close_poll(world.cast["rc_director"], poll)
    return poll, sealed


def test_it_keeps_open_secret_ballots_sealed(secret_casts):
    poll, sealed = secret_casts
    assert len(set(sealed)) == 30  # a fresh nonce every time
    for token in sealed:
        raw = base64.b64decode(token)
        assert b"yes" not in raw and b"abstain" not in raw  # ciphertext, not JSON
    # One fixed-size record per ballot, whatever was chosen.
    assert {len(b) - len(a) for a, b in zip(sealed, sealed[1:], strict=False)} <= {16, 20, 12}
    entries = sealing.unseal(poll.pk, sealed[-1])
    opened = sorted(CHOICES[sealing.unpack(e)[0][0]] for e in entries)
    assert opened == sorted(CHOICES[i % 3] for i in range(30))


def test_it_unseals_and_shuffles_secret_ballots_at_close(secret_casts):
    poll, _sealed = secret_casts
    assert not SealedUrn.objects.filter(poll=poll).exists()
    assert SecretBallot.objects.filter(poll=poll).count() == 30
    poll = fresh_poll(poll)
    assert poll.result["counts"]["yes"]["heads"] == 10
    assert services.tally(poll) == poll.result


def test_it_leaves_nothing_in_storage_that_links_a_secret_ballot_to_its_receipt(secret_casts):
    poll, _sealed = secret_casts
    ballots, receipts = SecretBallot._meta.db_table, VoterReceipt._meta.db_table
    with connection.cursor() as cursor:
        # Storage order: the choices were cast as yes, no, abstain, yes, ...; it must not show.
        cursor.execute(f"SELECT choices FROM {ballots} WHERE poll_id = %s", [poll.pk])  # noqa: S608
        stored = [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in cursor]
        assert stored != [[CHOICES[i % 3]] for i in range(30)]
        if connection.vendor == "postgresql":
            # Every ballot was written by the closing transaction, which wrote no receipt.
            cursor.execute(
                f"SELECT count(DISTINCT xmin::text) FROM {ballots} WHERE poll_id = %s",  # noqa: S608
                [poll.pk],
            )
            assert cursor.fetchone()[0] == 1
            cursor.execute(
                f"SELECT count(*) FROM {receipts} r JOIN {ballots} b ON b.xmin = r.xmin"  # noqa: S608
                " WHERE r.poll_id = %s",
                [poll.pk],
            )
            assert cursor.fetchone()[0] == 0


def test_it_refuses_a_ballot_sealed_for_another_poll(secret_casts):
    poll, sealed = secret_casts
    with pytest.raises(ValueError, match="cannot be opened"):
        sealing.unseal(poll.pk + 1, sealed[0])


def test_it_takes_one_secret_ballot_per_voter_and_counts_it(world, decision):
    resident = world.cast["resident"]
    poll = poll_at(world, decision, secret=True)
    services.cast_ballot(resident, poll, ["yes"])
    with pytest.raises(ValidationError):
        services.cast_ballot(resident, poll, ["yes"])
    assert services.has_voted(resident, poll)
    assert not poll.ballots.exists()
    receipt = VoterReceipt.objects.get()
    assert (receipt.voter, receipt.slot) == (resident, f"user:{resident.pk}")
    services.cast_ballot(world.cast["owner"], poll, ["yes"])
    result = services.close_poll(world.cast["rc_director"], poll).result
    assert result["passed"] and result["counts"]["yes"]["heads"] == 2
    assert services.tally(fresh_poll(poll)) == result


def test_it_writes_no_choice_and_no_ballot_id_to_the_audit_log(world, decision):
    poll = poll_at(world, decision, secret=True, question="是否同意更换门禁？")
    since = AuditEvent.objects.order_by("-pk").first().pk
    services.cast_ballot(world.cast["resident"], poll, ["abstain"])
    [entry] = sealing.unseal(poll.pk, SealedUrn.objects.get(poll=poll).sealed)
    assert sealing.unpack(entry)[0] == [2]  # abstain, the third choice
    # The receipt records that they took part; the audit log adds no time of theirs.
    assert VoterReceipt.objects.filter(poll=poll, voter=world.cast["resident"]).exists()
    assert not AuditEvent.objects.filter(pk__gt=since).exists()
    named = poll_at(world, walk_to(world, propose(world, FOUR, title="另一议题"), "decision"))
    since = AuditEvent.objects.order_by("-pk").first().pk
    services.cast_ballot(world.cast["resident"], named, ["abstain"])
    [event] = AuditEvent.objects.filter(pk__gt=since, verb="poll.voted")
    written = json.dumps([event.object_id, event.object_repr, event.data], ensure_ascii=False)
    assert "abstain" not in written and event.object_type.model_class() is Poll


# Everyone at once (the live room's group commit) -------------------------------------------


@pytest.mark.parametrize("electorate", ["residents", "households", "body", "owners"])
def test_it_finds_many_voters_slots_at_once_exactly_as_one_by_one(world, electorate, monkeypatch):
    register.record_ownership(
        world.admin, world.estate.units.get(number="201"), world.cast["owner"]
    )
    extra = {"body": world.orgs[Kind.COUNCIL]} if electorate == "body" else {}
    if electorate == "owners":
        extra["estate"] = world.estate
    poll = in_memory_poll(world, electorate, **extra)
    people = [world.cast[n] for n in CAST] + [AnonymousUser()]
    one_by_one = [electorates.slots(p, poll) for p in people]
    monkeypatch.setattr(electorates, "CHUNK", 3)  # several IN (...) lists in one call
    together = electorates.slots_many(poll, [(p, None) for p in people])
    assert together == one_by_one
    assert any(together) and not all(together)
