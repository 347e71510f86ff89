"""Role × permission matrix over the named cast, written out by hand (not read from roles.py)."""

import pytest
from django.contrib.auth.models import Permission

from communities import roles
from communities.models import Community, Estate, Organization

Kind = Organization.Kind

OFFICIALS = {
    "party_secretary": Kind.PARTY_COMMITTEE,
    "rc_director": Kind.RESIDENTS_COMMITTEE,
    "ws_staff": Kind.WORKSTATION,
    "pm_manager": Kind.PROPERTY_MANAGEMENT,
    "oc_chair": Kind.OWNERS_COMMITTEE,
    "so_member": Kind.SOCIAL_ORGANIZATION,
    "council_member": Kind.COUNCIL,
    "street_officer": Kind.STREET_OFFICE,
    "district_officer": Kind.DISTRICT_OFFICE,
}

# Who holds each permission on the community; everyone else in the cast must be refused.
COMMUNITY_ALLOWED = {
    "propose_matter": {
        "party_secretary", "rc_director", "pm_manager", "oc_chair", "so_member",
        "council_member", "resident", "owner",
    },
    "comment": {
        "party_secretary", "rc_director", "ws_staff", "pm_manager", "oc_chair", "so_member",
        "council_member", "street_officer", "district_officer", "resident", "owner",
    },
    "vote": {"resident", "owner"},
    "chair_meeting": {"party_secretary", "rc_director"},
    "publish_resolution": {"rc_director"},
    "moderate": {"party_secretary", "rc_director"},
    "verify_resident": {"rc_director", "ws_staff"},
    "view_residents": {"party_secretary", "rc_director", "ws_staff"},
    "manage_register": {"rc_director", "ws_staff"},
    "escalate": {"rc_director", "ws_staff", "street_officer"},
    "host_reception": {
        "party_secretary", "rc_director", "ws_staff", "street_officer", "district_officer",
    },
}  # fmt: skip

ESTATE_ALLOWED = {
    "vote": {"owner"},
    "propose_matter": {"owner", "pm_manager", "oc_chair"},
    "chair_meeting": {"oc_chair"},
}

# On their own organisation; nobody holds anything on another body.
ORGANIZATION_ALLOWED = {
    "manage_organization": {"party_secretary", "rc_director", "pm_manager", "oc_chair"},
    "speak_for_organization": set(OFFICIALS) - {"council_member"},
    "answer_escalation": {"street_officer", "district_officer"},
}

CAST = [*OFFICIALS, "resident", "owner", "unverified", "outsider"]


@pytest.mark.parametrize("name", CAST)
def test_it_grants_each_role_exactly_its_permissions(world, name):
    person = world.cast[name]
    wrong = []
    for codename, allowed in COMMUNITY_ALLOWED.items():
        expected = name in allowed
        if person.has_perm(f"communities.{codename}", world.community) != expected:
            wrong.append(f"community {codename}: expected {expected}")
    for codename, allowed in ESTATE_ALLOWED.items():
        expected = name in allowed
        if person.has_perm(f"communities.{codename}", world.estate) != expected:
            wrong.append(f"estate {codename}: expected {expected}")
    for kind, org in world.orgs.items():
        for codename, allowed in ORGANIZATION_ALLOWED.items():
            expected = name in allowed and OFFICIALS.get(name) == kind
            if person.has_perm(f"communities.{codename}", org) != expected:
                wrong.append(f"{kind} {codename}: expected {expected}")
    assert wrong == []


def test_it_lets_only_street_officers_answer_what_reaches_the_street(world):
    street, district = world.orgs[Kind.STREET_OFFICE], world.orgs[Kind.DISTRICT_OFFICE]
    assert world.cast["street_officer"].has_perm("communities.answer_escalation", street)
    assert not world.cast["street_officer"].has_perm("communities.answer_escalation", district)
    assert world.cast["district_officer"].has_perm("communities.answer_escalation", district)
    assert not world.cast["ws_staff"].has_perm("communities.answer_escalation", street)


def test_it_gives_no_rights_in_another_community(world):
    from tests.factories import make_community

    other, other_estate, _orgs = make_community(world.admin, slug="other", code="OT", name="别处")
    for person in world.cast.values():
        for codename in COMMUNITY_ALLOWED:
            assert not person.has_perm(f"communities.{codename}", other)
        assert not person.has_perm("communities.vote", other_estate)


def test_it_lets_a_superuser_do_everything(world):
    assert world.admin.has_perm("communities.publish_resolution", world.community)


def test_it_refuses_a_deactivated_official(world):
    person = world.cast["rc_director"]
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert not person.has_perm("communities.publish_resolution", world.community)


def test_it_names_every_permission_the_issue_asks_for(db):
    asked = {
        "propose_matter", "comment", "vote", "chair_meeting", "publish_resolution", "moderate",
        "verify_resident", "manage_organization", "escalate", "answer_escalation",
    }  # fmt: skip
    handed_out = set().union(*roles.managed_codenames().values())
    assert asked <= handed_out


@pytest.mark.parametrize(
    ("scope", "model"),
    [("community", Community), ("organization", Organization), ("estate", Estate)],
)
def test_it_only_hands_out_permissions_that_exist_on_the_object(db, scope, model):
    existing = set(
        Permission.objects.filter(content_type__model=model._meta.model_name).values_list(
            "codename", flat=True
        )
    )
    assert roles.managed_codenames()[scope] <= existing


def test_it_defines_titles_for_every_organisation_kind():
    for kind in Kind.values:
        assert roles.titles_for(kind), kind
    assert roles.is_valid_title(Kind.PARTY_COMMITTEE, "secretary")
    assert not roles.is_valid_title(Kind.PARTY_COMMITTEE, "manager")
    assert not roles.is_valid_title(Kind.SOCIAL_ORGANIZATION, "secretary")
