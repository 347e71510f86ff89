"""Who has not voted yet in a poll, by building: the list the convening body and the building
heads (楼长) take from door to door (扫楼). Reads only; who may see it is
`access.shortfall_scope`.

A slot has voted when it has a `Ballot` (named) or a `VoterReceipt` (secret) row: only the slot
column is read, never a choice. Owners' polls list the estate's units without one; residents'
polls list the voters (or the households) of the electorate without one.
"""

from dataclasses import dataclass, field

from communities.models import Membership, Ownership, Unit
from deliberation import electorates
from deliberation.access import ALL_BUILDINGS
from deliberation.models import Ballot, Electorate, VoterReceipt

NO_BUILDING = ("", "")  # a resident linked to no registered unit yet


@dataclass
class Row:
    """One door to knock on: the unit (or none) and the names behind it."""

    unit: str
    names: list[str] = field(default_factory=list)
    developer: bool = False


@dataclass
class Building:
    estate: str
    building: str
    rows: list[Row] = field(default_factory=list)


def voted_slots(poll) -> set[str]:
    """The slots of this poll that hold a ballot or a receipt (the slot column only)."""
    ballots = Ballot.objects.filter(poll=poll).values_list("slot", flat=True)
    receipts = VoterReceipt.objects.filter(poll=poll).values_list("slot", flat=True)
    return set(ballots) | set(receipts)


def _in_scope(scope, estate_id, building) -> bool:
    return scope == ALL_BUILDINGS or (estate_id, building) in scope


def _group(entries) -> list[Building]:
    """(estate name, building, Row) triples as buildings in order, the unlinked last."""
    buildings: dict[tuple[str, str], Building] = {}
    for estate, building, row in entries:
        buildings.setdefault((estate, building), Building(estate, building)).rows.append(row)
    return sorted(buildings.values(), key=lambda b: (b.building == "", b.estate, b.building))


def _units(queryset):
    return queryset.select_related("estate").order_by("estate__name", "building", "number")


def owners(poll, scope, voted) -> list[Building]:
    units = _units(Unit.objects.filter(estate=poll.estate_id))
    names: dict[int, list[str]] = {}
    holders = Ownership.objects.current().filter(unit__estate=poll.estate_id, is_voter=True)
    for ownership in holders.select_related("owner"):
        names.setdefault(ownership.unit_id, []).append(str(ownership.owner))
    entries = []
    for unit in units:
        if f"unit:{unit.pk}" in voted or not _in_scope(scope, unit.estate_id, unit.building):
            continue
        held = names.get(unit.pk, [])
        row = Row(unit.number, held, developer=unit.developer_held and not held)
        entries.append((unit.estate.name, unit.building, row))
    return _group(entries)


def _members(poll):
    members = Membership.objects.verified().filter(community=poll.community_id)
    if poll.opened_at is not None:  # the base frozen when the poll opened
        members = members.filter(decided_at__lte=poll.opened_at)
    return members.select_related("user", "unit__estate")


def residents(poll, scope, voted) -> list[Building]:
    entries = []
    for member in _members(poll).order_by("user_id"):
        if f"user:{member.user_id}" in voted:
            continue
        unit = member.unit
        if unit is None:
            if scope == ALL_BUILDINGS:
                entries.append((*NO_BUILDING, Row("", [str(member.user)])))
        elif _in_scope(scope, unit.estate_id, unit.building):
            entries.append((unit.estate.name, unit.building, Row(unit.number, [str(member.user)])))
    return _group(entries)


def households(poll, scope, voted) -> list[Building]:
    linked = electorates.households(poll.community_id, poll.opened_at)
    names: dict[int, list[str]] = {}
    for member in linked.select_related("user").order_by("user_id"):
        names.setdefault(member.unit_id, []).append(str(member.user))
    units = _units(Unit.objects.filter(pk__in=list(names)))
    return _group(
        (unit.estate.name, unit.building, Row(unit.number, names[unit.pk]))
        for unit in units
        if f"household:{unit.pk}" not in voted and _in_scope(scope, unit.estate_id, unit.building)
    )


LISTS = {
    Electorate.OWNERS: owners,
    Electorate.RESIDENTS: residents,
    Electorate.HOUSEHOLDS: households,
}


def buildings(poll, scope) -> list[Building]:
    """The poll's doors not yet voted, by building, within `scope` (`access.shortfall_scope`)."""
    if scope is None:
        return []
    return LISTS[poll.electorate](poll, scope, voted_slots(poll))
