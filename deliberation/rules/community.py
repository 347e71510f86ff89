"""A community's settings: the configurable defaults of domain-rules.md, their legal floors, how
an override is checked, and the micro-project budget caps.

Pure, like the rest of `deliberation.rules`: an unknown setting raises KeyError, a bad value
ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from deliberation.rules.counting import (
    COUNCIL_MODES,
    MAJORITY_OF_MEMBERS,
    PROJECT_TYPES,
    YES_OVER_NO,
    Threshold,
)
from deliberation.rules.deadlines import day_count


def _money(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValueError(f"{what} must be a decimal amount, not {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} is not a decimal amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{what} must be a finite, non-negative amount: {value!r}")
    return amount


def within_budget(project_type: str, amount: Decimal, caps: Mapping[str, str | Decimal]) -> bool:
    """Whether a micro-project's amount stays within its type's cap (§6); no cap means unlimited."""
    if project_type not in PROJECT_TYPES:
        raise ValueError(f"unknown project type {project_type!r}")
    if isinstance(amount, str):
        raise ValueError(f"amount must be a Decimal, not {amount!r}")
    amount = _money(amount, "amount")
    cap = caps.get(project_type)
    if cap is None:
        return True
    return amount <= _money(cap, f"cap for {project_type}")


# --- Community settings ------------------------------------------------------------------------

DEFAULT_SETTINGS: dict = {
    "residents_meeting.quorum": ">1/2",
    "residents_meeting.pass": ">1/2",
    "representatives_meeting.quorum": ">=2/3",
    "representatives_meeting.pass": ">1/2",
    "council.quorum": ">=2/3",
    "council.pass": ">1/2",
    "council.mode": YES_OVER_NO,
    "party_review.quorum": ">=2/3",
    "party_review.pass": ">1/2",
    "notice.days": 7,
    "objection.answer_days": 3,
    "owners.notice_days": 15,
    "consultation.days": 14,
    "concern.urgent_days": 1,
    "concern.enquiry_days": 3,
    "concern.complaint_days": 13,
    "escalation.answer_days": 10,
    "micro_project.caps": {"service": "200000", "goods": "200000", "works": "400000"},
    "micro_project.report_days": 30,
    # Proxies (委托, 物业管理条例 Art. 12): how many people one proxy may vote for in one poll or
    # meeting, and whether a council's members may vote by proxy at all (by default they may not).
    "proxy.max_per_proxy": 3,
    "proxy.council_allowed": False,
}

#: Floors set by law, not by local templates: a community may lengthen these periods, never
#: shorten them (物业管理条例 Art. 13: owners' meetings are announced 15 days ahead).
LEGAL_MINIMUM_DAYS = {"owners.notice_days": 15}


def _setting_kind(key: str) -> str:
    if key == "council.mode":
        return "mode"
    if key == "micro_project.caps":
        return "caps"
    if key.endswith((".quorum", ".pass")):
        return "threshold"
    if key == "proxy.max_per_proxy":
        return "count"
    if key == "proxy.council_allowed":
        return "flag"
    return "days"


def _clean_setting(key: str, value: object) -> object:
    kind = _setting_kind(key)
    if kind == "threshold":
        return Threshold.from_json(value).to_json()
    if kind == "mode":
        if value not in COUNCIL_MODES:
            raise ValueError(f"{key} must be one of {COUNCIL_MODES}: {value!r}")
        return value
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise ValueError(f"{key} must be a whole number from 1 to 100: {value!r}")
        return value
    if kind == "flag":
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false: {value!r}")
        return value
    if kind == "days":
        days = day_count(value, key)
        if days < LEGAL_MINIMUM_DAYS.get(key, 0):
            raise ValueError(f"{key} may not be shorter than {LEGAL_MINIMUM_DAYS[key]} days")
        return days
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must map project types to amounts: {value!r}")
    caps = {}
    for project_type, cap in value.items():
        if project_type not in PROJECT_TYPES:
            raise ValueError(f"{key}: unknown project type {project_type!r}")
        caps[project_type] = str(_money(cap, f"{key}.{project_type}"))
    return caps


def setting(overrides: Mapping | None, key: str):
    """A community's setting: its valid override, else the default; unknown key raises KeyError."""
    if key not in DEFAULT_SETTINGS:
        raise KeyError(key)
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValueError(f"settings overrides must be a mapping, not {overrides!r}")
    if overrides and key in overrides:
        return _clean_setting(key, overrides[key])
    default = DEFAULT_SETTINGS[key]
    return dict(default) if isinstance(default, dict) else default


def validate_settings(overrides: Mapping) -> dict:
    """Check every override a community stores; returns them cleaned, raises KeyError/ValueError."""
    return {key: setting(overrides, key) for key in overrides}


def council_params(overrides: Mapping | None) -> dict[str, str]:
    """Params for evaluate(Rule.COUNCIL, ...) from a community's settings (§4)."""
    return {
        "quorum": setting(overrides, "council.quorum"),
        "pass": setting(overrides, "council.pass"),
        "mode": setting(overrides, "council.mode"),
    }


def residents_meeting_params(overrides: Mapping | None) -> dict[str, str]:
    """Params for evaluate(Rule.RESIDENTS_MEETING, ...) from a community's settings (§2)."""
    return {
        "quorum": setting(overrides, "residents_meeting.quorum"),
        "pass": setting(overrides, "residents_meeting.pass"),
    }


def representatives_meeting_params(overrides: Mapping | None) -> dict[str, str]:
    """Params for a representatives' meeting, counted as Rule.RESIDENTS_MEETING (§2 template)."""
    return {
        "quorum": setting(overrides, "representatives_meeting.quorum"),
        "pass": setting(overrides, "representatives_meeting.pass"),
    }


def party_review_params(overrides: Mapping | None) -> dict[str, str]:
    """Params for the party members' review (§3 stage 3): council rule, majority of members due."""
    return {
        "quorum": setting(overrides, "party_review.quorum"),
        "pass": setting(overrides, "party_review.pass"),
        "mode": MAJORITY_OF_MEMBERS,
    }
