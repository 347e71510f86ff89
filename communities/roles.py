"""The role policy, as data: the kinds of body, the titles in them, and which role holds which
permissions on which objects.

This table is the only source of object permissions. `services.sync_permissions` derives a
user's roles from their memberships, positions and ownerships, looks each role up here and
makes guardian's rows match. Nothing else grants these permissions.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrganizationKind(models.TextChoices):
    """The kinds of body in a community; the policy below grants by kind and title."""

    PARTY_COMMITTEE = "party_committee", _("party committee (社区党委)")
    RESIDENTS_COMMITTEE = "residents_committee", _("residents' committee (居委会)")
    WORKSTATION = "workstation", _("community workstation (社区工作站)")
    COUNCIL = "council", _("deliberation council (居民议事会)")
    PROPERTY_MANAGEMENT = "property_management", _("property management company (物业)")
    OWNERS_COMMITTEE = "owners_committee", _("owners' committee (业委会)")
    SOCIAL_ORGANIZATION = "social_organization", _("social organisation (社会组织)")
    # The levels above the community that receive escalations (community → street → district).
    STREET_OFFICE = "street_office", _("street office (街道办事处)")
    DISTRICT_OFFICE = "district_office", _("district office (区级部门)")


class Title(models.TextChoices):
    """A position's title; which titles a kind of body has is the policy's keys."""

    SECRETARY = "secretary", _("secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("deputy secretary")
    DIRECTOR = "director", _("director")
    DEPUTY_DIRECTOR = "deputy_director", _("deputy director")
    MANAGER = "manager", _("manager")
    MEMBER = "member", _("member")
    STAFF = "staff", _("staff")
    OFFICER = "officer", _("officer")


Kind = OrganizationKind


@dataclass(frozen=True)
class Grant:
    """Permission codenames a role holds on each kind of object it relates to."""

    community: frozenset[str] = frozenset()  # the community the role belongs to
    organization: frozenset[str] = frozenset()  # the organisation the position is in
    estate: frozenset[str] = frozenset()  # the estate concerned: owned units', or the org's


def grant(community=(), organization=(), estate=()) -> Grant:
    return Grant(frozenset(community), frozenset(organization), frozenset(estate))


RESIDENT = "resident"  # asked to join, not yet verified
VERIFIED_RESIDENT = "verified_resident"
OWNER = "owner"  # holds a unit in an estate (from the register, recorded by staff)


def position_role(kind: str, title: str) -> str:
    """The role name for a title in an organisation of a kind, e.g. 'party_committee.secretary'."""
    return f"{kind}.{title}"


_SPEAK = {"speak_for_organization"}
_LEAD = {"manage_organization", "speak_for_organization"}

# Residents' committee and workstation staff verify residents and see their names.
_RESIDENT_DESK = {"comment", "verify_resident", "view_residents"}

ROLE_POLICY: dict[str, Grant] = {
    # An unverified resident reads what the public reads, and may wait in the queue.
    RESIDENT: grant(),
    VERIFIED_RESIDENT: grant(community={"propose_matter", "comment", "vote"}),
    OWNER: grant(estate={"vote", "propose_matter"}),
    # 社区党委: proposes, chairs council sessions, screens proposals (moderate).
    position_role(Kind.PARTY_COMMITTEE, Title.SECRETARY): grant(
        community={"propose_matter", "comment", "chair_meeting", "moderate", "view_residents"}
        | {"host_reception"},
        organization=_LEAD,
    ),
    position_role(Kind.PARTY_COMMITTEE, Title.DEPUTY_SECRETARY): grant(
        community={"propose_matter", "comment", "chair_meeting", "moderate", "view_residents"},
        organization=_LEAD,
    ),
    position_role(Kind.PARTY_COMMITTEE, Title.MEMBER): grant(
        community={"propose_matter", "comment", "chair_meeting"},
        organization=_SPEAK,
    ),
    # 居委会: convenes residents' meetings, publishes resolutions, verifies residents.
    position_role(Kind.RESIDENTS_COMMITTEE, Title.DIRECTOR): grant(
        community=_RESIDENT_DESK
        | {"propose_matter", "chair_meeting", "publish_resolution", "moderate", "escalate"}
        | {"manage_register", "host_reception"},
        organization=_LEAD,
    ),
    position_role(Kind.RESIDENTS_COMMITTEE, Title.DEPUTY_DIRECTOR): grant(
        community=_RESIDENT_DESK
        | {"propose_matter", "chair_meeting", "publish_resolution", "moderate", "escalate"}
        | {"host_reception"},
        organization=_LEAD,
    ),
    position_role(Kind.RESIDENTS_COMMITTEE, Title.MEMBER): grant(
        community=_RESIDENT_DESK | {"propose_matter"},
        organization=_SPEAK,
    ),
    # 社区工作站: the street office's arm; verifies, receives concerns first (首接负责), escalates.
    position_role(Kind.WORKSTATION, Title.DIRECTOR): grant(
        community=_RESIDENT_DESK | {"escalate", "manage_register", "host_reception"},
        organization=_LEAD,
    ),
    position_role(Kind.WORKSTATION, Title.STAFF): grant(
        community=_RESIDENT_DESK | {"escalate", "manage_register", "host_reception"},
        organization=_SPEAK,
    ),
    # 居民议事会: its members propose and vote on council motions (domain-rules §4).
    position_role(Kind.COUNCIL, Title.DIRECTOR): grant(
        community={"propose_matter", "comment"},
        organization=_LEAD,
    ),
    position_role(Kind.COUNCIL, Title.MEMBER): grant(community={"propose_matter", "comment"}),
    # 物业: submits proposals and positions for its estate.
    position_role(Kind.PROPERTY_MANAGEMENT, Title.MANAGER): grant(
        community={"propose_matter", "comment"},
        organization=_LEAD,
        estate={"propose_matter"},
    ),
    position_role(Kind.PROPERTY_MANAGEMENT, Title.STAFF): grant(
        community={"comment"},
        organization=_SPEAK,
    ),
    # 业委会: speaks for its estate's owners and convenes the owners' assembly.
    position_role(Kind.OWNERS_COMMITTEE, Title.DIRECTOR): grant(
        community={"propose_matter", "comment"},
        organization=_LEAD,
        estate={"propose_matter", "chair_meeting"},
    ),
    position_role(Kind.OWNERS_COMMITTEE, Title.DEPUTY_DIRECTOR): grant(
        community={"propose_matter", "comment"},
        organization=_LEAD,
        estate={"propose_matter", "chair_meeting"},
    ),
    position_role(Kind.OWNERS_COMMITTEE, Title.MEMBER): grant(
        community={"propose_matter", "comment"},
        organization=_SPEAK,
        estate={"propose_matter"},
    ),
    # 社会组织: submits proposals and states positions.
    position_role(Kind.SOCIAL_ORGANIZATION, Title.DIRECTOR): grant(
        community={"propose_matter", "comment"},
        organization=_LEAD,
    ),
    position_role(Kind.SOCIAL_ORGANIZATION, Title.MEMBER): grant(
        community={"propose_matter", "comment"},
        organization=_SPEAK,
    ),
    # 街道 and 区: receive escalated matters and answer them by their deadline.
    position_role(Kind.STREET_OFFICE, Title.DIRECTOR): grant(
        community={"comment", "escalate", "host_reception"},
        organization=_LEAD | {"answer_escalation"},
    ),
    position_role(Kind.STREET_OFFICE, Title.OFFICER): grant(
        community={"comment", "escalate", "host_reception"},
        organization=_SPEAK | {"answer_escalation"},
    ),
    position_role(Kind.DISTRICT_OFFICE, Title.DIRECTOR): grant(
        community={"comment", "host_reception"},
        organization=_LEAD | {"answer_escalation"},
    ),
    position_role(Kind.DISTRICT_OFFICE, Title.OFFICER): grant(
        community={"comment", "host_reception"},
        organization=_SPEAK | {"answer_escalation"},
    ),
}


def titles_for(kind: str) -> list[str]:
    """The titles an organisation of this kind can have, in the policy's order."""
    prefix = f"{kind}."
    return [role[len(prefix) :] for role in ROLE_POLICY if role.startswith(prefix)]


def is_valid_title(kind: str, title: str) -> bool:
    return position_role(kind, title) in ROLE_POLICY


def managed_codenames() -> dict[str, frozenset[str]]:
    """Every codename the policy hands out, per object kind: the set that sync keeps in step."""
    result = {"community": set(), "organization": set(), "estate": set()}
    for role_grant in ROLE_POLICY.values():
        result["community"] |= role_grant.community
        result["organization"] |= role_grant.organization
        result["estate"] |= role_grant.estate
    return {key: frozenset(value) for key, value in result.items()}


ROLE_LABELS = {
    RESIDENT: _("resident awaiting verification"),
    VERIFIED_RESIDENT: _("verified resident"),
    OWNER: _("owner"),
}

PERMISSION_LABELS = {
    "propose_matter": _("propose matters"),
    "comment": _("comment"),
    "vote": _("vote"),
    "chair_meeting": _("chair meetings"),
    "publish_resolution": _("publish resolutions"),
    "moderate": _("moderate discussion"),
    "verify_resident": _("verify residents"),
    "view_residents": _("see residents' names"),
    "manage_register": _("keep the unit register"),
    "escalate": _("escalate matters"),
    "answer_escalation": _("answer escalations"),
    "host_reception": _("hold reception sessions"),
    "manage_organization": _("manage the organisation"),
    "speak_for_organization": _("speak for the organisation"),
}


# The verified role badge shown beside a person's name wherever they speak (communities.badges):
# one short title per role of the policy, as people in the community say it.
BADGE_LABELS = {
    position_role(Kind.PARTY_COMMITTEE, Title.SECRETARY): pgettext_lazy(
        "role badge", "Party secretary"
    ),
    position_role(Kind.PARTY_COMMITTEE, Title.DEPUTY_SECRETARY): pgettext_lazy(
        "role badge", "Deputy party secretary"
    ),
    position_role(Kind.PARTY_COMMITTEE, Title.MEMBER): pgettext_lazy(
        "role badge", "Party committee member"
    ),
    position_role(Kind.RESIDENTS_COMMITTEE, Title.DIRECTOR): pgettext_lazy(
        "role badge", "Residents' committee director"
    ),
    position_role(Kind.RESIDENTS_COMMITTEE, Title.DEPUTY_DIRECTOR): pgettext_lazy(
        "role badge", "Residents' committee deputy director"
    ),
    position_role(Kind.RESIDENTS_COMMITTEE, Title.MEMBER): pgettext_lazy(
        "role badge", "Residents' committee member"
    ),
    position_role(Kind.WORKSTATION, Title.DIRECTOR): pgettext_lazy(
        "role badge", "Workstation director"
    ),
    position_role(Kind.WORKSTATION, Title.STAFF): pgettext_lazy("role badge", "Workstation staff"),
    position_role(Kind.COUNCIL, Title.DIRECTOR): pgettext_lazy("role badge", "Council convener"),
    position_role(Kind.COUNCIL, Title.MEMBER): pgettext_lazy("role badge", "Council member"),
    position_role(Kind.PROPERTY_MANAGEMENT, Title.MANAGER): pgettext_lazy(
        "role badge", "Property manager"
    ),
    position_role(Kind.PROPERTY_MANAGEMENT, Title.STAFF): pgettext_lazy(
        "role badge", "Property staff"
    ),
    position_role(Kind.OWNERS_COMMITTEE, Title.DIRECTOR): pgettext_lazy(
        "role badge", "Owners' committee director"
    ),
    position_role(Kind.OWNERS_COMMITTEE, Title.DEPUTY_DIRECTOR): pgettext_lazy(
        "role badge", "Owners' committee deputy director"
    ),
    position_role(Kind.OWNERS_COMMITTEE, Title.MEMBER): pgettext_lazy(
        "role badge", "Owners' committee member"
    ),
    position_role(Kind.SOCIAL_ORGANIZATION, Title.DIRECTOR): pgettext_lazy(
        "role badge", "Social organisation head"
    ),
    position_role(Kind.SOCIAL_ORGANIZATION, Title.MEMBER): pgettext_lazy(
        "role badge", "Social organisation member"
    ),
    position_role(Kind.STREET_OFFICE, Title.DIRECTOR): pgettext_lazy(
        "role badge", "Street office director"
    ),
    position_role(Kind.STREET_OFFICE, Title.OFFICER): pgettext_lazy(
        "role badge", "Street office officer"
    ),
    position_role(Kind.DISTRICT_OFFICE, Title.DIRECTOR): pgettext_lazy(
        "role badge", "District office director"
    ),
    position_role(Kind.DISTRICT_OFFICE, Title.OFFICER): pgettext_lazy(
        "role badge", "District office officer"
    ),
}


def badge_label(role: str):
    """The badge of a position role, e.g. 党委书记 for 'party_committee.secretary'."""
    return BADGE_LABELS[role]
