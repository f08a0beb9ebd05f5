"""Money and calendar helpers shared by the engine modules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

# Stripe's zero- and three-decimal currencies (ISO 4217 agrees except ISK/HUF/TWD, which Stripe
# and most banks carry with two decimals).
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

# Rough reference rates to USD, used only when the caller supplies none. They decide nothing on
# their own: a conversion must also land inside a wide tolerance, carry the platform's name and
# be the only fit (see deposits.py).
BUILTIN_USD_RATES = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.10"),
    "GBP": Decimal("1.30"),
    "CAD": Decimal("0.73"),
    "AUD": Decimal("0.66"),
    "NZD": Decimal("0.60"),
    "CHF": Decimal("1.15"),
    "JPY": Decimal("0.0068"),
    "SEK": Decimal("0.10"),
    "NOK": Decimal("0.095"),
    "DKK": Decimal("0.148"),
    "PLN": Decimal("0.26"),
    "CZK": Decimal("0.044"),
    "MXN": Decimal("0.054"),
    "BRL": Decimal("0.18"),
    "INR": Decimal("0.012"),
    "SGD": Decimal("0.76"),
    "HKD": Decimal("0.128"),
    "ZAR": Decimal("0.055"),
}


def minor_exponent(currency: str) -> int:
    cur = currency.upper()
    if cur in ZERO_DECIMAL:
        return 0
    if cur in THREE_DECIMAL:
        return 3
    return 2


def quantize(amount: Decimal, currency: str) -> Decimal:
    return Decimal(amount).quantize(Decimal(1).scaleb(-minor_exponent(currency)), ROUND_HALF_UP)


def from_minor_units(value: int, currency: str) -> Decimal:
    return quantize(Decimal(int(value)).scaleb(-minor_exponent(currency)), currency)


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
