"""Money helpers: every amount in Tieout is a Decimal quantized to its currency's minor unit.

Provider conventions are converted at the edge with these helpers (Stripe integer minor units,
Rutter decimal major units, Plaid decimal major units with "positive = money out").
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

# ISO 4217 minor units that differ from 2 (SIX, ISO 4217 list one, "Minor unit" column). The
# ledger stores and rounds every amount at this precision.
ISO_4217_EXPONENTS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    "CLF": 4,
    "UYW": 4,
}
# Where Stripe's integer amounts count a currency differently from ISO: MGA is in Stripe's
# zero-decimal list (ISO gives it 2), and ISK "remains a two-decimal currency in the Stripe API"
# (an amount of 100 is 1 krona) although ISO gives it 0. Sources: docs.stripe.com/currencies
# (#zero-decimal, #special-cases); support.stripe.com/questions/deprecation-of-fractional-isk-
# charges-and-refunds. Stripe's three-decimal list (BHD JOD KWD OMR TND) agrees with ISO.
STRIPE_EXPONENTS = {"MGA": 0, "ISK": 2}

# One rounding rule everywhere money is rounded: half to even (banker's rounding), as ledgers
# and IEEE 754 decimal arithmetic do, so repeated roundings carry no upward bias.
ROUNDING = ROUND_HALF_EVEN

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
    return ISO_4217_EXPONENTS.get(normalize_currency(currency), 2)


@lru_cache(maxsize=512)
def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts carry for `currency` (see STRIPE_EXPONENTS)."""
    code = normalize_currency(currency)
    return STRIPE_EXPONENTS.get(code, minor_exponent(code))


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
    """Round to the currency's minor unit (ROUNDING)."""
    return to_decimal(value).quantize(minor_unit(currency), rounding=ROUNDING)


def from_minor(value: int, currency: str, *, exponent: int | None = None) -> Decimal:
    """Integer minor units -> Decimal major units at the ledger's precision.

    `exponent` is the sender's count of decimals when it differs from ISO (Stripe's:
    `stripe_exponent`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(f"minor units must be an integer, got {value!r}")
    places = minor_exponent(currency) if exponent is None else exponent
    return quantize(Decimal(value).scaleb(-places), currency)


def format_amount(value: Decimal, currency: str) -> str:
    """Decimal string in the currency's precision, as the API and exports write money."""
    return f"{quantize(value, currency):f}"
