"""Counting votes: codes, exact shares, thresholds, ballots and electorates, and `evaluate`.

Nothing here touches the database or Django. Callers load ballots and members, turn them into
the plain values below (``Vote``, ``Electorate``, ``OwnerUnit``) and store the dict that
``evaluate`` returns as the frozen result of a poll. The same ballots always give the same dict,
in whatever order they arrive, so a stored result can be checked at any time by counting again.

Arithmetic is exact. Shares are compared by cross-multiplication over ``Fraction``, never with
floats. "以上" (at or above) includes the boundary; "过半数" (more than half) is strict
(domain-rules, preamble). Areas are ``Decimal`` square metres with at most two decimal places.

Every invalid input raises ``ValueError``, so callers can refuse bad data with one ``except``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation, Rounded, localcontext
from fractions import Fraction

# --- Codes -------------------------------------------------------------------------------------

YES, NO, ABSTAIN = "yes", "no", "abstain"
YES_NO_ABSTAIN_CHOICES = (YES, NO, ABSTAIN)

#: Head identity of the developer: all its unsold or undelivered units together are one head.
DEVELOPER = "developer"

#: Bumped when the shape of the dict that ``evaluate`` returns changes.
SNAPSHOT_SCHEMA = 1


class PollKind:
    """How a ballot may choose: yes/no/abstain, one option, or any subset of options."""

    YES_NO_ABSTAIN = "yes_no_abstain"
    SINGLE = "single"
    MULTIPLE = "multiple"


POLL_KINDS = (PollKind.YES_NO_ABSTAIN, PollKind.SINGLE, PollKind.MULTIPLE)


class Rule:
    """Which counting rule decides a poll; see RULE_SOURCES for where each comes from."""

    SIMPLE_MAJORITY = "simple_majority"
    ABSOLUTE_MAJORITY = "absolute_majority"
    TWO_THIRDS = "two_thirds"
    RESIDENTS_MEETING = "residents_meeting"
    OWNERS_ORDINARY = "owners_ordinary"
    OWNERS_SPECIAL = "owners_special"
    COUNCIL = "council"


RULES: tuple[str, ...] = (
    Rule.SIMPLE_MAJORITY,
    Rule.ABSOLUTE_MAJORITY,
    Rule.TWO_THIRDS,
    Rule.RESIDENTS_MEETING,
    Rule.OWNERS_ORDINARY,
    Rule.OWNERS_SPECIAL,
    Rule.COUNCIL,
)
OWNERS_RULES = (Rule.OWNERS_ORDINARY, Rule.OWNERS_SPECIAL)
# The rules under which too few participants make a vote void (domain-rules §§1–2): only such a
# vote may be extended, where its notice allowed it.
EXTENDABLE_RULES = (Rule.RESIDENTS_MEETING, *OWNERS_RULES)

YES_OVER_NO = "yes_over_no"
MAJORITY_OF_MEMBERS = "majority_of_members"
COUNCIL_MODES = (YES_OVER_NO, MAJORITY_OF_MEMBERS)

PROJECT_TYPES = ("service", "goods", "works")

# Failure codes, in the order they are reported.
REASONS = (
    "participation_area",
    "participation_heads",
    "quorum",
    "pass_area",
    "pass_heads",
    "pass",
    "several_carried",
)

_TEMPLATE_LAW = "南塘议事规则 / 社区议事会模板"

RULE_SOURCES: dict[str, dict] = {
    Rule.SIMPLE_MAJORITY: {
        "title": "Simple majority (yes > no, abstentions not counted)",
        "jurisdiction": "template",
        "law": _TEMPLATE_LAW,
        "effective": None,
    },
    Rule.ABSOLUTE_MAJORITY: {
        "title": "Absolute majority (more than half of all members)",
        "jurisdiction": "template",
        "law": _TEMPLATE_LAW,
        "effective": None,
    },
    Rule.TWO_THIRDS: {
        "title": "Two-thirds of those voting",
        "jurisdiction": "template",
        "law": _TEMPLATE_LAW,
        "effective": None,
    },
    Rule.RESIDENTS_MEETING: {
        "title": "Residents' meeting",
        "jurisdiction": "CN",
        "law": "《城市居民委员会组织法》(2018) 第九、十条",
        "effective": "2018-12-29",
    },
    Rule.OWNERS_ORDINARY: {
        "title": "Owners' joint decision, ordinary matter",
        "jurisdiction": "CN",
        "law": "《民法典》第二百七十八条",
        "effective": "2021-01-01",
    },
    Rule.OWNERS_SPECIAL: {
        "title": "Owners' joint decision, special matter",
        "jurisdiction": "CN",
        "law": "《民法典》第二百七十八条",
        "effective": "2021-01-01",
    },
    Rule.COUNCIL: {
        "title": "Community deliberation council",
        "jurisdiction": "template",
        "law": _TEMPLATE_LAW,
        "effective": None,
    },
}


# --- Exact numbers -----------------------------------------------------------------------------

_CENT = Decimal("0.01")
# Sums of areas must never round: a wide context that traps any inexact result.
_EXACT = Context(prec=200, traps=[Inexact, Rounded, InvalidOperation])


def _area(value: object, what: str = "area") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{what} must be a Decimal, not {type(value).__name__}")
    area = Decimal(value)
    if not area.is_finite() or area < 0:
        raise ValueError(f"{what} must be a finite, non-negative Decimal: {value!r}")
    if (Fraction(area) * 100).denominator != 1:
        raise ValueError(f"{what} has more than two decimal places: {value!r}")
    return Decimal(0) if area == 0 else area  # no "-0"


def _sum(areas: Iterable[Decimal]) -> Decimal:
    with localcontext(_EXACT):
        return sum(areas, Decimal(0))


def _fmt(area: Decimal) -> str:
    with localcontext(_EXACT):
        text = f"{area.quantize(_CENT):f}"
    return "0.00" if text == "-0.00" else text


def _exact(value: object, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | Fraction):
        raise ValueError(f"{what} must be an int or Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{what} must be finite: {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative: {value!r}")
    return Fraction(value)


# --- Thresholds --------------------------------------------------------------------------------

_THRESHOLD_RE = re.compile(r"(>=|>)([0-9]{1,9})/([0-9]{1,9})")


@dataclass(frozen=True)
class Threshold:
    """A share to reach: inclusive ("以上", part/whole >= fraction) or strict ("过半数", >)."""

    fraction: Fraction
    inclusive: bool

    def __post_init__(self) -> None:
        if not isinstance(self.fraction, Fraction) or not 0 <= self.fraction <= 1:
            raise ValueError(f"threshold fraction must be a Fraction in [0, 1]: {self.fraction!r}")
        if not isinstance(self.inclusive, bool):
            raise ValueError("threshold inclusive must be a bool")

    def met(self, part: int | Decimal, whole: int | Decimal) -> bool:
        """Whether part/whole reaches this share (cross-multiplied); a zero whole never does."""
        p, w = _exact(part, "part"), _exact(whole, "whole")
        if w == 0:
            return False
        lhs = p * self.fraction.denominator
        rhs = self.fraction.numerator * w
        return lhs >= rhs if self.inclusive else lhs > rhs

    def to_json(self) -> str:
        """The threshold as stored in settings and snapshots, e.g. ">=2/3" or ">1/2"."""
        op = ">=" if self.inclusive else ">"
        return f"{op}{self.fraction.numerator}/{self.fraction.denominator}"

    @classmethod
    def from_json(cls, text: str) -> Threshold:
        """Parse what ``to_json`` wrote; anything malformed raises ValueError."""
        if not isinstance(text, str):
            raise ValueError(f"threshold must be a string like '>=2/3', not {text!r}")
        match = _THRESHOLD_RE.fullmatch(text)
        if match is None:
            raise ValueError(f"malformed threshold {text!r}; expected e.g. '>=2/3' or '>1/2'")
        op, num, den = match.groups()
        if int(den) == 0:
            raise ValueError(f"threshold {text!r} has a zero denominator")
        return cls(Fraction(int(num), int(den)), op == ">=")

    def __str__(self) -> str:
        return self.to_json()


def _t(text: str) -> Threshold:
    return Threshold.from_json(text)


# --- Ballots and electorates -------------------------------------------------------------------


def _head(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"head must be a non-empty string: {value!r}")
    return value


def _choice_set(value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"choices must be a set of choice codes, not {value!r}")
    choices = frozenset(value)
    if not all(isinstance(c, str) and c for c in choices):
        raise ValueError(f"choice codes must be non-empty strings: {value!r}")
    return choices


@dataclass(frozen=True)
class Vote:
    """One counted ballot per head (units already grouped); empty choices is a blank ballot."""

    head: str
    choices: frozenset[str]
    area: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "head", _head(self.head))
        object.__setattr__(self, "choices", _choice_set(self.choices))
        object.__setattr__(self, "area", _area(self.area))


@dataclass(frozen=True)
class Electorate:
    """Who may vote: a headcount, and for owners the total exclusive area."""

    heads: int
    area: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if isinstance(self.heads, bool) or not isinstance(self.heads, int) or self.heads < 0:
            raise ValueError(f"electorate heads must be a non-negative int: {self.heads!r}")
        object.__setattr__(self, "area", _area(self.area, "electorate area"))


@dataclass(frozen=True)
class OwnerUnit:
    """One unit of an estate: its exclusive area and its designated voter (None: developer)."""

    area: Decimal
    holder: str | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "area", _area(self.area, "unit area"))
        if self.holder is not None:
            _head(self.holder)


def owners_electorate(units: Iterable[OwnerUnit]) -> Electorate:
    """Owners' base (SPC interp. Arts. 8-9): all area; a head per holder, one for the developer."""
    units = list(units)
    for unit in units:
        if not isinstance(unit, OwnerUnit):
            raise ValueError(f"expected OwnerUnit, got {unit!r}")
    heads = {DEVELOPER if unit.holder is None else unit.holder for unit in units}
    return Electorate(heads=len(heads), area=_sum(unit.area for unit in units))


def group_unit_ballots(
    unit_ballots: Iterable[tuple[str, Decimal, frozenset[str]]],
) -> list[Vote]:
    """Merge per-unit ballots into one Vote per head with summed area; a head's units must agree."""
    areas: dict[str, list[Decimal]] = {}
    choices: dict[str, frozenset[str]] = {}
    for entry in unit_ballots:
        try:
            head, area, chosen = entry
        except (TypeError, ValueError):
            raise ValueError(f"unit ballot must be (head, area, choices): {entry!r}") from None
        head, area, chosen = _head(head), _area(area, "unit area"), _choice_set(chosen)
        if head in choices and choices[head] != chosen:
            raise ValueError(f"the units of {head} carry different choices")
        choices[head] = chosen
        areas.setdefault(head, []).append(area)
    return [Vote(head, choices[head], _sum(areas[head])) for head in sorted(choices)]


# --- Rule parameters ---------------------------------------------------------------------------

DEFAULT_PARAMS: dict[str, dict[str, Threshold | str]] = {
    Rule.SIMPLE_MAJORITY: {},
    Rule.ABSOLUTE_MAJORITY: {"pass": _t(">1/2")},
    Rule.TWO_THIRDS: {"pass": _t(">=2/3")},
    Rule.RESIDENTS_MEETING: {"quorum": _t(">1/2"), "pass": _t(">1/2")},
    Rule.OWNERS_ORDINARY: {"participation": _t(">=2/3"), "pass": _t(">1/2")},
    Rule.OWNERS_SPECIAL: {"participation": _t(">=2/3"), "pass": _t(">=3/4")},
    Rule.COUNCIL: {"quorum": _t(">=2/3"), "pass": _t(">1/2"), "mode": YES_OVER_NO},
}


def _effective_params(rule: str, params: Mapping[str, str] | None) -> dict[str, Threshold | str]:
    if rule not in DEFAULT_PARAMS:
        raise ValueError(f"unknown rule {rule!r}")
    effective = dict(DEFAULT_PARAMS[rule])
    if params is None:
        return effective
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a mapping, not {params!r}")
    if params and rule in OWNERS_RULES:
        raise ValueError(f"{rule} is fixed by law (Civil Code Art. 278) and takes no params")
    for name, value in params.items():
        if name not in effective:
            raise ValueError(f"unknown param {name!r} for rule {rule!r}")
        if name == "mode":
            if value not in COUNCIL_MODES:
                raise ValueError(f"unknown council mode {value!r}")
            effective[name] = value
        else:
            effective[name] = Threshold.from_json(value)
    return effective


# --- Counting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tally:
    heads: int
    area: Decimal

    @classmethod
    def of(cls, votes: Sequence[Vote]) -> _Tally:
        return cls(len(votes), _sum(v.area for v in votes))

    def to_json(self) -> dict:
        return {"heads": self.heads, "area": _fmt(self.area)}


def _check_choices(kind: str, choices: Sequence[str]) -> tuple[str, ...]:
    if kind not in POLL_KINDS:
        raise ValueError(f"unknown poll kind {kind!r}")
    if isinstance(choices, str) or not isinstance(choices, Sequence):
        raise ValueError(f"choices must be a sequence of codes, not {choices!r}")
    result = tuple(choices)
    if not result or not all(isinstance(c, str) and c for c in result):
        raise ValueError("choices must be one or more non-empty strings")
    if len(set(result)) != len(result):
        raise ValueError(f"duplicate choice in {result!r}")
    if kind == PollKind.YES_NO_ABSTAIN and sorted(result) != sorted(YES_NO_ABSTAIN_CHOICES):
        raise ValueError(f"a yes/no/abstain poll has exactly those choices, not {result!r}")
    return result


def _check_votes(kind: str, choices: tuple[str, ...], votes: Iterable[Vote]) -> list[Vote]:
    known = frozenset(choices)
    seen: set[str] = set()
    result = []
    for vote in votes:
        if not isinstance(vote, Vote):
            raise ValueError(f"expected Vote, got {vote!r}")
        if vote.head in seen:
            raise ValueError(f"head {vote.head!r} voted twice")
        seen.add(vote.head)
        unknown = vote.choices - known
        if unknown:
            raise ValueError(f"unknown choice(s) {sorted(unknown)!r} from {vote.head!r}")
        if kind != PollKind.MULTIPLE and len(vote.choices) > 1:
            raise ValueError(f"{vote.head!r} chose several options in a {kind} poll")
        result.append(vote)
    return sorted(result, key=lambda v: v.head)


def _quorum_reasons(
    rule: str, params: Mapping, participation: _Tally, electorate: Electorate
) -> list[str]:
    """Why too few took part (`participation` is the attendance where the rule counts it)."""
    reasons = []
    if rule in OWNERS_RULES:
        gate = params["participation"]
        if not gate.met(participation.area, electorate.area):
            reasons.append("participation_area")
        if not gate.met(participation.heads, electorate.heads):
            reasons.append("participation_heads")
    elif rule in (Rule.RESIDENTS_MEETING, Rule.COUNCIL):
        if not params["quorum"].met(participation.heads, electorate.heads):
            reasons.append("quorum")
    return reasons


def _pass_reasons(
    rule: str,
    params: Mapping,
    yes: _Tally,
    no: _Tally,
    participation: _Tally,
    electorate: Electorate,
) -> list[str]:
    if rule == Rule.SIMPLE_MAJORITY or (rule == Rule.COUNCIL and params["mode"] == YES_OVER_NO):
        return [] if yes.heads > no.heads else ["pass"]
    if rule in (Rule.ABSOLUTE_MAJORITY, Rule.COUNCIL):
        return [] if params["pass"].met(yes.heads, electorate.heads) else ["pass"]
    if rule in (Rule.TWO_THIRDS, Rule.RESIDENTS_MEETING):
        return [] if params["pass"].met(yes.heads, participation.heads) else ["pass"]
    reasons = []
    if not params["pass"].met(yes.area, participation.area):
        reasons.append("pass_area")
    if not params["pass"].met(yes.heads, participation.heads):
        reasons.append("pass_heads")
    return reasons


# The rules whose base is those attending a meeting (domain-rules §2), when attendance is given.
ATTENDANCE_RULES = (Rule.RESIDENTS_MEETING,)


def _attendance(
    rule: str, attendance: object, participation: _Tally, electorate: Electorate
) -> int:
    if rule not in ATTENDANCE_RULES:
        raise ValueError(f"{rule} does not count attendance")
    if isinstance(attendance, bool) or not isinstance(attendance, int):
        raise ValueError(f"attendance must be an int, not {attendance!r}")
    if attendance < participation.heads:
        raise ValueError("fewer heads attended than voted")
    if attendance > electorate.heads:
        raise ValueError("more heads attended than the electorate holds")
    return attendance


def _ordered(reasons: Iterable[str]) -> list[str]:
    found = set(reasons)
    return [r for r in REASONS if r in found]


def evaluate(
    rule: str,
    kind: str,
    choices: Sequence[str],
    votes: Iterable[Vote],
    electorate: Electorate,
    params: Mapping[str, str] | None = None,
    attendance: int | None = None,
) -> dict:
    """Count one poll under a rule; return its deterministic, JSON-ready result snapshot.

    `attendance` (residents' meeting rule only): the heads attending when the poll closed,
    voters among them; then the quorum and the pass threshold count it, not the ballots, and
    the snapshot keeps it."""
    effective = _effective_params(rule, params)
    choices = _check_choices(kind, choices)
    if not isinstance(electorate, Electorate):
        raise ValueError(f"expected Electorate, got {electorate!r}")
    votes = _check_votes(kind, choices, votes)

    participation = _Tally.of(votes)
    if rule != Rule.SIMPLE_MAJORITY and rule != Rule.TWO_THIRDS:
        if participation.heads > electorate.heads:
            raise ValueError("more heads voted than the electorate holds")
        if rule in OWNERS_RULES and participation.area > electorate.area:
            raise ValueError("more area voted than the electorate holds")
    # Those in the hall: the base of the quorum and of the pass threshold (§2), else the voters.
    attending = participation
    if attendance is not None:
        attending = _Tally(_attendance(rule, attendance, participation, electorate), Decimal(0))
    cast = [v for v in votes if v.choices]
    blank = _Tally.of([v for v in votes if not v.choices])
    counts = {c: _Tally.of([v for v in votes if c in v.choices]) for c in choices}

    quorum_reasons = _quorum_reasons(rule, effective, attending, electorate)
    if kind == PollKind.YES_NO_ABSTAIN:
        judged = {YES: (counts[YES], counts[NO])}
    else:
        judged = {
            c: (counts[c], _Tally.of([v for v in cast if c not in v.choices])) for c in choices
        }
    results = {}
    for choice, (yes, no) in judged.items():
        # Below the quorum or participation gate the vote is void: nothing is judged.
        reasons = quorum_reasons or _pass_reasons(rule, effective, yes, no, attending, electorate)
        results[choice] = {
            "passed": not reasons,
            "reasons": reasons,
            "yes": yes.to_json(),
            "no": no.to_json(),
        }

    carried = [c for c in choices if c in results and results[c]["passed"]]
    if kind == PollKind.SINGLE:
        passed = len(carried) == 1
    else:
        passed = bool(carried)
    if passed:
        reasons = []
    elif carried:  # a single-choice poll where more than one option reached the threshold
        reasons = ["several_carried"]
    else:
        reasons = _ordered(r for result in results.values() for r in result["reasons"])

    snapshot = {
        "schema": SNAPSHOT_SCHEMA,
        "rule": rule,
        "kind": kind,
        "source": dict(RULE_SOURCES[rule]),
        "params": {
            name: value.to_json() if isinstance(value, Threshold) else value
            for name, value in effective.items()
        },
        "choices": list(choices),
        "electorate": {"heads": electorate.heads, "area": _fmt(electorate.area)},
        "participation": participation.to_json(),
        "blank": blank.to_json(),
        "counts": {c: counts[c].to_json() for c in choices},
        "quorum_met": not quorum_reasons,
        "results": results,
        "passed": passed,
        "carried": carried,
        "reasons": reasons,
    }
    if attendance is not None:
        snapshot["attendance"] = attending.heads
    return snapshot
