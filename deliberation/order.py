"""Rules of order for meetings: who speaks next, for how long, how often, and the quorum.

After the 南塘议事规则 (domain-rules §4): a speaker raises a hand and speaks only when the chair
recognises them; each speech lasts at most ``speech_seconds``; each person speaks at most
``max_speeches`` times per agenda item; pro and con speakers alternate where both are waiting.
The quorum is a share of the meeting's base (§2: > 1/2 of residents; §4: >= 2/3 of members).

Like ``deliberation.rules`` this module is pure: plain values in, plain values out, no database
and no Django. Arithmetic is exact (ints, ``Fraction``, ``timedelta``). Every invalid input raises
``ValueError``; a refusal that a user may meet in normal use is returned as a stable string code.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from fractions import Fraction

from deliberation.rules import COUNCIL_MODES, YES_OVER_NO, Threshold

PRO, CON, NEUTRAL = "pro", "con", "neutral"
SIDES = (PRO, CON, NEUTRAL)

_OPPOSITE = {PRO: CON, CON: PRO}

#: Speech-timer events, as read by ``speech_durations``.
GRANTED, ENDED = "granted", "ended"
SPEECH_EVENTS = (GRANTED, ENDED)

SPEECH_SECONDS_RANGE = (15, 1800)
MAX_SPEECHES_RANGE = (1, 10)

# Refusal codes.
NOT_RECOGNISED = "not_recognised"
SPEECH_LIMIT = "speech_limit"
BAD_SIDE = "bad_side"
ALREADY_WAITING = "already_waiting"

_SECOND = timedelta(seconds=1)
_MICROSECOND = timedelta(microseconds=1)


# --- Checks ------------------------------------------------------------------------------------


def _int(value: object, what: str, low: int | None = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an int, not {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{what} must be {bounds}: {value!r}")
    return value


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, not {value!r}")
    return value


def _aware(value: object, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: {value!r}")
    return value


def _rules(value: object) -> RulesOfOrder:
    if not isinstance(value, RulesOfOrder):
        raise ValueError(f"expected RulesOfOrder, got {value!r}")
    return value


def _spoken(user_id: int, speeches_by_user_on_item: Mapping[int, int]) -> int:
    if not isinstance(speeches_by_user_on_item, Mapping):
        raise ValueError(f"speech counts must be a mapping, not {speeches_by_user_on_item!r}")
    return _int(speeches_by_user_on_item.get(user_id, 0), f"speech count of user {user_id}")


# --- Settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesOfOrder:
    """A meeting's rules of order (domain-rules §4 defaults); invalid values raise ValueError."""

    speech_seconds: int = 120
    max_speeches: int = 2
    alternate: bool = True
    seconding: bool = False
    pass_rule: str = YES_OVER_NO
    quorum: str = ">=2/3"

    def __post_init__(self) -> None:
        _int(self.speech_seconds, "rules of order: speech_seconds", *SPEECH_SECONDS_RANGE)
        _int(self.max_speeches, "rules of order: max_speeches", *MAX_SPEECHES_RANGE)
        _bool(self.alternate, "rules of order: alternate")
        _bool(self.seconding, "rules of order: seconding")
        if not isinstance(self.pass_rule, str) or self.pass_rule not in COUNCIL_MODES:
            raise ValueError(
                f"rules of order: pass_rule must be one of {COUNCIL_MODES}, not {self.pass_rule!r}"
            )
        try:
            threshold = Threshold.from_json(self.quorum)
        except ValueError as error:
            raise ValueError(f"rules of order: quorum: {error}") from None
        object.__setattr__(self, "quorum", threshold.to_json())

    def to_json(self) -> dict:
        """The rules as a JSON-ready dict with every key, as stored on a meeting."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping | None) -> RulesOfOrder:
        """Parse stored rules: missing keys take defaults; unknown keys or bad values ValueError."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ValueError(f"rules of order must be a mapping, not {data!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ValueError(f"rules of order: unknown setting(s) {unknown}")
        return cls(**data)


# --- The speakers' queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hand:
    """A raised hand waiting in the queue: who, on which side, and when (meeting event seq)."""

    user_id: int
    side: str
    seq: int

    def __post_init__(self) -> None:
        _int(self.user_id, "hand user_id", low=None)
        if self.side not in SIDES:
            raise ValueError(f"hand side must be one of {SIDES}, not {self.side!r}")
        _int(self.seq, "hand seq")


def _earliest(hands: Iterable[Hand]) -> Hand | None:
    return min(hands, key=lambda hand: (hand.seq, hand.user_id), default=None)


def next_speaker(queue: Sequence[Hand], last_side: str | None, rules: RulesOfOrder) -> Hand | None:
    """Who to recognise next: earliest hand, but after pro (con) the earliest con (pro) if any."""
    rules = _rules(rules)
    if last_side is not None and last_side not in SIDES:
        raise ValueError(f"last_side must be None or one of {SIDES}, not {last_side!r}")
    hands = list(queue)
    for hand in hands:
        if not isinstance(hand, Hand):
            raise ValueError(f"expected Hand, got {hand!r}")
    if rules.alternate and last_side in _OPPOSITE:
        opposite = _earliest(h for h in hands if h.side == _OPPOSITE[last_side])
        if opposite is not None:
            return opposite
    return _earliest(hands)


def refusal_to_speak(
    user_id: int,
    speeches_by_user_on_item: Mapping[int, int],
    rules: RulesOfOrder,
    *,
    recognised: bool,
) -> str | None:
    """Why this person may not take the floor now, or None: "speech_limit", "not_recognised"."""
    rules = _rules(rules)
    _bool(recognised, "recognised")
    # The lasting reason first: recognising someone who has used up their speeches cannot help.
    if _spoken(user_id, speeches_by_user_on_item) >= rules.max_speeches:
        return SPEECH_LIMIT
    if not recognised:
        return NOT_RECOGNISED
    return None


def may_raise_hand(
    user_id: int,
    speeches_by_user_on_item: Mapping[int, int],
    queue_user_ids: Collection[int],
    side: str,
    rules: RulesOfOrder,
) -> str | None:
    """Refusal code in this order, or None: "bad_side", "speech_limit", "already_waiting"."""
    rules = _rules(rules)
    if not isinstance(side, str) or side not in SIDES:
        return BAD_SIDE
    if _spoken(user_id, speeches_by_user_on_item) >= rules.max_speeches:
        return SPEECH_LIMIT
    if isinstance(queue_user_ids, str) or not isinstance(queue_user_ids, Iterable):
        raise ValueError(f"queue_user_ids must be a collection of ids, not {queue_user_ids!r}")
    if user_id in set(queue_user_ids):
        return ALREADY_WAITING
    return None


# --- The floor timer ---------------------------------------------------------------------------


def floor_deadline(started_at: datetime, rules: RulesOfOrder) -> datetime:
    """When the speech that started at started_at (tz-aware) runs out of time."""
    return _aware(started_at, "started_at") + timedelta(seconds=_rules(rules).speech_seconds)


def floor_remaining(started_at: datetime, now: datetime, rules: RulesOfOrder) -> int:
    """Whole seconds left on the floor, rounded up; 0 at or after the limit, never negative."""
    left = floor_deadline(started_at, rules) - _aware(now, "now")
    if left <= timedelta(0):
        return 0
    return -(-(left // _MICROSECOND) // 1_000_000)


def floor_expired(started_at: datetime, now: datetime, rules: RulesOfOrder) -> bool:
    """Whether the speaker's time is up: now is at or after the deadline."""
    return _aware(now, "now") >= floor_deadline(started_at, rules)


# --- Quorum ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quorum:
    """Whether a meeting is quorate: those present, the base, the head count needed, the rule."""

    present: int
    base: int
    needed: int
    met: bool
    threshold: str


def quorum(present: int, base: int, threshold: str) -> Quorum:
    """Whether those present meet the threshold of the base (e.g. >1/2 residents, >=2/3 members)."""
    present = _int(present, "present")
    base = _int(base, "base")
    if present > base:
        raise ValueError(f"more present ({present}) than the base holds ({base})")
    rule = Threshold.from_json(threshold)
    if base == 0:
        # An empty base meets nothing; there is no head count that would help.
        return Quorum(present, base, 0, False, rule.to_json())
    share: Fraction = rule.fraction * base
    if rule.inclusive:
        needed = -(-share.numerator // share.denominator)  # ceil
    else:
        needed = share.numerator // share.denominator + 1  # floor + 1
    return Quorum(present, base, needed, rule.met(present, base), rule.to_json())


# --- Minutes -----------------------------------------------------------------------------------


def speech_durations(events: Iterable[tuple[str, int, datetime]]) -> dict[int, list[int]]:
    """Each user's speech lengths in whole seconds (floored) from time-ordered grant/end events."""
    durations: dict[int, list[int]] = {}
    holder: tuple[int, datetime] | None = None
    previous: datetime | None = None

    def close(user_id: int, start: datetime, end: datetime) -> None:
        durations.setdefault(user_id, []).append((end - start) // _SECOND)

    for event in events:
        try:
            kind, user_id, at = event
        except (TypeError, ValueError):
            raise ValueError(f"speech event must be (kind, user_id, at): {event!r}") from None
        if kind not in SPEECH_EVENTS:
            raise ValueError(f"speech event kind must be one of {SPEECH_EVENTS}, not {kind!r}")
        _int(user_id, "speech event user_id", low=None)
        at = _aware(at, "speech event time")
        if previous is not None and at < previous:
            raise ValueError(f"speech events out of time order at {at.isoformat()}")
        previous = at
        if kind == GRANTED:
            if holder is not None:
                close(*holder, at)
            holder = (user_id, at)
        elif holder is not None and holder[0] == user_id:
            close(*holder, at)
            holder = None
        # An "ended" for someone who does not hold the floor has no grant to close: ignored.
    return durations
