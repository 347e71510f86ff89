"""The pure rule layer: thresholds, counting under each rule, deadlines and settings.

Expected outcomes are worked out by hand from domain-rules.md, not computed from rules.py.
"""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation import rules
from deliberation.rules import (
    ABSTAIN,
    NO,
    YES,
    Electorate,
    OwnerUnit,
    PollKind,
    Rule,
    Threshold,
    Vote,
    evaluate,
)

YNA = (YES, NO, ABSTAIN)
CST = timezone(timedelta(hours=8))


def ballots(*specs):
    """Votes from (choice or set of choices or None for blank, area) pairs, heads user:0, ..."""
    votes = []
    for i, (choice, area) in enumerate(specs):
        if choice is None:
            chosen = frozenset()
        elif isinstance(choice, str):
            chosen = frozenset({choice})
        else:
            chosen = frozenset(choice)
        votes.append(Vote(f"user:{i}", chosen, D(area)))
    return votes


def heads(*choices):
    """Votes without area, one per choice."""
    return ballots(*((c, "0") for c in choices))


def owners(*specs):
    """(choice, area) ballots and an electorate of exactly those who voted, so the gate is met."""
    votes = ballots(*specs)
    return votes, Electorate(len(votes), sum((v.area for v in votes), D(0)))


# --- Threshold ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "part", "whole", "met"),
    [
        (">=2/3", 2, 3, True),
        (">=2/3", 1, 3, False),
        (">=2/3", 199, 300, False),
        (">=2/3", 200, 300, True),
        (">=2/3", D("199.99"), D("300.00"), False),
        (">=2/3", D("200.00"), D("300.00"), True),
        (">=2/3", D("66.67"), D("100"), True),
        (">=2/3", D("66.66"), D("100"), False),
        (">1/2", 1, 2, False),
        (">1/2", 2, 4, False),
        (">1/2", 3, 5, True),
        (">1/2", D("50.00"), D("100.00"), False),
        (">1/2", D("50.01"), D("100.00"), True),
        (">=3/4", 3, 4, True),
        (">=3/4", D("74.99"), D("100"), False),
        (">=1/2", 1, 2, True),
        (">1/2", 0, 0, False),
        (">=0/1", 0, 0, False),
        (">=0/1", 0, 1, True),
        (">=1/1", 1, 1, True),
        (">1/1", 1, 1, False),
    ],
)
def test_it_meets_thresholds_exactly_at_the_boundary(text, part, whole, met):
    assert Threshold.from_json(text).met(part, whole) is met


@pytest.mark.parametrize(
    ("threshold", "text"),
    [
        (Threshold(F(2, 3), True), ">=2/3"),
        (Threshold(F(1, 2), False), ">1/2"),
        (Threshold(F(3, 4), True), ">=3/4"),
        (Threshold(F(1), True), ">=1/1"),
        (Threshold(F(0), False), ">0/1"),
    ],
)
def test_it_round_trips_thresholds_through_json(threshold, text):
    assert threshold.to_json() == text
    assert Threshold.from_json(text) == threshold


def test_it_normalises_thresholds_read_from_json():
    assert Threshold.from_json(">=4/6").to_json() == ">=2/3"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2/3",
        "=>2/3",
        "<1/2",
        ">= 2/3",
        " >=2/3",
        ">=2/3 ",
        ">=2/0",
        ">=3/2",
        ">=-1/2",
        ">=1.5/2",
        ">=0.5",
        ">=2/3/4",
        ">=２/３",
        ">=1234567890/1234567891",
        None,
        2 / 3,
        F(2, 3),
    ],
)
def test_it_refuses_malformed_thresholds(text):
    with pytest.raises(ValueError):
        Threshold.from_json(text)


@pytest.mark.parametrize(
    ("fraction", "inclusive"),
    [(F(3, 2), True), (F(-1, 2), False), (0.5, True), (F(1, 2), 1)],
)
def test_it_refuses_invalid_threshold_values(fraction, inclusive):
    with pytest.raises(ValueError):
        Threshold(fraction, inclusive)


@pytest.mark.parametrize(("part", "whole"), [(0.5, 1), (1, 2.0), (-1, 2), (1, -2), (True, 2)])
def test_it_refuses_inexact_or_negative_operands(part, whole):
    with pytest.raises(ValueError):
        Threshold.from_json(">1/2").met(part, whole)


# --- Owners: Civil Code Art. 278 ---------------------------------------------------------------

# Electorate: 9 heads, 900.00 m². All participants vote yes, so only the gate can fail.
GATE = Electorate(9, D("900.00"))


@pytest.mark.parametrize(
    ("areas", "quorum_met", "reasons"),
    [
        # exactly 2/3 of heads (6/9) and of area (600/900)
        (["100"] * 6, True, []),
        # heads 6/9 but area 599.99/900: just below in area only
        (["100"] * 5 + ["99.99"], False, ["participation_area"]),
        # area 600/900 but heads 5/9: just below in heads only
        (["120"] * 5, False, ["participation_heads"]),
        # both below
        (["100"] * 5, False, ["participation_area", "participation_heads"]),
        # nobody
        ([], False, ["participation_area", "participation_heads"]),
        # everyone
        (["100"] * 9, True, []),
    ],
)
@pytest.mark.parametrize("rule", [Rule.OWNERS_ORDINARY, Rule.OWNERS_SPECIAL])
def test_it_voids_owners_votes_below_the_participation_gate(rule, areas, quorum_met, reasons):
    result = evaluate(rule, PollKind.YES_NO_ABSTAIN, YNA, ballots(*((YES, a) for a in areas)), GATE)
    assert result["quorum_met"] is quorum_met
    assert result["passed"] is quorum_met
    assert result["reasons"] == reasons
    assert result["results"]["yes"]["reasons"] == reasons


@pytest.mark.parametrize(
    ("rule", "specs", "passed", "reasons"),
    [
        # Ordinary, > 1/2 of participating area and heads.
        # yes area exactly 200/400 (heads 3/4): fails on area
        (Rule.OWNERS_ORDINARY, [(YES, "100"), (YES, "50"), (YES, "50"), (NO, "200")], False,
         ["pass_area"]),
        # yes area 200.01/400: passes
        (Rule.OWNERS_ORDINARY, [(YES, "100"), (YES, "50"), (YES, "50.01"), (NO, "199.99")], True,
         []),
        # yes heads exactly 2/4 (area 300/400): fails on heads
        (Rule.OWNERS_ORDINARY, [(YES, "150"), (YES, "150"), (NO, "50"), (NO, "50")], False,
         ["pass_heads"]),
        # yes heads 3/5, area 301/401: passes
        (Rule.OWNERS_ORDINARY, [(YES, "150"), (YES, "150"), (YES, "1"), (NO, "50"), (NO, "50")],
         True, []),
        # both exactly half
        (Rule.OWNERS_ORDINARY, [(YES, "50"), (NO, "50")], False, ["pass_area", "pass_heads"]),
        # Special, >= 3/4 of participating area and heads.
        # exactly 3/4 of both: passes
        (Rule.OWNERS_SPECIAL, [(YES, "75"), (YES, "75"), (YES, "75"), (NO, "75")], True, []),
        # area 224.99/300 (heads 3/4): fails on area
        (Rule.OWNERS_SPECIAL, [(YES, "75"), (YES, "75"), (YES, "74.99"), (NO, "75.01")], False,
         ["pass_area"]),
        # heads 5/7 < 3/4 (area 500/502): fails on heads
        (Rule.OWNERS_SPECIAL, [(YES, "100")] * 5 + [(NO, "1"), (NO, "1")], False,
         ["pass_heads"]),
        # heads 6/8 = 3/4, area 600/602: passes
        (Rule.OWNERS_SPECIAL, [(YES, "100")] * 6 + [(NO, "1"), (NO, "1")], True, []),
        # what passes as ordinary (2/3 of both) fails as special
        (Rule.OWNERS_SPECIAL, [(YES, "100"), (YES, "100"), (NO, "100")], False,
         ["pass_area", "pass_heads"]),
        (Rule.OWNERS_ORDINARY, [(YES, "100"), (YES, "100"), (NO, "100")], True, []),
    ],
)  # fmt: skip
def test_it_applies_art_278_pass_thresholds_to_area_and_heads(rule, specs, passed, reasons):
    votes, electorate = owners(*specs)
    result = evaluate(rule, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate)
    assert result["quorum_met"] is True
    assert result["passed"] is passed
    assert result["reasons"] == reasons
    assert result["carried"] == ([YES] if passed else [])


@pytest.mark.parametrize(
    ("extra", "passed"),
    [
        ([], True),
        # an abstention and a blank make 4 participants: yes heads 2/4 is not > 1/2
        ([(ABSTAIN, "1"), (None, "1")], False),
        ([(ABSTAIN, "1"), (ABSTAIN, "1")], False),
        ([(None, "1"), (None, "1")], False),
        ([(ABSTAIN, "1")], True),
    ],
)
def test_it_counts_abstentions_and_blanks_as_participating_never_yes(extra, passed):
    votes, electorate = owners((YES, "60"), (YES, "60"), *extra)
    result = evaluate(Rule.OWNERS_ORDINARY, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate)
    assert result["counts"][YES] == {"heads": 2, "area": "120.00"}
    assert result["participation"]["heads"] == 2 + len(extra)
    assert result["quorum_met"] is True
    assert result["passed"] is passed


def test_it_reports_blank_ballots_separately():
    votes, electorate = owners((YES, "60"), (None, "10.5"), (ABSTAIN, "1"))
    result = evaluate(Rule.OWNERS_ORDINARY, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate)
    assert result["blank"] == {"heads": 1, "area": "10.50"}
    assert result["participation"] == {"heads": 3, "area": "71.50"}
    assert result["counts"] == {
        YES: {"heads": 1, "area": "60.00"},
        NO: {"heads": 0, "area": "0.00"},
        ABSTAIN: {"heads": 1, "area": "1.00"},
    }


@pytest.mark.parametrize(
    ("rule", "yes_votes", "passed"),
    [
        # 6 of 9 vote (gate met). Counting the 3 absent as yes would carry both; they are not.
        (Rule.OWNERS_ORDINARY, 3, False),
        (Rule.OWNERS_ORDINARY, 4, True),
        (Rule.OWNERS_SPECIAL, 4, False),
        (Rule.OWNERS_SPECIAL, 5, True),
    ],
)
def test_it_never_counts_non_voters_as_yes(rule, yes_votes, passed):
    votes = ballots(*([(YES, "100")] * yes_votes + [(NO, "100")] * (6 - yes_votes)))
    result = evaluate(rule, PollKind.YES_NO_ABSTAIN, YNA, votes, GATE)
    assert result["quorum_met"] is True
    assert result["counts"][YES]["heads"] == yes_votes
    assert result["passed"] is passed


ESTATE = [
    OwnerUnit(D("80.00"), "user:1"),
    OwnerUnit(D("70.50"), "user:1"),
    OwnerUnit(D("90.00"), "user:2"),
    OwnerUnit(D("60.00"), "user:3"),
    OwnerUnit(D("100.00"), None),
    OwnerUnit(D("60.00"), None),
    OwnerUnit(D("40.00"), None),
]


def test_it_counts_the_developers_units_as_one_head_with_their_total_area():
    assert rules.owners_electorate(ESTATE) == Electorate(4, D("500.50"))
    developer_only = [u for u in ESTATE if u.holder is None]
    assert rules.owners_electorate(developer_only) == Electorate(1, D("200.00"))
    assert rules.owners_electorate([]) == Electorate(0, D(0))


def test_it_counts_an_owner_of_several_units_as_one_head_with_their_area():
    yes, no = frozenset({YES}), frozenset({NO})
    votes = rules.group_unit_ballots(
        [
            ("user:2", D("90.00"), no),
            ("user:1", D("80.00"), yes),
            (rules.DEVELOPER, D("100.00"), no),
            ("user:1", D("70.50"), yes),
            (rules.DEVELOPER, D("60.00"), no),
            (rules.DEVELOPER, D("40.00"), no),
        ]
    )
    assert votes == [
        Vote(rules.DEVELOPER, no, D("200.00")),
        Vote("user:1", yes, D("150.50")),
        Vote("user:2", no, D("90.00")),
    ]
    result = evaluate(
        Rule.OWNERS_ORDINARY, PollKind.YES_NO_ABSTAIN, YNA, votes, rules.owners_electorate(ESTATE)
    )
    # 3 of 4 heads and 440.50 of 500.50 m² took part; yes is 1 head with 150.50 m².
    assert result["quorum_met"] is True
    assert result["participation"] == {"heads": 3, "area": "440.50"}
    assert result["counts"][YES] == {"heads": 1, "area": "150.50"}
    assert result["passed"] is False
    assert result["reasons"] == ["pass_area", "pass_heads"]


def test_it_refuses_conflicting_choices_across_one_owners_units():
    with pytest.raises(ValueError, match="different choices"):
        rules.group_unit_ballots(
            [("user:1", D("80"), frozenset({YES})), ("user:1", D("70"), frozenset({NO}))]
        )


@pytest.mark.parametrize(
    "entry",
    [
        ("user:1", 80.0, frozenset()),
        ("user:1", D("-1"), frozenset()),
        ("user:1", D("1.005"), frozenset()),
        ("", D("1"), frozenset()),
        ("user:1", D("1"), "yes"),
        ("user:1", D("1")),
    ],
)
def test_it_refuses_malformed_unit_ballots(entry):
    with pytest.raises(ValueError):
        rules.group_unit_ballots([entry])


@pytest.mark.parametrize("rule", [Rule.OWNERS_ORDINARY, Rule.OWNERS_SPECIAL])
@pytest.mark.parametrize("params", [{"pass": ">1/3"}, {"participation": ">=1/2"}, {"x": "y"}])
def test_it_refuses_params_for_the_owners_rules(rule, params):
    votes, electorate = owners((YES, "1"))
    with pytest.raises(ValueError):
        evaluate(rule, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate, params)


def test_it_accepts_no_params_or_empty_params_for_the_owners_rules():
    votes, electorate = owners((YES, "1"))
    a = evaluate(Rule.OWNERS_SPECIAL, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate)
    b = evaluate(Rule.OWNERS_SPECIAL, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate, {})
    assert a == b
    assert a["params"] == {"participation": ">=2/3", "pass": ">=3/4"}


# --- Residents' meeting (§2) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "quorum_met", "passed", "reasons"),
    [
        # base 10: 5 attend is exactly half, not more
        ([YES] * 5, False, False, ["quorum"]),
        ([YES] * 6, True, True, []),
        # 6 attend: yes 3 > no 1, but 3 is not more than half of the 6 attendees
        ([YES] * 3 + [NO] + [ABSTAIN] * 2, True, False, ["pass"]),
        ([YES] * 3 + [NO] + [None] * 2, True, False, ["pass"]),
        ([YES] * 4 + [ABSTAIN] * 2, True, True, []),
        ([YES] * 4 + [NO] * 3, True, True, []),
        ([YES] * 4 + [NO] * 4, True, False, ["pass"]),
        ([YES] * 5, False, False, ["quorum"]),
        ([NO] * 10, True, False, ["pass"]),
    ],
)
def test_it_measures_residents_meetings_against_the_base_and_attendees(
    choices, quorum_met, passed, reasons
):
    result = evaluate(
        Rule.RESIDENTS_MEETING, PollKind.YES_NO_ABSTAIN, YNA, heads(*choices), Electorate(10)
    )
    assert result["quorum_met"] is quorum_met
    assert result["passed"] is passed
    assert result["reasons"] == reasons


def test_it_takes_residents_meeting_thresholds_from_params():
    votes = heads(YES, YES, YES, YES, YES, YES, NO)
    electorate = Electorate(10)
    params = rules.representatives_meeting_params({})
    assert params == {"quorum": ">=2/3", "pass": ">1/2"}
    result = evaluate(
        Rule.RESIDENTS_MEETING, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate, params
    )
    assert result["quorum_met"] is True
    assert result["params"] == params
    votes = votes[:6]
    result = evaluate(
        Rule.RESIDENTS_MEETING, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate, params
    )
    assert result["reasons"] == ["quorum"]


# --- Council (§4) and the generic rules --------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "choices", "quorum_met", "passed"),
    [
        # 9 members: 6 present is exactly 2/3 (inclusive)
        (rules.YES_OVER_NO, [YES, YES, NO, ABSTAIN, ABSTAIN, ABSTAIN], True, True),
        (rules.YES_OVER_NO, [YES, YES, NO, ABSTAIN, ABSTAIN], False, False),
        (rules.YES_OVER_NO, [YES, NO, ABSTAIN, ABSTAIN, ABSTAIN, None], True, False),
        (rules.YES_OVER_NO, [YES, YES, NO, NO, None, None], True, False),
        # majority of members: yes must be > 9/2 whoever is present
        (rules.MAJORITY_OF_MEMBERS, [YES, YES, NO, ABSTAIN, ABSTAIN, ABSTAIN], True, False),
        (rules.MAJORITY_OF_MEMBERS, [YES] * 4 + [NO, NO], True, False),
        (rules.MAJORITY_OF_MEMBERS, [YES] * 5 + [NO], True, True),
        (rules.MAJORITY_OF_MEMBERS, [YES] * 5, False, False),
    ],
)
def test_it_counts_council_votes_in_both_modes(mode, choices, quorum_met, passed):
    params = {"mode": mode}
    result = evaluate(
        Rule.COUNCIL, PollKind.YES_NO_ABSTAIN, YNA, heads(*choices), Electorate(9), params
    )
    assert result["quorum_met"] is quorum_met
    assert result["passed"] is passed
    assert result["params"] == {"quorum": ">=2/3", "pass": ">1/2", "mode": mode}


@pytest.mark.parametrize(
    ("rule", "choices", "members", "passed"),
    [
        # simple majority: yes > no, abstentions and blanks not counted
        (Rule.SIMPLE_MAJORITY, [YES, YES, NO] + [ABSTAIN] * 10 + [None] * 5, 0, True),
        (Rule.SIMPLE_MAJORITY, [YES, NO, ABSTAIN], 0, False),
        (Rule.SIMPLE_MAJORITY, [YES], 0, True),
        (Rule.SIMPLE_MAJORITY, [ABSTAIN], 0, False),
        (Rule.SIMPLE_MAJORITY, [], 0, False),
        # absolute majority: yes > half of the electorate, whoever votes
        (Rule.ABSOLUTE_MAJORITY, [YES] * 5, 10, False),
        (Rule.ABSOLUTE_MAJORITY, [YES] * 6, 10, True),
        (Rule.ABSOLUTE_MAJORITY, [YES] * 5 + [NO] * 0, 9, True),
        (Rule.ABSOLUTE_MAJORITY, [YES] * 4, 9, False),
        (Rule.ABSOLUTE_MAJORITY, [], 0, False),
        # two-thirds of those participating, abstentions included, inclusive
        (Rule.TWO_THIRDS, [YES, YES, NO], 0, True),
        (Rule.TWO_THIRDS, [YES, YES, ABSTAIN], 0, True),
        (Rule.TWO_THIRDS, [YES, YES, NO, ABSTAIN], 0, False),
        (Rule.TWO_THIRDS, [YES, YES, None], 0, True),
        (Rule.TWO_THIRDS, [YES] * 5 + [NO] * 3, 0, False),
        (Rule.TWO_THIRDS, [], 0, False),
    ],
)
def test_it_counts_the_generic_rules(rule, choices, members, passed):
    result = evaluate(rule, PollKind.YES_NO_ABSTAIN, YNA, heads(*choices), Electorate(members))
    assert result["quorum_met"] is True
    assert result["passed"] is passed
    assert result["reasons"] == ([] if passed else ["pass"])


@pytest.mark.parametrize(
    ("rule", "params", "choices", "passed"),
    [
        (Rule.TWO_THIRDS, {"pass": ">=3/4"}, [YES, YES, NO], False),
        (Rule.TWO_THIRDS, {"pass": ">1/2"}, [YES, YES, NO], True),
        (Rule.ABSOLUTE_MAJORITY, {"pass": ">=1/2"}, [YES] * 5, True),
        (Rule.COUNCIL, {"quorum": ">1/2"}, [YES] * 5, False),
        (Rule.COUNCIL, {"quorum": ">=1/2"}, [YES] * 5, True),
    ],
)
def test_it_applies_param_overrides(rule, params, choices, passed):
    result = evaluate(rule, PollKind.YES_NO_ABSTAIN, YNA, heads(*choices), Electorate(10), params)
    assert result["passed"] is passed
    for name, value in params.items():
        assert result["params"][name] == value


# --- Single and multiple choice polls ----------------------------------------------------------

ABC = ("a", "b", "c")


@pytest.mark.parametrize(
    ("rule", "params", "choices", "carried", "passed", "reasons"),
    [
        # a: 3 for, 1 against (the b voter); the blank is neither
        (Rule.SIMPLE_MAJORITY, None, ["a", "a", "a", "b", None], ["a"], True, []),
        (Rule.SIMPLE_MAJORITY, None, ["a", "a", "b", "b"], [], False, ["pass"]),
        (Rule.SIMPLE_MAJORITY, None, ["a", "b", "c"], [], False, ["pass"]),
        (Rule.SIMPLE_MAJORITY, None, [None, None], [], False, ["pass"]),
        # a plurality is not enough for more than half of attendees
        (Rule.RESIDENTS_MEETING, None, ["a"] * 5 + ["b"] * 4 + [None], [], False, ["pass"]),
        (Rule.RESIDENTS_MEETING, None, ["a"] * 6 + ["b"] * 4, ["a"], True, []),
        (Rule.RESIDENTS_MEETING, None, ["a"] * 5, [], False, ["quorum"]),
        # a loose threshold can carry two options: a single-choice poll then has no winner
        (Rule.TWO_THIRDS, {"pass": ">=1/3"}, ["a", "a", "b", "b", "c"], ["a", "b"], False,
         ["several_carried"]),
    ],
)  # fmt: skip
def test_it_judges_each_option_of_a_single_choice_poll(
    rule, params, choices, carried, passed, reasons
):
    result = evaluate(rule, PollKind.SINGLE, ABC, heads(*choices), Electorate(10), params)
    assert result["carried"] == carried
    assert result["passed"] is passed
    assert result["reasons"] == reasons
    assert list(result["results"]) == list(ABC)


def test_it_counts_yes_and_no_per_option():
    result = evaluate(
        Rule.SIMPLE_MAJORITY, PollKind.SINGLE, ABC, heads("a", "a", "a", "b", None), Electorate(0)
    )
    assert result["results"]["a"]["yes"]["heads"] == 3
    assert result["results"]["a"]["no"]["heads"] == 1
    assert result["results"]["c"]["yes"]["heads"] == 0
    assert result["results"]["c"]["no"]["heads"] == 4
    assert result["blank"]["heads"] == 1


@pytest.mark.parametrize(
    ("choices", "carried"),
    [
        ([{"a", "b"}, {"a"}, {"b", "c"}, None], ["a", "b"]),
        ([{"a", "b", "c"}, {"a", "b", "c"}], ["a", "b", "c"]),
        ([{"a"}, {"b"}], []),
        ([{"c"}, {"c", "a"}, {"b"}], ["c"]),
        ([None], []),
    ],
)
def test_it_judges_each_option_of_a_multiple_choice_poll(choices, carried):
    result = evaluate(Rule.SIMPLE_MAJORITY, PollKind.MULTIPLE, ABC, heads(*choices), Electorate(0))
    assert result["carried"] == carried
    assert result["passed"] is bool(carried)


def test_it_keeps_results_for_yes_no_polls_to_the_yes_key():
    result = evaluate(
        Rule.SIMPLE_MAJORITY, PollKind.YES_NO_ABSTAIN, (ABSTAIN, NO, YES), [], Electorate(0)
    )
    assert list(result["results"]) == [YES]
    assert list(result["counts"]) == [ABSTAIN, NO, YES]


# --- Invalid input -----------------------------------------------------------------------------


THREE = Electorate(3)


def _call(rule=Rule.SIMPLE_MAJORITY, kind=PollKind.YES_NO_ABSTAIN, choices=YNA, votes=(),
          electorate=THREE, params=None):  # fmt: skip
    return lambda: evaluate(rule, kind, choices, votes, electorate, params)


INVALID = {
    "unknown rule": _call(rule="plurality"),
    "unknown kind": _call(kind="ranked"),
    "yes/no poll without abstain": _call(choices=(YES, NO)),
    "yes/no poll with an extra choice": _call(choices=(YES, NO, ABSTAIN, "maybe")),
    "duplicate choice": _call(kind=PollKind.SINGLE, choices=("a", "a")),
    "no choices": _call(kind=PollKind.SINGLE, choices=()),
    "choices as a string": _call(kind=PollKind.SINGLE, choices="ab"),
    "unknown choice": _call(votes=heads("maybe")),
    "yes and no at once": _call(votes=heads({YES, NO})),
    "two choices in a single poll": _call(
        kind=PollKind.SINGLE, choices=ABC, votes=heads({"a", "b"})
    ),
    "unknown choice in a multiple poll": _call(
        kind=PollKind.MULTIPLE, choices=ABC, votes=heads({"a", "d"})
    ),
    "duplicate head": _call(votes=[Vote("user:1", frozenset({YES})), Vote("user:1", frozenset())]),
    "not a vote": _call(votes=[("user:1", frozenset({YES}))]),
    "not an electorate": _call(electorate=3),
    "unknown param": _call(params={"quorum": ">1/2"}),
    "malformed threshold": _call(rule=Rule.COUNCIL, params={"quorum": "2/3"}),
    "unknown council mode": _call(rule=Rule.COUNCIL, params={"mode": "loudest"}),
    "threshold object as param": _call(
        rule=Rule.TWO_THIRDS, params={"pass": Threshold(F(1), True)}
    ),
    "params for owners": _call(rule=Rule.OWNERS_ORDINARY, params={"pass": ">1/2"}),
    "more voters than members": _call(rule=Rule.COUNCIL, votes=heads(YES, YES, YES, YES)),
    "more area than the estate": _call(
        rule=Rule.OWNERS_ORDINARY, votes=ballots((YES, "2")), electorate=Electorate(3, D("1"))
    ),
}


@pytest.mark.parametrize("call", INVALID.values(), ids=INVALID.keys())
def test_it_refuses_invalid_input(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Vote("", frozenset()),
        lambda: Vote("user:1", "yes"),
        lambda: Vote("user:1", frozenset(), 1.5),
        lambda: Vote("user:1", frozenset(), D("-1")),
        lambda: Vote("user:1", frozenset(), D("NaN")),
        lambda: Vote("user:1", frozenset(), D("0.001")),
        lambda: Electorate(-1),
        lambda: Electorate(True),
        lambda: Electorate(3, D("Infinity")),
        lambda: OwnerUnit(D("-5"), "user:1"),
        lambda: OwnerUnit(D("5"), ""),
        lambda: rules.owners_electorate([("user:1", D("5"))]),
    ],
)
def test_it_refuses_malformed_values(make):
    with pytest.raises(ValueError):
        make()


def test_it_accepts_any_iterable_of_choices_on_a_vote():
    assert Vote("user:1", {YES}) == Vote("user:1", frozenset({YES}), D(0))
    assert Vote("user:1", [], 3).area == D(3)


# --- Snapshot shape ----------------------------------------------------------------------------


def test_it_returns_a_complete_snapshot():
    votes, electorate = owners((YES, "85.5"), (NO, "10"), (None, "4.5"))
    result = evaluate(Rule.OWNERS_ORDINARY, PollKind.YES_NO_ABSTAIN, YNA, votes, electorate)
    assert result == {
        "schema": 1,
        "rule": "owners_ordinary",
        "kind": "yes_no_abstain",
        "source": {
            "title": "Owners' joint decision, ordinary matter",
            "jurisdiction": "CN",
            "law": "《民法典》第二百七十八条",
            "effective": "2021-01-01",
        },
        "params": {"participation": ">=2/3", "pass": ">1/2"},
        "choices": ["yes", "no", "abstain"],
        "electorate": {"heads": 3, "area": "100.00"},
        "participation": {"heads": 3, "area": "100.00"},
        "blank": {"heads": 1, "area": "4.50"},
        "counts": {
            "yes": {"heads": 1, "area": "85.50"},
            "no": {"heads": 1, "area": "10.00"},
            "abstain": {"heads": 0, "area": "0.00"},
        },
        "quorum_met": True,
        "results": {
            "yes": {
                "passed": False,
                "reasons": ["pass_heads"],
                "yes": {"heads": 1, "area": "85.50"},
                "no": {"heads": 1, "area": "10.00"},
            }
        },
        "passed": False,
        "carried": [],
        "reasons": ["pass_heads"],
    }


@pytest.mark.parametrize("rule", rules.RULES)
def test_it_cites_a_source_for_every_rule(rule):
    source = rules.RULE_SOURCES[rule]
    assert set(source) == {"title", "jurisdiction", "law", "effective"}
    assert source["jurisdiction"] in {"CN", "template"}
    if source["jurisdiction"] == "CN":
        datetime.strptime(source["effective"], "%Y-%m-%d")  # noqa: DTZ007
    else:
        assert source["effective"] is None
    assert set(rules.DEFAULT_PARAMS) == set(rules.RULES)


# --- Properties --------------------------------------------------------------------------------

OPTIONS = {
    PollKind.YES_NO_ABSTAIN: (YNA, [frozenset(), *(frozenset({c}) for c in YNA)]),
    PollKind.SINGLE: (ABC, [frozenset(), *(frozenset({c}) for c in ABC)]),
    PollKind.MULTIPLE: (
        ABC,
        [frozenset(s) for s in ([], ["a"], ["b"], ["c"], ["a", "b"], ["a", "c"], ["a", "b", "c"])],
    ),
}


@st.composite
def polls(draw, rules_=rules.RULES):
    rule = draw(st.sampled_from(rules_))
    kind = draw(st.sampled_from(rules.POLL_KINDS))
    choices, ballots_ = OPTIONS[kind]
    entries = draw(
        st.lists(st.tuples(st.sampled_from(ballots_), st.integers(0, 50_000)), max_size=15)
    )
    votes = [
        Vote(f"user:{i}", chosen, D(cents).scaleb(-2)) for i, (chosen, cents) in enumerate(entries)
    ]
    extra_heads = draw(st.integers(0, 8))
    extra_cents = draw(st.integers(0, 200_000))
    area = sum((v.area for v in votes), D(0)) + D(extra_cents).scaleb(-2)
    electorate = Electorate(len(votes) + extra_heads, area)
    return rule, kind, choices, votes, electorate


@given(st.data())
def test_it_gives_the_same_snapshot_for_any_order_of_ballots(data):
    rule, kind, choices, votes, electorate = data.draw(polls())
    shuffled = data.draw(st.permutations(votes))
    expected = evaluate(rule, kind, choices, votes, electorate)
    assert evaluate(rule, kind, choices, shuffled, electorate) == expected
    assert json.dumps(evaluate(rule, kind, choices, shuffled, electorate)) == json.dumps(expected)


def _plain(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | bool)


@given(polls())
def test_it_recomputes_the_frozen_result_from_the_ballots(poll):
    snapshot = evaluate(*poll)
    assert _plain(snapshot)
    frozen = json.loads(json.dumps(snapshot))
    assert frozen == snapshot
    assert evaluate(*poll) == frozen


@given(polls(rules_=rules.OWNERS_RULES))
def test_it_never_passes_an_owners_vote_without_the_gate_and_a_head_majority(poll):
    rule, kind, choices, votes, electorate = poll
    snapshot = evaluate(*poll)
    participating = snapshot["participation"]["heads"]
    for choice, result in snapshot["results"].items():
        if result["passed"]:
            assert snapshot["quorum_met"]
            assert result["yes"]["heads"] * 2 > participating
            assert snapshot["counts"][choice]["heads"] * 2 > participating
            assert D(result["yes"]["area"]) * 2 > D(snapshot["participation"]["area"])
    if snapshot["passed"]:
        assert snapshot["quorum_met"]
        assert snapshot["participation"]["heads"] * 3 >= electorate.heads * 2


# --- Deadlines and periods ---------------------------------------------------------------------

FRI = datetime(2024, 6, 7, 17, 30, tzinfo=CST)  # a Friday
SAT = FRI + timedelta(days=1)
SUN = FRI + timedelta(days=2)
MON = FRI + timedelta(days=3)


@pytest.mark.parametrize(
    ("start", "days", "working", "expected"),
    [
        (FRI, 0, False, FRI),
        (FRI, 1, False, SAT),
        (FRI, 3, False, MON),
        (FRI, 0, True, FRI),
        (FRI, 1, True, MON),
        (FRI, 2, True, MON + timedelta(days=1)),
        (FRI, 5, True, FRI + timedelta(days=7)),
        (FRI, 6, True, MON + timedelta(days=7)),
        (SAT, 0, True, SAT),
        (SAT, 1, True, MON),
        (SUN, 1, True, MON),
        (SUN, 5, True, FRI + timedelta(days=7)),
        (MON, 4, True, FRI + timedelta(days=7)),
        (MON, 5, True, MON + timedelta(days=7)),
        (MON, 13, True, MON + timedelta(days=17)),
        (FRI, 3, True, FRI + timedelta(days=5)),
    ],
)
def test_it_adds_calendar_and_working_days(start, days, working, expected):
    result = rules.add_days(start, days, working=working)
    assert result == expected
    assert result.tzinfo is start.tzinfo
    assert (result.hour, result.minute) == (17, 30)


@pytest.mark.parametrize(
    "call",
    [
        lambda: rules.add_days(FRI, -1),
        lambda: rules.add_days(FRI, 1.5),
        lambda: rules.add_days(FRI.replace(tzinfo=None), 1),
        lambda: rules.deadline_for(FRI, 1, grace_days=-1),
        lambda: rules.period_elapsed(FRI, -7, FRI),
    ],
)
def test_it_refuses_negative_days_and_naive_datetimes(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    ("days", "working", "grace", "expected"),
    [
        (None, False, 5, None),
        (None, True, 0, None),
        (3, False, 0, FRI + timedelta(days=3)),
        (1, True, 0, MON),
        # one working day lands on Monday, then two calendar days of grace
        (1, True, 2, MON + timedelta(days=2)),
        # grace days are calendar days: Thursday + 2 = Saturday
        (4, True, 2, MON + timedelta(days=5)),
    ],
)
def test_it_computes_deadlines_with_grace(days, working, grace, expected):
    assert rules.deadline_for(FRI, days, working=working, grace_days=grace) == expected


@pytest.mark.parametrize(
    ("deadline", "now", "done", "overdue"),
    [
        (MON, MON, False, False),
        (MON, MON + timedelta(microseconds=1), False, True),
        (MON, MON - timedelta(seconds=1), False, False),
        (MON, MON + timedelta(days=30), True, False),
        (None, MON, False, False),
        # the same instant in another zone
        (MON, MON.astimezone(UTC) + timedelta(seconds=1), False, True),
    ],
)
def test_it_is_overdue_only_strictly_after_the_deadline(deadline, now, done, overdue):
    assert rules.is_overdue(deadline, now, done=done) is overdue


@pytest.mark.parametrize(
    ("days", "now", "elapsed"),
    [
        (7, FRI + timedelta(days=7), True),
        (7, FRI + timedelta(days=7) - timedelta(microseconds=1), False),
        (15, FRI + timedelta(days=14), False),
        (15, FRI + timedelta(days=15), True),
        (0, FRI, True),
    ],
)
def test_it_runs_notice_periods_to_their_end(days, now, elapsed):
    assert rules.period_elapsed(FRI, days, now) is elapsed


CAPS = {"service": "200000", "works": D("400000")}


@pytest.mark.parametrize(
    ("project_type", "amount", "within"),
    [
        ("service", D("200000"), True),
        ("service", D("200000.00"), True),
        ("service", D("200000.01"), False),
        ("service", D("0"), True),
        ("works", D("400000"), True),
        ("works", D("400000.01"), False),
        ("works", 400001, False),
        ("goods", D("99999999"), True),
    ],
)
def test_it_checks_micro_project_budgets_against_caps(project_type, amount, within):
    assert rules.within_budget(project_type, amount, CAPS) is within


@pytest.mark.parametrize(
    ("project_type", "amount", "caps"),
    [
        ("service", D("-0.01"), CAPS),
        ("service", 1.5, CAPS),
        ("service", "100", CAPS),
        ("party", D("1"), CAPS),
        ("service", D("1"), {"service": "lots"}),
        ("service", D("1"), {"service": "-1"}),
    ],
)
def test_it_refuses_invalid_budgets(project_type, amount, caps):
    with pytest.raises(ValueError):
        rules.within_budget(project_type, amount, caps)


def test_it_uses_the_default_caps_setting():
    caps = rules.setting({}, "micro_project.caps")
    assert rules.within_budget("goods", D("200000"), caps) is True
    assert rules.within_budget("goods", D("200000.01"), caps) is False


weekday_starts = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, CST]),
)


@given(weekday_starts, st.integers(1, 400))
def test_it_never_lands_on_a_weekend_when_counting_working_days(start, days):
    result = rules.add_days(start, days, working=True)
    assert result.weekday() < 5
    assert result.tzinfo is start.tzinfo
    assert result.time() == start.time()
    # exactly `days` weekdays lie in (start, result]
    weekdays = sum(
        1
        for n in range(1, (result.date() - start.date()).days + 1)
        if (start.date() + timedelta(days=n)).weekday() < 5
    )
    assert weekdays == days


@given(weekday_starts, st.integers(0, 400))
def test_it_moves_deadlines_later_with_more_working_days(start, days):
    assert rules.add_days(start, days, working=True) < rules.add_days(start, days + 1, working=True)
    assert rules.add_days(start, days) < rules.add_days(start, days + 1)


# --- Community settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "default"),
    [
        ("residents_meeting.quorum", ">1/2"),
        ("residents_meeting.pass", ">1/2"),
        ("representatives_meeting.quorum", ">=2/3"),
        ("representatives_meeting.pass", ">1/2"),
        ("council.quorum", ">=2/3"),
        ("council.pass", ">1/2"),
        ("council.mode", "yes_over_no"),
        ("party_review.quorum", ">=2/3"),
        ("party_review.pass", ">1/2"),
        ("notice.days", 7),
        ("objection.answer_days", 3),
        ("owners.notice_days", 15),
        ("consultation.days", 14),
        ("concern.urgent_days", 1),
        ("concern.enquiry_days", 3),
        ("concern.complaint_days", 13),
        ("escalation.answer_days", 10),
        ("micro_project.caps", {"service": "200000", "goods": "200000", "works": "400000"}),
        ("micro_project.report_days", 30),
    ],
)
def test_it_falls_back_to_the_template_defaults(key, default):
    assert rules.setting({}, key) == default
    assert rules.setting(None, key) == default
    assert rules.setting({"other.key": "ignored"}, key) == default


def test_it_has_exactly_the_documented_settings():
    assert len(rules.DEFAULT_SETTINGS) == 21


@pytest.mark.parametrize("value", [0, 101, -1, True, "3", 2.5, None])
def test_it_refuses_a_proxy_cap_that_is_not_a_whole_number_from_1_to_100(value):
    with pytest.raises(ValueError):
        rules.setting({"proxy.max_per_proxy": value}, "proxy.max_per_proxy")


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_it_takes_only_true_or_false_for_council_proxies(value):
    with pytest.raises(ValueError):
        rules.setting({"proxy.council_allowed": value}, "proxy.council_allowed")


def test_it_reads_the_proxy_settings():
    assert rules.setting({}, "proxy.max_per_proxy") == 3
    assert rules.setting({"proxy.max_per_proxy": 5}, "proxy.max_per_proxy") == 5
    assert rules.setting({}, "proxy.council_allowed") is False
    assert rules.setting({"proxy.council_allowed": True}, "proxy.council_allowed") is True


def test_it_does_not_let_callers_mutate_the_default_caps():
    rules.setting({}, "micro_project.caps")["works"] = "1"
    assert rules.DEFAULT_SETTINGS["micro_project.caps"]["works"] == "400000"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("council.quorum", ">=1/2", ">=1/2"),
        ("council.quorum", ">=4/6", ">=2/3"),
        ("council.mode", "majority_of_members", "majority_of_members"),
        ("notice.days", 10, 10),
        ("notice.days", 0, 0),
        ("concern.complaint_days", 15, 15),
        ("micro_project.caps", {"service": "150000"}, {"service": "150000"}),
        ("micro_project.caps", {"works": D("500000.00")}, {"works": "500000.00"}),
        ("micro_project.caps", {}, {}),
    ],
)
def test_it_uses_a_valid_community_override(key, value, expected):
    assert rules.setting({key: value}, key) == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("council.quorum", "2/3"),
        ("council.quorum", 0.66),
        ("council.pass", ">=3/2"),
        ("council.mode", "loudest"),
        ("notice.days", -1),
        ("notice.days", "7"),
        ("notice.days", 7.0),
        ("notice.days", True),
        ("micro_project.caps", "200000"),
        ("micro_project.caps", {"service": "lots"}),
        ("micro_project.caps", {"service": "-1"}),
        ("micro_project.caps", {"service": 1.5}),
        ("micro_project.caps", {"canteen": "1"}),
    ],
)
def test_it_refuses_an_invalid_override(key, value):
    with pytest.raises(ValueError):
        rules.setting({key: value}, key)


def test_it_refuses_unknown_setting_keys():
    with pytest.raises(KeyError):
        rules.setting({}, "council.speech_minutes")
    with pytest.raises(KeyError):
        rules.validate_settings({"council.speech_minutes": 2})
    assert rules.validate_settings({"council.quorum": ">=6/9"}) == {"council.quorum": ">=2/3"}


def test_it_builds_evaluate_params_from_settings():
    assert rules.council_params({}) == {"quorum": ">=2/3", "pass": ">1/2", "mode": "yes_over_no"}
    assert rules.council_params({"council.mode": "majority_of_members"})["mode"] == (
        "majority_of_members"
    )
    assert rules.residents_meeting_params({"residents_meeting.quorum": ">=1/3"}) == {
        "quorum": ">=1/3",
        "pass": ">1/2",
    }
    assert rules.party_review_params({}) == {
        "quorum": ">=2/3",
        "pass": ">1/2",
        "mode": "majority_of_members",
    }


@pytest.mark.parametrize(
    ("present", "yes", "passed"),
    [
        # 12 party members due: 8 present is 2/3; yes must exceed 6 of the 12 due, not of the 8
        (8, 6, False),
        (8, 7, True),
        (7, 7, False),
    ],
)
def test_it_reviews_in_the_party_assembly_against_members_due(present, yes, passed):
    votes = heads(*([YES] * yes + [NO] * (present - yes)))
    result = evaluate(
        Rule.COUNCIL,
        PollKind.YES_NO_ABSTAIN,
        YNA,
        votes,
        Electorate(12),
        rules.party_review_params({}),
    )
    assert result["passed"] is passed


@pytest.mark.parametrize(("days", "ok"), [(14, False), (15, True), (30, True)])
def test_it_never_lets_a_community_shorten_the_owners_notice_below_15_days(days, ok):
    setting = rules.setting
    if ok:
        assert setting({"owners.notice_days": days}, "owners.notice_days") == days
    else:
        with pytest.raises(ValueError, match="15 days"):
            setting({"owners.notice_days": days}, "owners.notice_days")
