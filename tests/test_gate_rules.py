"""The legal gate's pure arithmetic (deliberation/rules/gate.py): how far turnout is from the
participation gate (owners, ≥ 2/3 of heads and of area) or the quorum (residents' meeting,
> 1/2), judged exactly as `counting.evaluate` judges it.

Expected shortfalls are worked out by hand: 2/3 of 118 heads is 78.67, so 79 are needed.
"""

from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation.rules import (
    YES,
    YES_NO_ABSTAIN_CHOICES,
    Electorate,
    PollKind,
    Rule,
    Threshold,
    Vote,
    evaluate,
)
from deliberation.rules.gate import AREA, HEADS, PARTICIPATION, QUORUM, gate, gate_of, shortfall

TWO_THIRDS = Threshold(F(2, 3), True)
OVER_HALF = Threshold(F(1, 2), False)


def test_it_needs_79_of_118_owners_for_two_thirds():
    assert shortfall(TWO_THIRDS, 9, 118) == 70  # 79 - 9
    assert shortfall(TWO_THIRDS, 78, 118) == 1
    assert shortfall(TWO_THIRDS, 79, 118) == 0


def test_it_counts_exactly_two_thirds_as_met():
    # 以上 includes the boundary: 2 of 3, 4 of 6, 100 of 150 meet the gate.
    for part, whole in ((2, 3), (4, 6), (100, 150)):
        assert shortfall(TWO_THIRDS, part, whole) == 0
        assert shortfall(TWO_THIRDS, part - 1, whole) == 1


def test_it_counts_exactly_half_as_short_of_a_strict_majority():
    # 过半数 is strict: 50 of 100 is one short, 51 is enough.
    assert shortfall(OVER_HALF, 50, 100) == 1
    assert shortfall(OVER_HALF, 51, 100) == 0
    assert shortfall(OVER_HALF, 0, 1) == 1
    assert shortfall(OVER_HALF, 1, 2) == 1


def test_it_says_an_empty_base_or_a_whole_share_cannot_be_reached():
    assert shortfall(TWO_THIRDS, 0, 0) is None
    assert shortfall(Threshold(F(1), False), 3, 5) is None  # more than all of it: never


def test_it_refuses_bad_numbers():
    for part, whole in ((-1, 3), (4, 3), (True, 3), (1.0, 3)):
        with pytest.raises(ValueError):
            shortfall(TWO_THIRDS, part, whole)
    with pytest.raises(ValueError):
        gate(Rule.OWNERS_ORDINARY, 9, 118, D("1.001"), D("10"))
    with pytest.raises(ValueError):
        gate(Rule.OWNERS_ORDINARY, 9, 118, D("11"), D("10"))
    with pytest.raises(ValueError):
        gate(Rule.OWNERS_ORDINARY, 119, 118, D("1"), D("10"))


def test_it_gives_owners_two_measures_with_the_area_in_hundredths():
    found = gate(Rule.OWNERS_SPECIAL, 9, 118, D("850.00"), D("10000.00"))
    assert found.kind == PARTICIPATION and not found.met
    heads, area = found.measure(HEADS), found.measure(AREA)
    assert (heads.short, heads.threshold) == (70, TWO_THIRDS)
    # 2/3 of 10,000.00 m² is 6,666.666…: 6,666.67 is the least in hundredths; 850 are in.
    assert area.short == D("5816.67")
    assert found.to_json()["measures"][1] == {
        "key": "area",
        "value": "850.00",
        "total": "10000.00",
        "threshold": ">=2/3",
        "line": [2, 3],
        "met": False,
        "short": "5816.67",
    }


def test_it_gives_the_residents_meeting_its_quorum_only():
    found = gate(Rule.RESIDENTS_MEETING, 50, 100)
    assert found.kind == QUORUM and [m.key for m in found.measures] == [HEADS]
    assert found.measure(HEADS).short == 1
    configured = gate(Rule.RESIDENTS_MEETING, 50, 100, params={"quorum": ">=1/2"})
    assert configured.met and configured.measure(HEADS).short == 0


def test_it_has_no_gate_for_other_rules():
    for rule in (Rule.SIMPLE_MAJORITY, Rule.TWO_THIRDS, Rule.ABSOLUTE_MAJORITY, Rule.COUNCIL):
        assert gate(rule, 1, 3) is None


def _votes(heads: int, area: D) -> list[Vote]:
    # All the area on the first head: participation as counting sums it.
    return [Vote(f"h{i}", frozenset({YES}), area if i == 0 else D(0)) for i in range(heads)]


def _quorum_met(rule, heads, area, electorate: Electorate) -> bool:
    result = evaluate(
        rule, PollKind.YES_NO_ABSTAIN, YES_NO_ABSTAIN_CHOICES, _votes(heads, area), electorate
    )
    return result["quorum_met"]


def test_it_reads_a_snapshot_as_counting_wrote_it():
    electorate = Electorate(118, D("10000.00"))
    result = evaluate(
        Rule.OWNERS_ORDINARY,
        PollKind.YES_NO_ABSTAIN,
        YES_NO_ABSTAIN_CHOICES,
        _votes(9, D("850.00")),
        electorate,
    )
    found = gate_of(result)
    assert found.measure(HEADS).short == 70 and found.measure(AREA).short == D("5816.67")
    assert gate_of({"rule": Rule.SIMPLE_MAJORITY}) is None
    assert gate_of(None) is None


@pytest.mark.parametrize(("voted", "attending"), [(3, 3), (3, 6), (0, 5), (4, 10)])
def test_a_residents_meeting_in_a_hall_is_judged_on_those_attending(voted, attending):
    """The quorum gate of a meeting's residents' poll reads the attendance frozen at the close
    (checked in or online), which counting itself judges: the two always agree."""
    electorate = Electorate(10)
    result = evaluate(
        Rule.RESIDENTS_MEETING,
        PollKind.YES_NO_ABSTAIN,
        YES_NO_ABSTAIN_CHOICES,
        _votes(voted, D(0)),
        electorate,
        attendance=attending,
    )
    found = gate_of(result)
    assert found.met == result["quorum_met"] == (attending > 5)
    assert found.measure(HEADS).short == max(0, 6 - attending)


heads_and_base = st.integers(1, 2000).flatmap(
    lambda whole: st.tuples(st.integers(0, whole), st.just(whole))
)
cents_and_base = st.integers(1, 10**9).flatmap(
    lambda whole: st.tuples(st.integers(0, whole), st.just(whole))
)


@given(heads_and_base, st.sampled_from([Rule.OWNERS_ORDINARY, Rule.OWNERS_SPECIAL]))
def test_it_meets_the_owners_heads_gate_with_the_shortfall_and_not_one_head_less(pair, rule):
    part, whole = pair
    area = D(100)
    short = gate(rule, part, whole, area, area).measure(HEADS).short
    assert short is not None  # 2/3 of any base is within it
    electorate = Electorate(whole, area)
    assert _quorum_met(rule, part + short, area, electorate)
    assert gate(rule, part + short, whole, area, area).met
    if short > 0:
        assert not _quorum_met(rule, part + short - 1, area, electorate)


@given(cents_and_base)
def test_it_meets_the_owners_area_gate_with_the_shortfall_and_not_a_cent_less(pair):
    part, whole = (D(n).scaleb(-2) for n in pair)
    short = gate(Rule.OWNERS_ORDINARY, 1, 1, part, whole).measure(AREA).short
    assert short is not None and short == short.quantize(D("0.01"))
    electorate = Electorate(1, whole)
    assert _quorum_met(Rule.OWNERS_ORDINARY, 1, part + short, electorate)
    if short > 0:
        assert not _quorum_met(Rule.OWNERS_ORDINARY, 1, part + short - D("0.01"), electorate)


@given(heads_and_base, st.sampled_from([">1/2", ">=1/2", ">=2/3", ">3/5", ">=1/1"]))
def test_it_meets_the_residents_quorum_with_the_shortfall_and_not_one_less(pair, quorum):
    part, whole = pair
    params = {"quorum": quorum, "pass": ">1/2"}
    short = gate(Rule.RESIDENTS_MEETING, part, whole, params=params).measure(HEADS).short
    assert short is not None
    result = evaluate(
        Rule.RESIDENTS_MEETING,
        PollKind.YES_NO_ABSTAIN,
        YES_NO_ABSTAIN_CHOICES,
        _votes(part + short, D(0)),
        Electorate(whole),
        params,
    )
    assert result["quorum_met"]
    if short > 0:
        fewer = evaluate(
            Rule.RESIDENTS_MEETING,
            PollKind.YES_NO_ABSTAIN,
            YES_NO_ABSTAIN_CHOICES,
            _votes(part + short - 1, D(0)),
            Electorate(whole),
            params,
        )
        assert not fewer["quorum_met"]


@given(heads_and_base)
def test_it_says_met_exactly_when_counting_says_quorum_met(pair):
    part, whole = pair
    for rule in (Rule.OWNERS_ORDINARY, Rule.RESIDENTS_MEETING):
        area = D(whole)  # every head carries 1 m²: the area share equals the heads share
        electorate = Electorate(whole, area if rule != Rule.RESIDENTS_MEETING else D(0))
        votes_area = D(part) if rule != Rule.RESIDENTS_MEETING else D(0)
        found = gate(rule, part, whole, votes_area, electorate.area)
        assert found.met == _quorum_met(rule, part, votes_area, electorate)
        assert found.met == all(m.short == 0 for m in found.measures)


def test_it_is_exhaustive_on_small_bases():
    """Every turnout of every base up to 60, both thresholds, by brute force."""
    for whole in range(61):
        for part in range(whole + 1):
            for threshold in (TWO_THIRDS, OVER_HALF):
                expected = next(
                    (k for k in range(whole - part + 1) if threshold.met(part + k, whole)), None
                )
                assert shortfall(threshold, part, whole) == expected, (part, whole, threshold)
