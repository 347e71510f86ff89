"""Organisations, positions and the unit register, as domain-rules.md §1 needs them."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from communities import services
from communities.models import Organization, Ownership, Position, Unit
from tests.factories import make_user

Kind = Organization.Kind


# Organisations -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.PARTY_COMMITTEE, Kind.RESIDENTS_COMMITTEE, Kind.WORKSTATION])
def test_it_allows_one_of_each_community_body(world, kind):
    with pytest.raises(ValidationError):
        services.save_structure(
            world.admin, Organization(community=world.community, kind=kind, name="第二个")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(community=world.community, kind=kind, name="第二个")


@pytest.mark.parametrize("kind", [Kind.PROPERTY_MANAGEMENT, Kind.OWNERS_COMMITTEE])
def test_it_allows_one_of_each_estate_body_per_estate(world, kind):
    with pytest.raises(ValidationError):
        services.save_structure(
            world.admin,
            Organization(community=world.community, kind=kind, name="又一个", estate=world.estate),
        )


def test_it_requires_an_estate_for_estate_bodies_only(world):
    with pytest.raises(ValidationError):
        services.save_structure(
            world.admin,
            Organization(community=world.community, kind=Kind.OWNERS_COMMITTEE, name="无小区"),
        )
    with pytest.raises(ValidationError):
        services.save_structure(
            world.admin,
            Organization(
                community=world.community,
                kind=Kind.SOCIAL_ORGANIZATION,
                name="有小区",
                estate=world.estate,
            ),
        )


def test_it_allows_many_social_organisations(world):
    services.save_structure(
        world.admin,
        Organization(community=world.community, kind=Kind.SOCIAL_ORGANIZATION, name="青少年驿站"),
    )
    assert world.community.organizations.filter(kind=Kind.SOCIAL_ORGANIZATION).count() == 2


def test_it_refuses_structure_changes_by_officials(world):
    with pytest.raises(PermissionDenied):
        services.save_structure(
            world.cast["party_secretary"],
            Organization(community=world.community, kind=Kind.SOCIAL_ORGANIZATION, name="X"),
        )


# Positions ---------------------------------------------------------------------------------


def test_it_lets_a_body_lead_appoint_and_remove_members(world):
    secretary = world.cast["party_secretary"]
    newcomer = make_user("new_party_member")
    position = services.appoint(secretary, world.orgs[Kind.PARTY_COMMITTEE], newcomer, "member")
    assert newcomer.has_perm("communities.chair_meeting", world.community)
    services.end_position(secretary, position)
    assert not newcomer.has_perm("communities.chair_meeting", world.community)
    position.refresh_from_db()
    assert position.ended_at is not None  # kept on record


def test_it_refuses_appointments_by_members_and_other_bodies(world):
    newcomer = make_user("hopeful")
    for name in ("so_member", "ws_staff", "rc_director", "resident"):
        with pytest.raises(PermissionDenied):
            services.appoint(world.cast[name], world.orgs[Kind.PARTY_COMMITTEE], newcomer, "member")
    assert not Position.objects.filter(user=newcomer).exists()


def test_it_refuses_a_title_the_body_does_not_have(world):
    with pytest.raises(ValidationError):
        services.appoint(
            world.admin, world.orgs[Kind.SOCIAL_ORGANIZATION], make_user("x"), "secretary"
        )


def test_it_refuses_two_current_positions_in_one_body(world):
    with pytest.raises(ValidationError):
        services.appoint(
            world.admin, world.orgs[Kind.PARTY_COMMITTEE], world.cast["party_secretary"], "member"
        )


def test_it_lets_an_official_resign(world):
    manager = world.cast["pm_manager"]
    position = manager.positions.get()
    services.end_position(manager, position)
    assert not manager.has_perm("communities.propose_matter", world.community)


def test_it_combines_the_rights_of_several_roles(world):
    """An official who is also a verified resident holds both sets of rights."""
    secretary = world.cast["party_secretary"]
    services.request_membership(secretary, world.community)
    services.verify_membership(world.cast["ws_staff"], secretary.memberships.get())
    assert secretary.has_perm("communities.vote", world.community)
    assert secretary.has_perm("communities.chair_meeting", world.community)


# Units and owners --------------------------------------------------------------------------


def test_it_stores_areas_as_exact_decimals(world):
    unit = world.estate.units.get(number="201")
    assert unit.area == Decimal("65.25")


def test_it_refuses_a_unit_without_positive_area(world):
    with pytest.raises(ValidationError):
        services.save_structure(
            world.admin, Unit(estate=world.estate, building="9", number="1", area=Decimal("0"))
        )


def test_it_lets_one_owner_hold_several_units(world):
    owner = world.cast["owner"]
    services.record_ownership(world.admin, world.estate.units.get(number="102"), owner)
    assert Ownership.objects.current().filter(owner=owner).count() == 2
    assert owner.has_perm("communities.vote", world.estate)


def test_it_gives_co_owners_one_designated_voter(world):
    unit = world.estate.units.get(number="101")
    spouse = make_user("spouse")
    services.record_ownership(world.cast["ws_staff"], unit, spouse)
    voters = Ownership.objects.current().filter(unit=unit, is_voter=True)
    assert [o.owner for o in voters] == [world.cast["owner"]]
    # Each co-owner may vote in owners' matters only through the unit's one vote, but both
    # are owners of the estate.
    assert spouse.has_perm("communities.vote", world.estate)
    services.designate_voter(world.cast["owner"], unit, spouse)
    voters = Ownership.objects.current().filter(unit=unit, is_voter=True)
    assert [o.owner for o in voters] == [spouse]


def test_it_enforces_one_voter_per_unit_in_the_database(world):
    unit = world.estate.units.get(number="101")
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(unit=unit, owner=make_user("sneaky"), is_voter=True)


def test_it_refuses_voter_designation_by_a_stranger(world):
    unit = world.estate.units.get(number="101")
    with pytest.raises(PermissionDenied):
        services.designate_voter(world.cast["resident"], unit, world.cast["resident"])


def test_it_hands_the_vote_to_the_remaining_co_owner(world):
    unit = world.estate.units.get(number="101")
    spouse = make_user("spouse")
    services.record_ownership(world.admin, unit, spouse)
    services.end_ownership(world.admin, Ownership.objects.get(unit=unit, owner=world.cast["owner"]))
    assert Ownership.objects.current().get(unit=unit).owner == spouse
    assert Ownership.objects.current().get(unit=unit).is_voter
    assert not world.cast["owner"].has_perm("communities.vote", world.estate)


def test_it_marks_a_developer_unit_sold_when_an_owner_is_recorded(world):
    unit = services.save_structure(
        world.admin,
        Unit(estate=world.estate, building="2", number="901", area=Decimal("99"),
             developer_held=True),
    )  # fmt: skip
    services.record_ownership(world.admin, unit, make_user("buyer"))
    unit.refresh_from_db()
    assert not unit.developer_held


def test_it_refuses_register_changes_by_residents(world):
    unit = world.estate.units.get(number="102")
    with pytest.raises(PermissionDenied):
        services.record_ownership(world.cast["resident"], unit, world.cast["resident"])
    assert not Ownership.objects.filter(unit=unit).exists()


def test_it_refuses_to_mark_an_owned_unit_as_developer_held(world):
    unit = world.estate.units.get(number="101")
    unit.developer_held = True
    with pytest.raises(ValidationError):
        services.save_structure(world.admin, unit)
    unit.refresh_from_db()
    assert not unit.developer_held


def test_it_refuses_to_let_others_end_a_position(world):
    position = world.cast["pm_manager"].positions.get()
    for name in ("so_member", "resident", "oc_chair"):
        with pytest.raises(PermissionDenied):
            services.end_position(world.cast[name], position)
    position.refresh_from_db()
    assert position.ended_at is None


def test_it_refuses_to_let_residents_end_an_ownership(world):
    ownership = Ownership.objects.get(owner=world.cast["owner"])
    for name in ("resident", "owner", "oc_chair"):
        with pytest.raises(PermissionDenied):
            services.end_ownership(world.cast[name], ownership)
    ownership.refresh_from_db()
    assert ownership.ended_at is None


@pytest.mark.parametrize(
    "bad",
    [{"owners.notice_days": 10}, {"council.quorum": "two thirds"}, {"no.such.setting": 1}],
)
def test_it_refuses_community_settings_the_rules_cannot_use(world, bad):
    world.community.settings = bad
    with pytest.raises(ValidationError, match="settings"):
        services.save_structure(world.admin, world.community)


def test_it_keeps_valid_community_settings(world):
    world.community.settings = {"notice.days": 10, "council.quorum": ">1/2"}
    services.save_structure(world.admin, world.community)
    world.community.refresh_from_db()
    assert world.community.settings["notice.days"] == 10
