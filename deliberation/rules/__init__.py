"""The pure rule layer: vote counting (`counting`), deadlines (`deadlines`) and a community's
settings (`community`).

Nothing here touches the database or Django. Callers load ballots and members, turn them into
the plain values of `counting` (``Vote``, ``Electorate``, ``OwnerUnit``) and store the dict that
``evaluate`` returns as the frozen result of a poll. The same ballots always give the same dict,
in whatever order they arrive, so a stored result can be checked at any time by counting again.

Arithmetic is exact. Shares are compared by cross-multiplication over ``Fraction``, never with
floats. "以上" (at or above) includes the boundary; "过半数" (more than half) is strict
(domain-rules, preamble). Areas are ``Decimal`` square metres with at most two decimal places.

Every invalid input raises ``ValueError`` (``KeyError`` only for an unknown setting name), so
callers can refuse bad data with one ``except``.
"""

from deliberation.rules.community import (
    DEFAULT_SETTINGS,
    LEGAL_MINIMUM_DAYS,
    council_params,
    party_review_params,
    representatives_meeting_params,
    residents_meeting_params,
    setting,
    validate_settings,
    within_budget,
)
from deliberation.rules.counting import (
    ABSTAIN,
    ATTENDANCE_RULES,
    COUNCIL_MODES,
    DEFAULT_PARAMS,
    DEVELOPER,
    EXTENDABLE_RULES,
    MAJORITY_OF_MEMBERS,
    NO,
    OWNERS_RULES,
    POLL_KINDS,
    PROJECT_TYPES,
    REASONS,
    RULE_SOURCES,
    RULES,
    SNAPSHOT_SCHEMA,
    YES,
    YES_NO_ABSTAIN_CHOICES,
    YES_OVER_NO,
    Electorate,
    OwnerUnit,
    PollKind,
    Rule,
    Threshold,
    Vote,
    evaluate,
    group_unit_ballots,
    owners_electorate,
)
from deliberation.rules.deadlines import (
    add_days,
    day_count,
    deadline_for,
    is_overdue,
    period_elapsed,
)

__all__ = [
    "ABSTAIN",
    "COUNCIL_MODES",
    "DEFAULT_PARAMS",
    "DEFAULT_SETTINGS",
    "DEVELOPER",
    "LEGAL_MINIMUM_DAYS",
    "MAJORITY_OF_MEMBERS",
    "NO",
    "ATTENDANCE_RULES",
    "EXTENDABLE_RULES",
    "OWNERS_RULES",
    "POLL_KINDS",
    "PROJECT_TYPES",
    "REASONS",
    "RULES",
    "RULE_SOURCES",
    "SNAPSHOT_SCHEMA",
    "YES",
    "YES_NO_ABSTAIN_CHOICES",
    "YES_OVER_NO",
    "Electorate",
    "OwnerUnit",
    "PollKind",
    "Rule",
    "Threshold",
    "Vote",
    "add_days",
    "council_params",
    "day_count",
    "deadline_for",
    "evaluate",
    "group_unit_ballots",
    "is_overdue",
    "owners_electorate",
    "party_review_params",
    "period_elapsed",
    "representatives_meeting_params",
    "residents_meeting_params",
    "setting",
    "validate_settings",
    "within_budget",
]
