"""The residents' meeting counts those attending (domain-rules §2), in the pure rule: with
`attendance` given, the quorum and the pass threshold are measured against the heads in the
hall, voters or not, so a present non-voter can turn a pass into a fail."""

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation.rules import ABSTAIN, NO, RULES, YES, Electorate, PollKind, Rule, Vote, evaluate

YNA = (YES, NO, ABSTAIN)


def votes(yes=0, no=0, abstain=0, blank=0):
    spec = [YES] * yes + [NO] * no + [ABSTAIN] * abstain + [None] * blank
    return [Vote(f"user:{i}", frozenset() if c is None else {c}) for i, c in enumerate(spec)]


def count(ballots, base, attendance, params=None):
    return evaluate(
        Rule.RESIDENTS_MEETING, PollKind.YES_NO_ABSTAIN, YNA, ballots, Electorate(base),
        params, attendance=attendance,
    )  # fmt: skip


def test_it_turns_a_pass_into_a_fail_for_a_present_non_voter():
    # 6 of 10 vote, 4 yes: more than half of those voting (4 > 3) pass without attendance...
    ballots = votes(yes=4, no=2)
    assert count(ballots, 10, None)["passed"] is True
    assert count(ballots, 10, 7)["passed"] is True  # 4 > 7/2
    # ...but with two more in the hall who cast nothing, 4 of 8 is exactly half: no pass.
    result = count(ballots, 10, 8)
    assert result["passed"] is False
    assert result["reasons"] == ["pass"]
    assert result["attendance"] == 8
    assert result["participation"]["heads"] == 6  # who voted, still reported


def test_it_meets_the_quorum_with_attendees_who_do_not_vote():
    ballots = votes(yes=3)
    assert count(ballots, 10, None)["quorum_met"] is False
    result = count(ballots, 10, 6)  # 6 of 10 attend: more than half
    assert result["quorum_met"] is True
    assert result["passed"] is False  # but 3 yes of 6 attending is not more than half
    assert count(votes(yes=4), 10, 6)["passed"] is True


def test_it_keeps_todays_snapshot_without_attendance():
    result = count(votes(yes=4, no=2), 10, None)
    assert "attendance" not in result


@pytest.mark.parametrize(
    ("attendance", "message"),
    [
        (5, "fewer heads attended than voted"),
        (11, "more heads attended than the electorate holds"),
        (-1, "fewer heads attended"),
        (True, "must be an int"),
        ("8", "must be an int"),
        (8.0, "must be an int"),
    ],
)
def test_it_refuses_impossible_attendance(attendance, message):
    with pytest.raises(ValueError, match=message):
        count(votes(yes=4, no=2), 10, attendance)


@pytest.mark.parametrize("rule", [r for r in RULES if r != Rule.RESIDENTS_MEETING])
def test_it_takes_attendance_only_under_the_residents_meeting_rule(rule):
    with pytest.raises(ValueError, match="does not count attendance"):
        evaluate(rule, PollKind.YES_NO_ABSTAIN, YNA, votes(yes=1), Electorate(3), attendance=1)


def expected(yes, attendance, base, quorum=F(1, 2), passing=F(1, 2)):
    quorum_met = F(attendance, base) > quorum if base else False
    return quorum_met, quorum_met and F(yes, attendance) > passing


@given(
    base=st.integers(1, 40),
    data=st.data(),
)
def test_it_judges_every_split_against_those_attending(base, data):
    yes = data.draw(st.integers(0, base))
    no = data.draw(st.integers(0, base - yes))
    abstain = data.draw(st.integers(0, base - yes - no))
    voted = yes + no + abstain
    attendance = data.draw(st.integers(voted, base))
    result = count(votes(yes, no, abstain), base, attendance)
    quorum_met, passed = expected(yes, attendance, base) if attendance else (False, False)
    assert result["quorum_met"] is quorum_met
    assert result["passed"] is passed
    assert result["attendance"] == attendance
    # One more attendee who casts nothing never helps a pass (and may break it).
    if attendance < base:
        more = count(votes(yes, no, abstain), base, attendance + 1)
        assert more["quorum_met"] >= result["quorum_met"]
        if result["quorum_met"]:
            assert more["passed"] <= result["passed"]


@pytest.mark.parametrize("base", range(1, 13))
def test_it_turns_exactly_at_half_of_those_attending_for_every_small_hall(base):
    """Exhaustive over small halls: yes passes iff yes > attendance/2, given a quorum."""
    for attendance in range(base + 1):
        for yes in range(attendance + 1):
            result = count(votes(yes=yes), base, attendance)
            quorum_met = 2 * attendance > base
            assert result["quorum_met"] is quorum_met
            assert result["passed"] is (quorum_met and 2 * yes > attendance)


def test_it_takes_thresholds_from_params_with_attendance():
    params = {"quorum": ">=2/3", "pass": ">1/2"}
    assert count(votes(yes=4), 9, 6, params)["quorum_met"] is True  # 6/9 = 2/3
    assert count(votes(yes=4), 9, 5, params)["quorum_met"] is False


def test_it_gives_the_same_snapshot_for_the_same_ballots_in_any_order():
    ballots = votes(yes=3, no=2, blank=1)
    assert count(ballots, 12, 9) == count(list(reversed(ballots)), 12, 9)
