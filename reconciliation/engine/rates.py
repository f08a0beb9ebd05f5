"""Reference FX rates: the caller's (dated, e.g. a central bank's daily series, or undated), and a
rough built-in table the engine falls back on when it has none for a pair."""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

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


# How far from the day of the conversion a dated reference may be: a central bank publishes on its
# own business days, so the rate of the bank line's day may be a few days old (holidays).
DATED_LOOKBACK = timedelta(days=7)
DATED_LOOKAHEAD = timedelta(days=3)


class Rates:
    """Rate lookups for one run: `get(base, quote, on)` -> (rate, source), where source is
    "reference" (a dated rate of the caller's within DATED_LOOKBACK/LOOKAHEAD of the day),
    "supplied" (an undated rate of the caller's) or "builtin" (the rough table)."""

    def __init__(self, fx_rates):
        self._undated: dict[tuple[str, str], Decimal] = {}
        dated: dict[tuple[str, str], list[tuple[date, Decimal]]] = defaultdict(list)
        for r in fx_rates:
            key = (r.base.upper(), r.quote.upper())
            if r.on is None:
                self._undated[key] = r.rate
            else:
                dated[key].append((r.on, r.rate))
        self._dated = {k: sorted(v) for k, v in dated.items()}
        self._days = {k: [d for d, _ in v] for k, v in self._dated.items()}

    def _on(self, key: tuple[str, str], on: date | None) -> Decimal | None:
        series = self._dated.get(key)
        if not series or on is None:
            return None
        i = bisect.bisect_right(self._days[key], on)
        if i and on - series[i - 1][0] <= DATED_LOOKBACK:
            return series[i - 1][1]
        if i < len(series) and series[i][0] - on <= DATED_LOOKAHEAD:
            return series[i][1]
        return None

    def get(self, base: str, quote: str, on: date | None = None) -> tuple[Decimal, str] | None:
        base, quote = base.upper(), quote.upper()
        rate = self._on((base, quote), on)
        if rate is None and (inverse := self._on((quote, base), on)):
            rate = Decimal(1) / inverse
        if rate is not None:
            return rate, "reference"
        if (base, quote) in self._undated:
            return self._undated[(base, quote)], "supplied"
        if (quote, base) in self._undated and self._undated[(quote, base)]:
            return Decimal(1) / self._undated[(quote, base)], "supplied"
        if base in BUILTIN_USD_RATES and quote in BUILTIN_USD_RATES:
            return BUILTIN_USD_RATES[base] / BUILTIN_USD_RATES[quote], "builtin"
        return None
