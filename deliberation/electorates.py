"""Who may vote in a poll, and how big its base is, read from the register.

Each electorate turns people into voting *slots* (what a ballot is unique on) and *heads* (what
headcount counts): a verified resident is one slot and one head; a household one slot; an owner's
units are one slot each but one head together (SPC interpretation Arts. 8–9).
"""

import re
from decimal import Decimal

from communities.models import Membership, Organization, Ownership, Position, Unit
from deliberation import rules
from deliberation.models import Electorate

Kind = Organization.Kind
ABOVE_COMMUNITY = (Kind.STREET_OFFICE, Kind.DISTRICT_OFFICE)


def household_key(address: str) -> str:
    """One household per address, compared without spaces or case."""
    return re.sub(r"\s+", "", address).casefold()


def base(poll) -> rules.Electorate:
    """The poll's electorate as the register stands now (frozen into the poll when it opens)."""
    if poll.electorate == Electorate.RESIDENTS:
        return rules.Electorate(
            Membership.objects.verified().filter(community=poll.community_id).count()
        )
    if poll.electorate == Electorate.HOUSEHOLDS:
        addresses = Membership.objects.verified().filter(community=poll.community_id)
        keys = {
            household_key(m.address) or f"user:{m.user_id}"
            for m in addresses.only("address", "user_id")
        }
        return rules.Electorate(len(keys))
    if poll.electorate == Electorate.BODY:
        users = Position.objects.current().filter(organization=poll.body_id)
        return rules.Electorate(users.values("user_id").distinct().count())
    if poll.electorate == Electorate.ORGANIZATIONS:
        orgs = Organization.objects.filter(community=poll.community_id).exclude(
            kind__in=ABOVE_COMMUNITY
        )
        return rules.Electorate(orgs.count())
    if poll.electorate == Electorate.OWNERS:
        return rules.owners_electorate(owner_units(poll.estate_id))
    raise ValueError(poll.electorate)


def owner_units(estate_id) -> list[rules.OwnerUnit]:
    """Every unit of the estate with the head that votes for it (None: the developer's)."""
    voters = dict(
        Ownership.objects.current()
        .filter(unit__estate=estate_id, is_voter=True)
        .values_list("unit_id", "owner_id")
    )
    result = []
    units = Unit.objects.filter(estate=estate_id).values_list("pk", "area", "developer_held")
    for unit_id, area, developer_held in units:
        if unit_id in voters:
            holder = f"user:{voters[unit_id]}"
        elif developer_held:
            holder = None  # unsold: all such units together are one head (SPC Art. 9)
        else:
            # Sold, but no voter on the register yet: its owner is still a head of their own.
            holder = f"unit:{unit_id}"
        result.append(rules.OwnerUnit(area=Decimal(area), holder=holder))
    return result


def slots(user, poll, organization=None) -> list[tuple[str, str, Decimal]]:
    """The (slot, head, weight) triples `user` may fill in this poll; empty if not eligible.

    Only rights held when the poll opened count, so that the ballots always fit the base that
    was frozen then: someone verified or appointed later votes in the next poll.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    as_of = poll.opened_at
    verified = Membership.objects.verified().filter(community=poll.community_id, user=user)
    if as_of is not None:
        verified = verified.filter(decided_at__lte=as_of)
    if poll.electorate == Electorate.RESIDENTS:
        return [(f"user:{user.pk}",) * 2 + (Decimal(0),)] if verified.exists() else []
    if poll.electorate == Electorate.HOUSEHOLDS:
        membership = verified.first()
        if membership is None:
            return []
        key = household_key(membership.address)
        slot = f"household:{key}" if key else f"user:{user.pk}"
        return [(slot, slot, Decimal(0))]
    if poll.electorate == Electorate.BODY:
        positions = Position.objects.current().filter(organization=poll.body_id, user=user)
        if as_of is not None:
            positions = positions.filter(started_at__lte=as_of)
        holds = positions.exists()
        return [(f"user:{user.pk}",) * 2 + (Decimal(0),)] if holds else []
    if poll.electorate == Electorate.ORGANIZATIONS:
        if organization is None or organization.community_id != poll.community_id:
            return []
        if organization.kind in ABOVE_COMMUNITY:
            return []
        if as_of is not None and organization.created_at > as_of:
            return []
        if not user.has_perm("communities.speak_for_organization", organization):
            return []
        return [(f"org:{organization.pk}",) * 2 + (Decimal(0),)]
    if poll.electorate == Electorate.OWNERS:
        ownerships = Ownership.objects.current().filter(
            unit__estate=poll.estate_id, owner=user, is_voter=True
        )
        if as_of is not None:
            ownerships = ownerships.filter(started_at__lte=as_of)
        units = ownerships.values_list("unit_id", "unit__area").order_by("unit_id")
        return [(f"unit:{unit_id}", f"user:{user.pk}", Decimal(area)) for unit_id, area in units]
    raise ValueError(poll.electorate)
