"""A typed address matched to a unit of the register: pure functions, no ORM.

Residents type where they live when they ask to join ("1栋101", "1栋101室", "莲花一村1栋0301室",
"A座 1201", "1-101"); the household a vote counts is the registered unit this matches, never the
typed text, so "1栋101" and "1栋101室" are one household. The text is read as NFKC, without
spaces and case, as [estate or street] building [栋/幢/座/号楼/楼/#/-] number [室/号/房/户]; a
building and a number compare without leading zeros (0301 is 301). Anything else (a 单元 in the
address, Chinese numerals, a floor) matches nothing, and staff pick the unit by hand: a wrong
household would cost someone a vote or give one twice, no household only waits for staff.
"""

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

_ADDRESS = re.compile(
    r"^(?P<prefix>.*?)(?P<building>[0-9a-z]+)(?:栋|幢|座|号楼|楼|#|-|—|－)"
    r"(?P<number>[0-9]+)(?:室|号|房|户)?$"
)


class RegisteredUnit(NamedTuple):
    """What matching needs of a unit: its key, its estate's name, its building and number, and
    the estate's street address."""

    pk: int
    estate: str
    building: str
    number: str
    estate_address: str = ""


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


def _part(value: str) -> str:
    value = _plain(value)
    return value.lstrip("0") or "0" if value.isdigit() else value


def unit_key(building: str, number: str) -> tuple[str, str]:
    """A unit's building and number as matching compares them."""
    return _part(building), _part(number)


def parse(text: str) -> tuple[str, tuple[str, str]] | None:
    """(what comes before the building, unit key) of a typed address, or None."""
    match = _ADDRESS.match(_plain(text))
    if match is None:
        return None
    return match["prefix"], unit_key(match["building"], match["number"])


def _names(prefix: str, unit: RegisteredUnit) -> bool:
    """Whether the text before the building names the unit's estate (or its street address)."""
    return any(
        part and part in prefix for part in (_plain(unit.estate), _plain(unit.estate_address))
    )


def match(text: str, units: Iterable[RegisteredUnit]) -> int | None:
    """The pk of the one unit the typed address names, or None (no unit, or more than one).

    Before the building may come an estate's name or street address, which picks that estate;
    nothing, which leaves every estate with such a unit; or anything else (the community's name,
    a place not in the register), which is read as no estate in particular only where the
    register has a single estate, and otherwise matches nothing."""
    parsed = parse(text)
    if parsed is None:
        return None
    prefix, key = parsed
    units = list(units)
    found = [u for u in units if unit_key(u.building, u.number) == key]
    named = [u for u in found if _names(prefix, u)]
    if named:
        found = named
    elif prefix and len({u.estate for u in units}) > 1:
        return None  # names a place, but none of the estates that have this unit
    return found[0].pk if len(found) == 1 else None


def label(estate: str, building: str, number: str) -> str:
    """A unit as the queue shows it, e.g. 莲花一村·1-0301, in no language but the estate's
    name; `match` reads it back (the dot keeps an estate name ending in a digit apart)."""
    return f"{estate}·{building}-{number}"
