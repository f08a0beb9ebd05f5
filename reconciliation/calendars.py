"""Bank calendars for the engine: the holidays on which deposits do not post.

US: the Federal Reserve's holidays (Fedwire and FedACH are closed), which are the US federal
holidays (the `holidays` package's US calendar); a holiday falling on a Saturday is not moved to
the Friday (the Fed is open that Friday), one on a Sunday is observed on the Monday. Other
countries use the `holidays` package's public holidays of that country; euro accounts the ECB's
TARGET closing days. A bank account's calendar is chosen by its currency (CURRENCY_CALENDARS).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def bank_holidays(country: str, first_year: int, last_year: int) -> frozenset[date]:
    years = range(first_year, last_year + 1)
    if country.upper() == "US":
        calendar = holidays.US(years=years, observed=True)
        out = set()
        for day, name in calendar.items():
            if day.weekday() == 4 and "observed" in name.lower():
                continue  # a Saturday holiday: the Fed is open on the Friday before
            out.add(day)
        return frozenset(out)
    if country.upper() == "ECB":
        return frozenset(holidays.financial_holidays("ECB", years=years).keys())
    return frozenset(holidays.country_holidays(country.upper(), years=years).keys())


CURRENCY_CALENDARS = {"USD": "US", "CAD": "CA", "GBP": "GB", "AUD": "AU", "NZD": "NZ", "EUR": "ECB",
                      "CHF": "CH", "SEK": "SE", "NOK": "NO", "DKK": "DK", "JPY": "JP", "SGD": "SG",
                      "HKD": "HK", "MXN": "MX", "BRL": "BR", "INR": "IN", "PLN": "PL", "CZK": "CZ"}


def holidays_for(*, currencies, days) -> frozenset[date]:
    """The holidays of the calendars of these bank-account currencies over the years of `days`
    (a union: a line is judged against every calendar a company's accounts follow)."""
    days = [d for d in days if d is not None]
    if not days:
        return frozenset()
    first, last = min(days).year, max(days).year + 1
    out: set[date] = set()
    for currency in sorted(set(currencies)):
        if (country := CURRENCY_CALENDARS.get(currency.upper())) is not None:
            out |= bank_holidays(country, first, last)
    return frozenset(out)
