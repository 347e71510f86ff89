"""Who may vote in a poll, and how big its base is, read from the register.

Each electorate turns people into voting *slots* (what a ballot is unique on) and *heads* (what
headcount counts): a verified resident is one slot and one head; a household one slot; an owner's
units are one slot each but one head together (SPC interpretation Arts. 8–9).

A household (户) is a registered unit: the one staff linked the resident to when they verified
them (`Membership.unit`), never the address they typed. Residents of one unit share its vote;
a resident not linked to a unit has none in a households poll until staff link one.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q

from communities.models import Membership, Organization, Ownership, PartyMember, Position, Unit
from deliberation import rules
from deliberation.models import Ballot, Electorate, VoterReceipt

Kind = Organization.Kind
ABOVE_COMMUNITY = (Kind.STREET_OFFICE, Kind.DISTRICT_OFFICE)


def households(community_id, as_of=None):
    """Verified memberships linked to a unit, as a queryset (the unit confirmed by `as_of`)."""
    linked = Membership.objects.verified().filter(
        community=community_id, unit__isnull=False, unit_since__isnull=False
    )
    if as_of is not None:
        linked = linked.filter(decided_at__lte=as_of, unit_since__lte=as_of)
    return linked


def base(poll) -> rules.Electorate:
    """The poll's electorate as the register stands now (frozen into the poll when it opens)."""
    if poll.electorate == Electorate.RESIDENTS:
        return rules.Electorate(
            Membership.objects.verified().filter(community=poll.community_id).count()
        )
    if poll.electorate == Electorate.HOUSEHOLDS:
        units = households(poll.community_id).values("unit_id").distinct()
        return rules.Electorate(units.count())
    if poll.electorate == Electorate.BODY:
        users = Position.objects.current().filter(organization=poll.body_id)
        return rules.Electorate(users.values("user_id").distinct().count())
    if poll.electorate == Electorate.PARTY:
        roll = PartyMember.objects.current().filter(organization=poll.body_id)
        return rules.Electorate(roll.values("user_id").distinct().count())
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
    return slots_many(poll, [(user, organization)])[0]


CHUNK = 500  # ids per IN (...) list: far below every backend's limit on query parameters


def chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def slots_many(poll, voters) -> list[list[tuple[str, str, Decimal]]]:
    """`slots` for many (user, organization) pairs at once, in a few queries whatever their
    number: a live vote of thousands is checked in one go (deliberation.services.cast_ballots).
    """
    as_of = poll.opened_at
    active = [
        (user, org) if user is not None and user.is_authenticated and user.is_active else None
        for user, org in voters
    ]
    ids = sorted({pair[0].pk for pair in active if pair is not None})
    if poll.electorate == Electorate.RESIDENTS:
        residents: set[int] = set()
        for chunk in chunks(ids):
            verified = Membership.objects.verified().filter(
                community=poll.community_id, user_id__in=chunk
            )
            if as_of is not None:
                verified = verified.filter(decided_at__lte=as_of)
            residents.update(verified.values_list("user_id", flat=True))

        def one(user, _org):
            return [(f"user:{user.pk}",) * 2 + (Decimal(0),)] if user.pk in residents else []

    elif poll.electorate == Electorate.HOUSEHOLDS:
        homes: dict[int, int] = {}
        for chunk in chunks(ids):
            # One membership per person and community (a unique constraint).
            linked = households(poll.community_id, as_of).filter(user_id__in=chunk)
            homes.update(linked.values_list("user_id", "unit_id"))

        def one(user, _org):
            if user.pk not in homes:
                return []
            slot = f"household:{homes[user.pk]}"  # the registered unit, whoever casts it
            return [(slot, slot, Decimal(0))]

    elif poll.electorate == Electorate.BODY:
        holders: set[int] = set()
        for chunk in chunks(ids):
            positions = Position.objects.current().filter(
                organization=poll.body_id, user_id__in=chunk
            )
            if as_of is not None:
                positions = positions.filter(started_at__lte=as_of)
            holders.update(positions.values_list("user_id", flat=True))

        def one(user, _org):
            return [(f"user:{user.pk}",) * 2 + (Decimal(0),)] if user.pk in holders else []

    elif poll.electorate == Electorate.PARTY:
        members: set[int] = set()
        for chunk in chunks(ids):
            roll = PartyMember.objects.filter(organization=poll.body_id, user_id__in=chunk)
            if as_of is None:
                roll = roll.current()
            else:  # on the roll when the poll opened: leaving it later takes no vote away
                roll = roll.filter(started_at__lte=as_of).filter(
                    Q(ended_at__isnull=True) | Q(ended_at__gt=as_of)
                )
            members.update(roll.values_list("user_id", flat=True))

        def one(user, _org):
            return [(f"user:{user.pk}",) * 2 + (Decimal(0),)] if user.pk in members else []

    elif poll.electorate == Electorate.ORGANIZATIONS:

        def one(user, organization):
            if organization is None or organization.community_id != poll.community_id:
                return []
            if organization.kind in ABOVE_COMMUNITY:
                return []
            if as_of is not None and organization.created_at > as_of:
                return []
            if not user.has_perm("communities.speak_for_organization", organization):
                return []
            return [(f"org:{organization.pk}",) * 2 + (Decimal(0),)]

    elif poll.electorate == Electorate.OWNERS:
        units: dict[int, list[tuple[int, Decimal]]] = {}
        for chunk in chunks(ids):
            ownerships = Ownership.objects.current().filter(
                unit__estate=poll.estate_id, owner_id__in=chunk, is_voter=True
            )
            if as_of is not None:
                ownerships = ownerships.filter(started_at__lte=as_of)
            rows = ownerships.values_list("owner_id", "unit_id", "unit__area").order_by("unit_id")
            for owner_id, unit_id, area in rows:
                units.setdefault(owner_id, []).append((unit_id, area))

        def one(user, _org):
            return [
                (f"unit:{unit_id}", f"user:{user.pk}", Decimal(area))
                for unit_id, area in units.get(user.pk, [])
            ]

    else:
        raise ValueError(poll.electorate)
    return [[] if pair is None else one(*pair) for pair in active]


def member_ids(poll) -> set[int]:
    """The people who may vote in this poll (those its notices go to): for an organisations
    poll, the people who may vote for one of them. Rights as of the poll's opening."""
    as_of = poll.opened_at
    if poll.electorate == Electorate.RESIDENTS:
        verified = Membership.objects.verified().filter(community=poll.community_id)
        if as_of is not None:
            verified = verified.filter(decided_at__lte=as_of)
        return set(verified.values_list("user_id", flat=True))
    if poll.electorate == Electorate.HOUSEHOLDS:
        return set(households(poll.community_id, as_of).values_list("user_id", flat=True))
    if poll.electorate == Electorate.BODY:
        positions = Position.objects.current().filter(organization=poll.body_id)
        if as_of is not None:
            positions = positions.filter(started_at__lte=as_of)
        return set(positions.values_list("user_id", flat=True))
    if poll.electorate == Electorate.PARTY:
        roll = PartyMember.objects.current().filter(organization=poll.body_id)
        if as_of is not None:
            roll = roll.filter(started_at__lte=as_of)
        return set(roll.values_list("user_id", flat=True))
    if poll.electorate == Electorate.ORGANIZATIONS:
        return {user.pk for user, _org in organization_voters(poll)}
    if poll.electorate == Electorate.OWNERS:
        owners = Ownership.objects.current().filter(unit__estate=poll.estate_id, is_voter=True)
        if as_of is not None:
            owners = owners.filter(started_at__lte=as_of)
        return set(owners.values_list("owner_id", flat=True))
    raise ValueError(poll.electorate)


def organization_voters(poll) -> list[tuple]:
    """(user, organisation) pairs of those who may cast an organisations poll's votes."""
    orgs = Organization.objects.filter(community=poll.community_id).exclude(
        kind__in=ABOVE_COMMUNITY
    )
    orgs = {org.pk: org for org in orgs}
    positions = Position.objects.current().filter(organization_id__in=orgs)
    pairs = list(positions.values_list("user_id", "organization_id"))
    users = get_user_model().objects.in_bulk({uid for uid, _org in pairs})
    voters = []
    for uid, org_id in pairs:
        user, org = users[uid], orgs[org_id]
        if slots_many(poll, [(user, org)])[0]:
            voters.append((user, org))
    return voters


def non_voter_ids(poll) -> set[int]:
    """Members of the electorate none of whose slots has a ballot (named) or receipt (secret):
    who has not voted, by the one register (any channel's ballot is a row there)."""
    model = VoterReceipt if poll.secret else Ballot
    filled = set(model.objects.filter(poll=poll).values_list("slot", flat=True))
    if poll.electorate == Electorate.ORGANIZATIONS:
        # Those who may vote for an organisation that has not voted yet.
        return {u.pk for u, org in organization_voters(poll) if f"org:{org.pk}" not in filled}
    ids = sorted(member_ids(poll))
    waiting = set()
    for chunk in chunks(ids):
        users = list(get_user_model().objects.filter(pk__in=chunk))
        for user, user_slots in zip(
            users, slots_many(poll, [(u, None) for u in users]), strict=True
        ):
            if user_slots and not any(slot in filled for slot, _head, _w in user_slots):
                waiting.add(user.pk)
    return waiting
