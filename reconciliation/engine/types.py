"""The engine's plain-data vocabulary: what goes in, what comes out.

Everything is a frozen dataclass with ``Decimal`` money quantized to the currency's minor unit.
Sign conventions (the services map database rows into these; the world-file loader does the same
from provider payloads):

- ``BankLine.amount``: money INTO the bank account is positive (deposit), out is negative.
- ``Payout.amount``: net paid to the bank is positive; a payout that debits the bank is negative.
- ``PlatformItem.gross``: signed by its effect on the platform balance (sale +, refund -, fee -,
  commission -, chargeback -, reserve hold -, reserve release +). ``fee`` is >= 0 and deducted
  from that item; ``net = gross - fee``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal

ITEM_KINDS = (
    "sale",
    "refund",
    "fee",
    "commission",
    "chargeback",
    "chargeback_reversal",
    "reserve_hold",
    "reserve_release",
    "adjustment",
    "transfer",
    "payout",  # the payout's own balance transaction (Stripe); never part of a breakdown sum
    "other",
)
ItemKind = Literal[
    "sale",
    "refund",
    "fee",
    "commission",
    "chargeback",
    "chargeback_reversal",
    "reserve_hold",
    "reserve_release",
    "adjustment",
    "transfer",
    "payout",
    "other",
]
FeeCategory = Literal["processing", "marketplace"]
PayoutStatus = Literal["paid", "in_transit", "pending", "failed", "canceled"]
# Decision statuses: matched = apply/booked; suggested = show a person; ambiguous = several
# answers fit equally well, never applied; unmatched = nothing found (or a pending line).
DecisionStatus = Literal["matched", "suggested", "ambiguous", "unmatched"]
PriorState = Literal["applied", "manual", "rejected"]


@dataclass(frozen=True)
class BankLine:
    ref: str  # "plaid:<transaction_id>"
    account_ref: str
    date: date
    amount: Decimal  # + = into the bank
    currency: str  # upper-case ISO 4217
    description: str = ""
    merchant_name: str = ""
    pending: bool = False  # pending lines are never matched


@dataclass(frozen=True)
class Connection:
    ref: str  # "rutter:<id>" / "stripe:<acct>"
    platform: str  # Rutter platform enum, or "STRIPE" for direct Stripe accounts
    has_payout_objects: bool  # False: deposits are inferred from unpaid settled transactions
    currency: str = ""  # the store's settlement currency, when known
    # Rutter serves only /orders for it (BigCommerce, Squarespace): its deposits are inferred
    # from `Inputs.orders`, net of a fee nothing reports (engine/orders.py).
    orders_only: bool = False


@dataclass(frozen=True)
class Payout:
    ref: str  # "rutter:<conn>:<id>" / "stripe:<acct>:<id>"
    connection_ref: str
    platform: str
    amount: Decimal  # net; + = paid to the bank, - = debited from it
    currency: str
    created_on: date
    arrival_on: date | None = None
    status: str = "paid"  # PayoutStatus
    # Strings that may appear in a bank descriptor: platform id, trace id, statement descriptor.
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformItem:
    ref: str
    connection_ref: str
    payout_ref: str | None  # None = not paid out yet, or the platform has no payout objects
    kind: str  # one of ITEM_KINDS
    gross: Decimal
    fee: Decimal  # >= 0, deducted from this item
    net: Decimal  # gross - fee
    currency: str
    occurred_on: date
    settled_on: date | None = None  # None = not settled (never grouped into an inferred payout)
    order_ref: str | None = None
    raw_type: str = ""  # the provider's own type, kept for "other" and for explanations
    fee_category: FeeCategory = "processing"  # what `fee` is: card processing or commission
    # The provider's timestamp (Rutter created_at, Stripe created), when known: orders the items
    # of one settlement day. Without it the order inside a day is unknown.
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class FxRate:
    """Reference rate: 1 unit of ``base`` = ``rate`` units of ``quote`` (e.g. EUR->USD 1.08), on
    day ``on`` (a daily reference series), or for any day when ``on`` is None."""

    base: str
    quote: str
    rate: Decimal
    on: date | None = None


@dataclass(frozen=True)
class FeeSchedule:
    """A gateway's per-order fee for an orders-only store: fee = round(rate x gross + fixed) to
    the minor unit (`rounding`: half_up, half_even or down), refunds return no fee. `source`:
    default (a platform's rate card), learned (tied deposits confirmed it), person (a person
    accepted a deposit it explained); `confirmed` lets its answers be applied."""

    connection_ref: str
    rate: Decimal
    fixed: Decimal
    rounding: str = "half_up"
    currency: str = ""
    source: str = "default"
    confirmed: bool = False
    # A platform's own transaction fee taken from the same payout, rounded on its own
    # (Squarespace's Business plan: 3 % of the order, besides the processor's fee).
    extra_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class InferredGroup:
    connection_ref: str
    item_refs: tuple[str, ...]  # sorted


@dataclass(frozen=True)
class PriorDecision:
    """A decision already taken: respected as-is on every run.

    applied / manual: the bank line, its payouts and its items are locked to each other.
    rejected: that exact answer is never proposed again for that bank line; a rejection with no
    payouts and no inferred group means "this line is not platform money: leave it alone".
    """

    bank_ref: str
    state: str  # PriorState
    payout_refs: tuple[str, ...] = ()
    inferred: InferredGroup | None = None
    confidence: float = 1.0


@dataclass(frozen=True)
class Settings:
    auto_threshold: float = 0.85  # >= : applied automatically
    suggest_threshold: float = 0.5  # >= : suggested; below: left unmatched
    ambiguity_margin: float = 0.08  # an alternative this close means "ambiguous"
    max_days_early: int = 2  # business days a bank line may precede the payout's arrival
    max_days_late: int = 5  # business days a bank line may follow it
    max_payouts_per_line: int = 4  # several payouts landing as one bank line
    fx_tolerance: Decimal = Decimal("0.03")  # with a supplied reference rate
    fx_tolerance_builtin: Decimal = Decimal("0.12")  # with the rough built-in table only
    inferred_max_lag_days: int = 14  # last settled item -> deposit, calendar days
    inferred_max_span_days: int = 45  # first -> last item of one inferred payout
    exact_component_max_edges: int = 14  # bigger candidate clusters resolve greedily
    # Days the bank's clearing system is closed besides weekends (e.g. US Federal Reserve
    # holidays): a deposit held over one is on time, not late.
    bank_holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class LearnedBehaviour:
    """What a connection's confirmed deposits showed (learned.py; stored per connection). Each
    aspect carries the number of deposits behind it; an aspect learned from fewer than
    `learned.MIN_SAMPLES` is not used."""

    connection_ref: str
    deposits: int = 0  # confirmed deposits learned from
    cadence: str = ""  # "daily" (business days), "weekly", "every_n_days", "irregular", "" = unknown
    weekday: int | None = None  # weekly: Monday = 0
    every_days: int | None = None  # every_n_days: the period in calendar days
    anchor: date | None = None  # every_n_days: one payout day on the cadence
    cadence_samples: int = 0
    lag_days: int | None = None  # business days from the payout (or sweep cut-off) to the bank date
    lag_samples: int = 0
    tokens: tuple[str, ...] = ()  # descriptor words of (nearly) every deposit, sorted
    token_samples: int = 0
    boundary: str = ""  # inferred sweeps: "day" (end at a settlement day's end), "time" (cut-off hour)
    cutoff: time | None = None  # boundary "time": sweeps take transactions before this time (UTC)
    boundary_samples: int = 0


@dataclass(frozen=True)
class Inputs:
    bank_lines: tuple[BankLine, ...] = ()
    connections: tuple[Connection, ...] = ()
    payouts: tuple[Payout, ...] = ()
    items: tuple[PlatformItem, ...] = ()
    prior: tuple[PriorDecision, ...] = ()
    fx_rates: tuple[FxRate, ...] = ()
    settings: Settings = field(default_factory=Settings)
    # platform -> (its own ACH originator keywords, gateways that may pay for it): the platform
    # catalogue's `descriptor_keywords()`, passed in as data. A platform not listed is known by
    # its name ("WOO_COMMERCE" -> "WOO COMMERCE").
    platform_keywords: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )
    # Orders of orders-only connections (kind sale / refund, gross signed, fee unknown: 0, net =
    # gross; settled_on = the day it was paid or refunded, occurred_at its timestamp).
    orders: tuple[PlatformItem, ...] = ()
    # Stored per-connection schedules, and per platform the documented gateway rate cards
    # ((rate, fixed), ...) from the platform catalogue.
    fee_schedules: tuple[FeeSchedule, ...] = ()
    fee_cards: Mapping[str, tuple[tuple[Decimal, Decimal], ...]] = field(default_factory=dict)
    # Per-connection behaviour learned from confirmed deposits (learned.py); none: no effect.
    learned: tuple[LearnedBehaviour, ...] = ()


@dataclass(frozen=True)
class Breakdown:
    """A payout (explicit or inferred) split for booking. Fees and refunds are negative."""

    payout_ref: str  # inferred payouts: "inferred:<bank_ref>"
    connection_ref: str
    currency: str
    gross: Decimal  # sales
    processing_fees: Decimal  # <= 0 (fee refunds can make it less negative)
    marketplace_fees: Decimal  # <= 0: commissions / marketplace fees
    fees: Decimal  # processing + marketplace
    refunds: Decimal
    other: Decimal  # chargebacks, reserves, adjustments, transfers, unknown types
    net: Decimal  # sum of items' net
    amount: Decimal  # what the payout says it paid
    item_refs: tuple[str, ...]
    balanced: bool  # gross + fees + refunds + other == net == amount
    problems: tuple[str, ...] = ()
    inferred: bool = False


@dataclass(frozen=True)
class FxConversion:
    payout_currency: str
    payout_amount: Decimal
    bank_currency: str
    bank_amount: Decimal
    implied_rate: Decimal  # bank_amount / payout_amount
    reference_rate: Decimal
    reference_source: str  # "reference" (dated), "supplied", "builtin" or "printed"
    difference: Decimal  # bank_amount - payout_amount * reference_rate: the FX gain (+) / loss (-)


@dataclass(frozen=True)
class Decision:
    bank_ref: str
    status: str  # DecisionStatus
    confidence: float
    payout_refs: tuple[str, ...] = ()
    inferred: InferredGroup | None = None
    reasons: tuple[str, ...] = ()
    fx: FxConversion | None = None
    locked: bool = False  # came from a prior applied/manual decision
    alternatives: tuple[tuple[str, ...], ...] = ()  # competing answers when ambiguous
    fee_schedule: FeeSchedule | None = None  # an orders-only sweep: the fees it was priced with


@dataclass(frozen=True)
class Result:
    engine_version: str
    decisions: tuple[Decision, ...]  # one per bank line (pending ones unmatched), by bank_ref
    breakdowns: tuple[Breakdown, ...]  # explicit payouts, then inferred ones; by payout_ref
    # payout ref -> bank ref for matched (and locked) decisions, for convenience
    payout_deposits: tuple[tuple[str, str], ...] = ()
    fee_schedules: tuple[FeeSchedule, ...] = ()  # per orders-only connection, as chosen this run
    order_charges: tuple[tuple[str, str], ...] = ()  # (order ref, connected gateway's charge ref)

    def decision_for(self, bank_ref: str) -> Decision | None:
        for d in self.decisions:
            if d.bank_ref == bank_ref:
                return d
        return None
