"""Business-day arithmetic for bank posting dates, on a bank calendar: weekends and the holidays
the caller passes (`Settings.bank_holidays`: the days the bank's clearing system is closed)."""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from functools import lru_cache


def _roll_to_business_day(d: date, holidays: frozenset[date]) -> date:
    # A payout "arriving" on a weekend or holiday is posted by the bank on the next business day.
    while d.weekday() >= 5 or d in holidays:
        d += timedelta(days=1)
    return d


def _weekdays_before(d: date) -> int:
    """Number of weekdays strictly before ``d`` since a fixed Monday (ordinal arithmetic)."""
    days = d.toordinal() - 1  # ordinal 1 (0001-01-01) is a Monday
    weeks, rest = divmod(days, 7)
    return weeks * 5 + min(rest, 5)


@lru_cache(maxsize=16)
def _weekday_holidays(holidays: frozenset[date]) -> tuple[int, ...]:
    return tuple(sorted(d.toordinal() for d in holidays if d.weekday() < 5))


def business_days_between(start: date, end: date, holidays: frozenset[date] = frozenset()) -> int:
    """Signed business-day offset from ``start`` to ``end`` (non-business days rolled forward
    first): weekdays between them that are not holidays."""
    a = _roll_to_business_day(start, holidays)
    b = _roll_to_business_day(end, holidays)
    offset = _weekdays_before(b) - _weekdays_before(a)
    if holidays:
        days = _weekday_holidays(holidays)
        offset -= bisect.bisect_left(days, b.toordinal()) - bisect.bisect_left(days, a.toordinal())
    return offset
