"""Money helpers: every amount in Tieout is a Decimal quantized to its currency's minor unit.

Provider conventions are converted at the edge with these helpers (Stripe integer minor units,
Rutter decimal major units, Plaid decimal major units with "positive = money out").
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

# ISO 4217 exponents that differ from 2. Stripe's zero-decimal list is included (it treats a few
# currencies, e.g. ISK and UGX, as zero-decimal even though ISO gives them 2 or 0).
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())

ZERO = Decimal("0")

# Storage shape for money columns: room for any currency's minor unit (up to 3) plus one spare
# digit for FX rates and per-unit prices, and 15 integer digits.
MAX_DIGITS = 19
DECIMAL_PLACES = 4


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def normalize_currency(code: str) -> str:
    if not isinstance(code, str) or len(code.strip()) != 3 or not code.strip().isalpha():
        raise MoneyError(f"not an ISO 4217 currency code: {code!r}")
    return code.strip().upper()


@lru_cache(maxsize=512)  # a handful of currencies, looked up for every amount of every row
def minor_exponent(currency: str) -> int:
    code = normalize_currency(currency)
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


@lru_cache(maxsize=512)
def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_exponent(currency))


def to_decimal(value) -> Decimal:
    """Exact Decimal from a provider value; floats go through repr() so 29.3 stays 29.3."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"not an amount: {value!r}")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return result


def quantize(value, currency: str) -> Decimal:
    """Round to the currency's minor unit (banker's rounding, as ledgers do)."""
    return to_decimal(value).quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


def from_minor(value: int, currency: str) -> Decimal:
    """Integer minor units (Stripe) -> Decimal major units."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(f"minor units must be an integer, got {value!r}")
    return Decimal(value).scaleb(-minor_exponent(currency)).quantize(minor_unit(currency))


def to_minor(value, currency: str) -> int:
    """Decimal major units -> integer minor units; refuses amounts that are not whole minor units."""
    amount = to_decimal(value)
    scaled = amount.scaleb(minor_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def format_amount(value: Decimal, currency: str) -> str:
    """Decimal string in the currency's precision, as the API and exports write money."""
    return f"{quantize(value, currency):f}"
