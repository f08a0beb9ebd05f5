"""Shared pieces of the world generator: money, calendar, ids, and the settlement record that
platform generators hand to the bank-feed generator."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def pct(amount: Decimal, rate: str) -> Decimal:
    return money(amount * Decimal(rate))


def to_float(value: Decimal) -> float:
    """Rutter and Plaid write decimal major units as JSON numbers."""
    return float(value)


def to_minor(value: Decimal) -> int:
    """Stripe writes integer minor units."""
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def is_business_day(d: date) -> bool:
    return d.weekday() < 5


@lru_cache(maxsize=64)
def _fed_closed(year: int) -> frozenset[date]:
    """Days the Federal Reserve's ACH and wire services are closed in `year` (its published
    holiday schedule: the federal holidays; one on a Sunday is observed on the Monday, one on a
    Saturday is not moved)."""
    days = set()
    for day, name in holidays.US(years=year, observed=True).items():
        if "observed" in name.lower() and day.weekday() == 4:
            continue
        days.add(day)
    return frozenset(days)


def is_bank_day(d: date) -> bool:
    """A day a US bank posts ACH credits: a business day that is not a Federal Reserve holiday."""
    return is_business_day(d) and d not in _fed_closed(d.year)


def next_bank_day(d: date) -> date:
    while not is_bank_day(d):
        d += timedelta(days=1)
    return d


def add_business_days(d: date, n: int) -> date:
    while not is_business_day(d):
        d += timedelta(days=1)
    while n > 0:
        d += timedelta(days=1)
        if is_business_day(d):
            n -= 1
    return d


def at(d: date, seconds: int = 0) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC) + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


class Ids:
    """Deterministic ids from the world's random stream."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def token(self, prefix: str, n: int = 24) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(n))

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))


@dataclass
class Settlement:
    """Money a platform sends to (amount > 0) or takes from (< 0) the bank account."""

    connection: str                  # "rutter:<id>" / "stripe:<acct>"
    platform: str                    # for the bank descriptor
    currency: str                    # upper-case ISO code of the payout
    amount: Decimal
    arrival: date                    # when the platform says it arrives
    payout: str | None = None        # reference of an explicit payout
    items: list[str] = field(default_factory=list)  # inferred deposits: the transaction refs


@dataclass
class Fees:
    totals: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def add(self, connection: str, currency: str, amount: Decimal) -> None:
        per = self.totals.setdefault(connection, {})
        per[currency] = per.get(currency, Decimal("0")) + amount


@dataclass
class Context:
    rng: random.Random
    ids: Ids
    start: date
    days: int
    scale: float
    company: str
    last_day: date = field(init=False)
    events: list[dict] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)
    fees: Fees = field(default_factory=Fees)

    def __post_init__(self):
        self.last_day = self.start + timedelta(days=self.days - 1)

    def dates(self):
        for n in range(self.days):
            yield self.start + timedelta(days=n)

    def volume(self, base: float) -> int:
        """Orders for one day: Poisson-ish around base * scale, busier on weekends for retail."""
        mean = base * self.scale
        return max(0, int(self.rng.gauss(mean, max(1.0, mean ** 0.5))))

    def event(self, moment: datetime, provider: str, connection: str, kind: str, obj: dict) -> None:
        self.events.append({"at": iso(moment), "provider": provider, "connection": connection,
                            "op": "upsert", "kind": kind, "object": obj})
