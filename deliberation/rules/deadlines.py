"""Deadlines and periods: calendar and working days, due dates with grace, notice periods.

Pure, like the rest of `deliberation.rules`: aware datetimes in, aware datetimes out; bad input
raises ValueError.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def _aware(value: object, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: {value!r}")
    return value


def day_count(value: object, what: str = "days") -> int:
    """`value` as a count of days: a non-negative int, else ValueError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative int: {value!r}")
    return value


def add_days(start: datetime, days: int, *, working: bool = False) -> datetime:
    """Add calendar days, or working days skipping Sat/Sun only (no holiday calendar); keeps tz."""
    _aware(start, "start")
    days = day_count(days)
    if not working:
        return start + timedelta(days=days)
    if days == 0:
        return start
    # The n-th working day after a Saturday or Sunday is the n-th after the Friday before it.
    if start.weekday() >= 5:
        start -= timedelta(days=start.weekday() - 4)
    weeks, rest = divmod(days, 5)
    result = start + timedelta(weeks=weeks)
    while rest:
        result += timedelta(days=1)
        if result.weekday() < 5:
            rest -= 1
    return result


def deadline_for(
    start: datetime, days: int | None, *, working: bool = False, grace_days: int = 0
) -> datetime | None:
    """When something started at start is due: days (maybe working) then calendar grace days."""
    grace_days = day_count(grace_days, "grace_days")
    if days is None:
        return None
    return add_days(add_days(start, days, working=working), grace_days)


def is_overdue(deadline: datetime | None, now: datetime, *, done: bool = False) -> bool:
    """Whether an open item is past its deadline; at the deadline itself it is not yet overdue."""
    if done or deadline is None:
        return False
    return _aware(now, "now") > _aware(deadline, "deadline")


def period_elapsed(start: datetime, days: int, now: datetime) -> bool:
    """Whether a minimum notice period (e.g. 7-day 公示, 15-day owners' notice) has fully run."""
    return _aware(now, "now") >= add_days(start, days)
