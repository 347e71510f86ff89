"""Rules of order: the speakers' queue, speech limits, the floor timer, quorum and minutes.

Expected outcomes are worked out by hand from domain-rules.md §2 and §4, not computed from order.py.
"""

import ast
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation import order
from deliberation.order import (
    CON,
    NEUTRAL,
    PRO,
    SIDES,
    Hand,
    Quorum,
    RulesOfOrder,
    floor_deadline,
    floor_expired,
    floor_remaining,
    may_raise_hand,
    next_speaker,
    quorum,
    refusal_to_speak,
    speech_durations,
)
from deliberation.rules import Threshold

CST = timezone(timedelta(hours=8))
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=CST)
DEFAULT = RulesOfOrder()
NO_ALTERNATION = RulesOfOrder(alternate=False)


def at(seconds, micro=0):
    """T0 plus some seconds (and microseconds)."""
    return T0 + timedelta(seconds=seconds, microseconds=micro)


def queue(spec):
    """Hands from a string like "p c n": user ids 1, 2, 3 ... with seq 10, 20, 30 ..."""
    sides = {"p": PRO, "c": CON, "n": NEUTRAL}
    return [Hand(i + 1, sides[s], (i + 1) * 10) for i, s in enumerate(spec.split())]


# --- Module shape ------------------------------------------------------------------------------


def test_it_imports_nothing_from_django():
    tree = ast.parse(Path(order.__file__).read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
    assert not any(m == "django" or m.startswith("django.") for m in modules)
    assert not any(m.endswith("models") for m in modules)


def test_it_gives_every_public_function_a_one_line_docstring():
    public = [
        getattr(order, name)
        for name in dir(order)
        if not name.startswith("_") and callable(getattr(order, name))
    ]
    own = [f for f in public if getattr(f, "__module__", None) == order.__name__]
    own += [RulesOfOrder.to_json, RulesOfOrder.from_json]
    for thing in own:
        doc = thing.__doc__
        assert doc and doc.strip() and "\n" not in doc.strip(), thing


# --- RulesOfOrder ------------------------------------------------------------------------------


def test_it_defaults_to_the_nantang_rules():
    assert DEFAULT.to_json() == {
        "speech_seconds": 120,
        "max_speeches": 2,
        "alternate": True,
        "seconding": False,
        "pass_rule": "yes_over_no",
        "quorum": ">=2/3",
    }


@pytest.mark.parametrize("data", [None, {}])
def test_it_reads_missing_rules_as_defaults(data):
    assert RulesOfOrder.from_json(data) == DEFAULT


def test_it_fills_missing_keys_with_defaults():
    rules = RulesOfOrder.from_json({"speech_seconds": 180, "pass_rule": "majority_of_members"})
    assert rules == RulesOfOrder(speech_seconds=180, pass_rule="majority_of_members")
    assert rules.max_speeches == 2 and rules.quorum == ">=2/3"


@pytest.mark.parametrize(
    "rules",
    [
        DEFAULT,
        RulesOfOrder(15, 1, False, True, "majority_of_members", ">1/2"),
        RulesOfOrder(1800, 10, True, True, "yes_over_no", ">=3/4"),
    ],
)
def test_it_round_trips_rules_through_json(rules):
    stored = json.loads(json.dumps(rules.to_json()))
    assert RulesOfOrder.from_json(stored) == rules
    assert RulesOfOrder.from_json(stored).to_json() == stored


def test_it_stores_the_quorum_in_its_canonical_form():
    assert RulesOfOrder.from_json({"quorum": ">=4/6"}).quorum == ">=2/3"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"speech_seconds": 14}, "speech_seconds"),
        ({"speech_seconds": 1801}, "speech_seconds"),
        ({"speech_seconds": "120"}, "speech_seconds"),
        ({"speech_seconds": 120.0}, "speech_seconds"),
        ({"speech_seconds": True}, "speech_seconds"),
        ({"max_speeches": 0}, "max_speeches"),
        ({"max_speeches": 11}, "max_speeches"),
        ({"max_speeches": None}, "max_speeches"),
        ({"alternate": 1}, "alternate"),
        ({"alternate": "yes"}, "alternate"),
        ({"seconding": None}, "seconding"),
        ({"pass_rule": "two_thirds"}, "pass_rule"),
        ({"pass_rule": ["yes_over_no"]}, "pass_rule"),
        ({"quorum": "2/3"}, "quorum"),
        ({"quorum": ">=3/2"}, "quorum"),
        ({"quorum": ">=1/0"}, "quorum"),
        ({"quorum": 0.5}, "quorum"),
        ({"speach_seconds": 120}, "speach_seconds"),
        (["speech_seconds"], "mapping"),
        ("speech_seconds=120", "mapping"),
    ],
)
def test_it_refuses_bad_rules_with_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        RulesOfOrder.from_json(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("speech_seconds", 15),
        ("speech_seconds", 1800),
        ("max_speeches", 1),
        ("max_speeches", 10),
    ],
)
def test_it_accepts_the_range_limits(field, value):
    assert getattr(RulesOfOrder.from_json({field: value}), field) == value


def test_it_refuses_bad_rules_built_directly():
    with pytest.raises(ValueError, match="max_speeches"):
        RulesOfOrder(max_speeches=0)


# --- Who speaks next ---------------------------------------------------------------------------


def test_it_recognises_nobody_from_an_empty_queue():
    for last in (None, PRO, CON, NEUTRAL):
        assert next_speaker([], last, DEFAULT) is None
        assert next_speaker([], last, NO_ALTERNATION) is None


@pytest.mark.parametrize(
    ("hands", "last_side", "alternate", "expected_user"),
    [
        # Alternation off: always first come, first served.
        ("p c", PRO, False, 1),
        ("p p c", PRO, False, 1),
        ("c p", CON, False, 1),
        ("n p c", PRO, False, 1),
        # Alternation on, nothing said yet or a neutral speech last: earliest overall.
        ("p c", None, True, 1),
        ("c p", None, True, 1),
        ("n p c", None, True, 1),
        ("p c", NEUTRAL, True, 1),
        ("n c p", NEUTRAL, True, 1),
        # After pro, the earliest con goes first if one waits.
        ("p c", PRO, True, 2),
        ("p p c c", PRO, True, 3),
        ("p n c", PRO, True, 3),
        ("n n c", PRO, True, 3),
        # After con, the earliest pro.
        ("c p", CON, True, 2),
        ("c c n p p", CON, True, 4),
        # No opposite side waiting: earliest overall, neutral included.
        ("p p", PRO, True, 1),
        ("n p", PRO, True, 1),
        ("p n", PRO, True, 1),
        ("c n", CON, True, 1),
        ("n c", CON, True, 1),
        ("n", PRO, True, 1),
        ("n", CON, True, 1),
    ],
)
def test_it_alternates_pro_and_con_when_both_wait(hands, last_side, alternate, expected_user):
    rules = RulesOfOrder(alternate=alternate)
    assert next_speaker(queue(hands), last_side, rules).user_id == expected_user


def test_it_goes_by_seq_not_by_queue_position():
    hands = [Hand(1, CON, 50), Hand(2, PRO, 40), Hand(3, CON, 30), Hand(4, NEUTRAL, 5)]
    assert next_speaker(hands, None, DEFAULT) == Hand(4, NEUTRAL, 5)
    assert next_speaker(hands, PRO, DEFAULT) == Hand(3, CON, 30)
    assert next_speaker(hands, CON, DEFAULT) == Hand(2, PRO, 40)
    assert next_speaker(hands, PRO, NO_ALTERNATION) == Hand(4, NEUTRAL, 5)


def test_it_accepts_any_sequence_as_the_queue():
    assert next_speaker(tuple(queue("p c")), PRO, DEFAULT).user_id == 2


@pytest.mark.parametrize("last_side", ["yes", "", 0])
def test_it_refuses_an_unknown_last_side(last_side):
    with pytest.raises(ValueError, match="last_side"):
        next_speaker(queue("p c"), last_side, DEFAULT)


@pytest.mark.parametrize(
    ("user_id", "side", "seq"),
    [(1, "for", 1), (1, None, 1), ("1", PRO, 1), (1, PRO, -1), (True, PRO, 1), (1, PRO, 1.0)],
)
def test_it_refuses_a_malformed_hand(user_id, side, seq):
    with pytest.raises(ValueError):
        Hand(user_id, side, seq)


def test_it_refuses_a_queue_of_something_else():
    with pytest.raises(ValueError, match="Hand"):
        next_speaker([(1, PRO, 1)], None, DEFAULT)
    with pytest.raises(ValueError, match="RulesOfOrder"):
        next_speaker(queue("p"), None, {"alternate": True})


hands_strategy = st.lists(
    st.builds(Hand, st.integers(1, 50), st.sampled_from(SIDES), st.integers(0, 10_000)),
    max_size=12,
    unique_by=lambda hand: hand.seq,
)


@given(hands_strategy, st.sampled_from([None, *SIDES]), st.booleans())
def test_it_always_picks_a_waiting_hand_by_the_rule(hands, last_side, alternate):
    chosen = next_speaker(hands, last_side, RulesOfOrder(alternate=alternate))
    if not hands:
        assert chosen is None
        return
    assert chosen in hands
    earliest = min(hands, key=lambda hand: hand.seq)
    opposite = {PRO: CON, CON: PRO}.get(last_side) if alternate else None
    waiting = [hand for hand in hands if hand.side == opposite]
    if waiting:
        assert chosen == min(waiting, key=lambda hand: hand.seq)
    else:
        assert chosen == earliest


# --- Taking the floor --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spoken", "max_speeches", "recognised", "expected"),
    [
        (0, 2, True, None),
        (1, 2, True, None),  # one less than the limit: allowed
        (2, 2, True, "speech_limit"),  # exactly the limit: refused
        (3, 2, True, "speech_limit"),
        (0, 1, True, None),
        (1, 1, True, "speech_limit"),
        (9, 10, True, None),
        (10, 10, True, "speech_limit"),
        (0, 2, False, "not_recognised"),
        (1, 2, False, "not_recognised"),
        (2, 2, False, "speech_limit"),  # the lasting reason wins
    ],
)
def test_it_refuses_the_floor_past_the_limit_or_unrecognised(
    spoken, max_speeches, recognised, expected
):
    rules = RulesOfOrder(max_speeches=max_speeches)
    counts = {7: spoken, 8: 5}
    assert refusal_to_speak(7, counts, rules, recognised=recognised) == expected


def test_it_counts_a_user_missing_from_the_counts_as_not_yet_spoken():
    assert refusal_to_speak(7, {}, DEFAULT, recognised=True) is None
    assert refusal_to_speak(7, {8: 2}, DEFAULT, recognised=True) is None


@pytest.mark.parametrize("counts", [{7: -1}, {7: "1"}, {7: 1.0}, [(7, 1)]])
def test_it_refuses_malformed_speech_counts(counts):
    with pytest.raises(ValueError):
        refusal_to_speak(7, counts, DEFAULT, recognised=True)


def test_it_requires_recognised_as_a_bool():
    with pytest.raises(ValueError, match="recognised"):
        refusal_to_speak(7, {}, DEFAULT, recognised=None)


# --- Raising a hand ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spoken", "waiting", "side", "expected"),
    [
        (0, [], PRO, None),
        (0, [], CON, None),
        (0, [], NEUTRAL, None),  # neutral is a side too
        (1, [3, 4], CON, None),  # one less than the limit, others waiting
        (2, [], PRO, "speech_limit"),  # exactly the limit
        (0, [3, 7, 4], PRO, "already_waiting"),
        (1, [7], NEUTRAL, "already_waiting"),
        (0, [], "against", "bad_side"),
        (0, [], "", "bad_side"),
        (0, [], None, "bad_side"),
        (0, [], "PRO", "bad_side"),
        (2, [7], "against", "bad_side"),  # a bad request is refused before anything else
        (2, [7], PRO, "speech_limit"),  # then the lasting reason
    ],
)
def test_it_refuses_a_hand_that_may_not_be_raised(spoken, waiting, side, expected):
    assert may_raise_hand(7, {7: spoken}, waiting, side, DEFAULT) == expected


def test_it_accepts_any_collection_of_waiting_ids():
    assert may_raise_hand(7, {}, {7}, PRO, DEFAULT) == "already_waiting"
    assert may_raise_hand(7, {}, (h.user_id for h in queue("p c n p p p p")), PRO, DEFAULT) == (
        "already_waiting"
    )
    assert may_raise_hand(7, {}, frozenset(), PRO, DEFAULT) is None


# --- The floor timer ---------------------------------------------------------------------------


def test_it_sets_the_deadline_speech_seconds_after_the_start():
    assert floor_deadline(T0, DEFAULT) == at(120)
    assert floor_deadline(T0, RulesOfOrder(speech_seconds=15)) == at(15)
    assert floor_deadline(T0, DEFAULT).tzinfo == CST


@pytest.mark.parametrize(
    ("now", "remaining", "expired"),
    [
        (at(0), 120, False),
        (at(-5), 125, False),  # a clock slightly behind the start
        (at(0, 1), 120, False),  # 119.999999 s left: rounds up
        (at(1), 119, False),
        (at(119), 1, False),
        (at(119, 600_000), 1, False),  # 0.4 s before the limit
        (at(119, 999_999), 1, False),  # one microsecond before
        (at(120), 0, True),  # exactly at the limit
        (at(120, 1), 0, True),
        (at(600), 0, True),  # long after: never negative
    ],
)
def test_it_times_the_floor_to_the_limit(now, remaining, expired):
    assert floor_remaining(T0, now, DEFAULT) == remaining
    assert floor_expired(T0, now, DEFAULT) is expired


def test_it_times_the_floor_across_time_zones():
    now_utc = at(119, 600_000).astimezone(UTC)
    assert floor_remaining(T0, now_utc, DEFAULT) == 1
    assert floor_expired(T0, at(120).astimezone(UTC), DEFAULT) is True


@pytest.mark.parametrize("call", [floor_deadline, floor_remaining, floor_expired])
def test_it_refuses_naive_times_on_the_floor(call):
    naive = datetime(2025, 3, 1, 9, 30)  # noqa: DTZ001 - deliberately naive
    args = (naive, DEFAULT) if call is floor_deadline else (naive, T0, DEFAULT)
    with pytest.raises(ValueError, match="timezone-aware"):
        call(*args)
    if call is not floor_deadline:
        with pytest.raises(ValueError, match="timezone-aware"):
            call(T0, naive, DEFAULT)


@given(st.integers(15, 1800), st.integers(-(10**7), 2 * 10**9))
def test_it_counts_down_in_whole_seconds_rounded_up(speech_seconds, elapsed_us):
    rules = RulesOfOrder(speech_seconds=speech_seconds)
    now = T0 + timedelta(microseconds=elapsed_us)
    remaining = floor_remaining(T0, now, rules)
    left_us = speech_seconds * 1_000_000 - elapsed_us
    assert remaining >= 0
    assert floor_expired(T0, now, rules) is (left_us <= 0)
    if left_us <= 0:
        assert remaining == 0
    else:
        assert (remaining - 1) * 1_000_000 < left_us <= remaining * 1_000_000


# --- Quorum ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "threshold", "needed"),
    [
        (49, ">1/2", 25),  # residents' meeting: more than half of 49 is 25
        (50, ">1/2", 26),  # exactly half fails
        (10, ">1/2", 6),
        (1, ">1/2", 1),
        (20, ">=2/3", 14),  # council: 13.33... rounds up
        (21, ">=2/3", 14),  # exactly two thirds meets
        (3, ">=2/3", 2),
        (1, ">=2/3", 1),
        (8, ">=3/4", 6),
        (9, ">=3/4", 7),
        (10, ">=0/1", 0),
        (10, ">0/1", 1),
        (10, ">=1/1", 10),
        (10, ">1/1", 11),  # impossible to meet: one more than the whole base
    ],
)
def test_it_finds_the_head_count_a_quorum_needs(base, threshold, needed):
    assert quorum(0, base, threshold).needed == needed


@pytest.mark.parametrize(
    ("present", "base", "threshold", "met"),
    [
        (25, 49, ">1/2", True),
        (24, 49, ">1/2", False),
        (25, 50, ">1/2", False),
        (26, 50, ">1/2", True),
        (14, 20, ">=2/3", True),
        (13, 20, ">=2/3", False),
        (14, 21, ">=2/3", True),
        (13, 21, ">=2/3", False),
        (6, 10, ">1/2", True),
        (5, 10, ">1/2", False),
        (10, 10, ">1/1", False),
        (0, 10, ">=0/1", True),
    ],
)
def test_it_decides_whether_a_quorum_is_met(present, base, threshold, met):
    result = quorum(present, base, threshold)
    assert result.met is met
    assert result.met is (present >= result.needed)


def test_it_reports_the_whole_quorum():
    assert quorum(14, 21, ">=2/3") == Quorum(
        present=14, base=21, needed=14, met=True, threshold=">=2/3"
    )
    assert quorum(3, 6, ">=4/6").threshold == ">=2/3"


@pytest.mark.parametrize("threshold", [">1/2", ">=2/3", ">=0/1"])
def test_it_never_meets_a_quorum_of_an_empty_base(threshold):
    assert quorum(0, 0, threshold) == Quorum(0, 0, 0, False, threshold)


@pytest.mark.parametrize(
    ("present", "base", "threshold"),
    [
        (-1, 10, ">1/2"),
        (1, -10, ">1/2"),
        (11, 10, ">1/2"),  # more present than the base holds
        (1.0, 10, ">1/2"),
        (True, 10, ">1/2"),
        (1, 10, "1/2"),
        (1, 10, ">1/0"),
        (1, 10, None),
    ],
)
def test_it_refuses_a_malformed_quorum(present, base, threshold):
    with pytest.raises(ValueError):
        quorum(present, base, threshold)


thresholds = st.builds(
    lambda op, den, num: f"{op}{num % (den + 1)}/{den}",
    st.sampled_from([">", ">="]),
    st.integers(1, 12),
    st.integers(0, 12),
)


@given(st.integers(1, 500), thresholds, st.data())
def test_it_needs_the_smallest_head_count_that_meets(base, threshold, data):
    rule = Threshold.from_json(threshold)
    result = quorum(0, base, threshold)
    needed = result.needed
    assert rule.met(needed, base)
    if needed > 0:
        assert not rule.met(needed - 1, base)
    present = data.draw(st.integers(0, base))
    assert quorum(present, base, threshold).met is (present >= needed)


# --- Speech durations for the minutes ----------------------------------------------------------


def g(user_id, seconds, micro=0):
    """A "granted" event some seconds after T0."""
    return ("granted", user_id, at(seconds, micro))


def e(user_id, seconds, micro=0):
    """An "ended" event some seconds after T0."""
    return ("ended", user_id, at(seconds, micro))


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], {}),
        ([g(1, 0), e(1, 90)], {1: [90]}),
        ([g(1, 0), e(1, 90), g(2, 100), e(2, 220), g(1, 300), e(1, 310)], {1: [90, 10], 2: [120]}),
        ([g(1, 0), e(1, 59, 999_999)], {1: [59]}),  # whole seconds, floored
        ([g(1, 0), e(1, 0)], {1: [0]}),
        ([g(1, 0)], {}),  # still speaking at the end: ignored
        ([g(1, 0), e(1, 30), g(2, 40)], {1: [30]}),
        ([e(1, 10)], {}),  # an end without a grant: ignored
        ([e(1, 10), g(1, 20), e(1, 50)], {1: [30]}),
        ([g(1, 0), e(1, 30), e(1, 40)], {1: [30]}),  # a second end: ignored
        ([g(1, 0), e(2, 10), e(1, 30)], {1: [30]}),  # someone else's end: ignored
        ([g(1, 0), g(2, 45), e(2, 100)], {1: [45], 2: [55]}),  # a new grant ends the floor
        ([g(1, 0), g(1, 45), e(1, 100)], {1: [45, 55]}),
        ([g(1, 0), g(2, 45), e(1, 50), e(2, 60)], {1: [45], 2: [15]}),
    ],
)
def test_it_measures_speech_durations_for_the_minutes(events, expected):
    assert speech_durations(events) == expected


def test_it_measures_speech_durations_across_time_zones():
    events = [g(1, 0), ("ended", 1, at(75).astimezone(UTC))]
    assert speech_durations(iter(events)) == {1: [75]}


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([("spoke", 1, T0)], "kind"),
        ([("granted", 1)], "kind, user_id, at"),
        (["granted"], "kind, user_id, at"),
        ([("granted", "1", T0)], "user_id"),
        ([("granted", 1, datetime(2025, 3, 1))], "timezone-aware"),  # noqa: DTZ001
        ([("granted", 1, "2025-03-01T09:30:00+08:00")], "datetime"),
        ([g(1, 10), e(1, 5)], "time order"),
    ],
)
def test_it_refuses_malformed_speech_events(events, message):
    with pytest.raises(ValueError, match=message):
        speech_durations(events)


@given(
    st.lists(
        st.tuples(st.sampled_from(["granted", "ended"]), st.integers(1, 4), st.integers(0, 10**8)),
        max_size=30,
    )
)
def test_it_never_measures_more_time_than_passed(raw):
    steps = sorted(raw, key=lambda event: event[2])
    events = [(kind, user, T0 + timedelta(microseconds=us)) for kind, user, us in steps]
    durations = speech_durations(events)
    assert all(d >= 0 for lengths in durations.values() for d in lengths)
    if events:
        span = (events[-1][2] - events[0][2]) // timedelta(seconds=1)
        assert sum(sum(lengths) for lengths in durations.values()) <= span
    grants = sum(1 for kind, _, _ in events if kind == "granted")
    assert sum(len(lengths) for lengths in durations.values()) <= grants
