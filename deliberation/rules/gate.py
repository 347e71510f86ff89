"""The legal gate of a vote, and how far its turnout is from it: pure, exact, no Django.

An owners' vote is void unless owners holding ≥ 2/3 of the heads *and* ≥ 2/3 of the area take
part (Civil Code Art. 278); a residents' meeting decides nothing unless more than half of its base
attends (居委会组织法 Art. 10). `gate` reads a result snapshot of `counting.evaluate` (its rule,
params, participation and electorate) and says, per measure, whether the gate is met and the
*shortfall*: the smallest whole number of heads, or of hundredths of a square metre, that would
meet it as `counting` judges it (the same `Threshold.met`), so that adding the shortfall meets
the gate and one head or 0.01 m² less does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from deliberation.rules.counting import (
    OWNERS_RULES,
    Rule,
    Threshold,
    _area,
    _effective_params,
    _fmt,
)

PARTICIPATION = "participation"  # owners: heads and area, each ≥ 2/3
QUORUM = "quorum"  # residents' meeting: heads > 1/2 of the base
GATE_RULES = (*OWNERS_RULES, Rule.RESIDENTS_MEETING)
HEADS, AREA = "heads", "area"
_CENTS = 100


def shortfall(threshold: Threshold, part: int, whole: int) -> int | None:
    """The least k >= 0 with threshold.met(part + k, whole), over whole numbers; None when no k
    with part + k <= whole reaches it (an empty base, or a share beyond the whole)."""
    for name, value in (("part", part), ("whole", whole)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int: {value!r}")
    if part > whole:
        raise ValueError(f"part {part} exceeds whole {whole}")
    if whole == 0:
        return None
    # threshold.met(n, whole) is n * den >= num * whole (inclusive) or > (strict).
    need = Fraction(threshold.fraction.numerator * whole, threshold.fraction.denominator)
    least = -(-need.numerator // need.denominator)  # ceil
    if not threshold.inclusive and least == need:
        least += 1
    if least > whole:
        return None
    return max(0, least - part)


@dataclass(frozen=True)
class Measure:
    """One bar of the gate: turnout `value` of `total`, the share to reach, and the shortfall
    (None: it cannot be reached)."""

    key: str
    value: int | Decimal
    total: int | Decimal
    threshold: Threshold
    met: bool
    short: int | Decimal | None

    def to_json(self) -> dict:
        """JSON-ready: areas as strings with two decimals."""
        short = self.short if self.short is None or self.key == HEADS else _fmt(self.short)
        return {
            "key": self.key,
            "value": self.value if self.key == HEADS else _fmt(self.value),
            "total": self.total if self.key == HEADS else _fmt(self.total),
            "threshold": self.threshold.to_json(),
            "line": [self.threshold.fraction.numerator, self.threshold.fraction.denominator],
            "met": self.met,
            "short": short,
        }


@dataclass(frozen=True)
class Gate:
    """A vote's legal gate: participation (owners) or quorum (residents' meeting)."""

    kind: str
    measures: tuple[Measure, ...]

    @property
    def met(self) -> bool:
        return all(m.met for m in self.measures)

    def measure(self, key: str) -> Measure | None:
        return next((m for m in self.measures if m.key == key), None)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "met": self.met,
            "measures": [m.to_json() for m in self.measures],
        }


def _heads_measure(threshold: Threshold, part: int, whole: int) -> Measure:
    return Measure(
        HEADS, part, whole, threshold, threshold.met(part, whole), shortfall(threshold, part, whole)
    )


def _area_measure(threshold: Threshold, part: Decimal, whole: Decimal) -> Measure:
    part, whole = _area(part, "participating area"), _area(whole, "electorate area")
    if part > whole:
        raise ValueError(f"participating area {part} exceeds the electorate's {whole}")
    cents = shortfall(threshold, int(part * _CENTS), int(whole * _CENTS))
    short = None if cents is None else Decimal(cents).scaleb(-2)
    return Measure(AREA, part, whole, threshold, threshold.met(part, whole), short)


def gate(
    rule: str,
    participation_heads: int,
    electorate_heads: int,
    participation_area: Decimal = Decimal(0),
    electorate_area: Decimal = Decimal(0),
    params: Mapping[str, str] | None = None,
) -> Gate | None:
    """The gate of a vote under `rule`, with this turnout; None for a rule with no legal gate."""
    if rule not in GATE_RULES:
        return None
    effective = _effective_params(rule, params)
    if participation_heads > electorate_heads:
        raise ValueError("more heads took part than the electorate holds")
    if rule in OWNERS_RULES:
        threshold = effective["participation"]
        return Gate(
            PARTICIPATION,
            (
                _heads_measure(threshold, participation_heads, electorate_heads),
                _area_measure(threshold, participation_area, electorate_area),
            ),
        )
    return Gate(
        QUORUM, (_heads_measure(effective["quorum"], participation_heads, electorate_heads),)
    )


def gate_of(result: Mapping) -> Gate | None:
    """The gate of a result snapshot (`counting.evaluate`'s dict, live or frozen)."""
    if not isinstance(result, Mapping) or result.get("rule") not in GATE_RULES:
        return None
    params = result.get("params") or {}
    if result["rule"] in OWNERS_RULES:
        params = {}  # fixed by law; the snapshot's copy is the default
    else:
        params = {k: v for k, v in params.items() if k in ("quorum", "pass")}
    # A residents' meeting counted in a hall: those attending at the close (checked in or
    # online), frozen into the result, are its turnout (domain-rules §2).
    present = result.get("attendance")
    return gate(
        result["rule"],
        int(present if present is not None else result["participation"]["heads"]),
        int(result["electorate"]["heads"]),
        Decimal(result["participation"].get("area", "0")),
        Decimal(result["electorate"].get("area", "0")),
        params or None,
    )
