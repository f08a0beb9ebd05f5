"""Business-day arithmetic for bank posting dates."""

from __future__ import annotations

from datetime import date, timedelta


def _roll_to_business_day(d: date) -> date:
    # A payout "arriving" on a weekend is posted by the bank on the next business day.
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _weekdays_before(d: date) -> int:
    """Number of weekdays strictly before ``d`` since a fixed Monday (ordinal arithmetic)."""
    days = d.toordinal() - 1  # ordinal 1 (0001-01-01) is a Monday
    weeks, rest = divmod(days, 7)
    return weeks * 5 + min(rest, 5)


def business_days_between(start: date, end: date) -> int:
    """Signed business-day offset from ``start`` to ``end`` (weekends rolled forward first)."""
    a = _roll_to_business_day(start)
    b = _roll_to_business_day(end)
    return _weekdays_before(b) - _weekdays_before(a)
