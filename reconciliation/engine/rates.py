"""Reference FX rates the engine falls back on when the caller supplies none."""

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
