"""Stripe objects -> ledger rows.

Stripe amounts are integers in the currency's smallest unit and currencies are lower case.
Stripe's exponents (`ledger.money.stripe_exponent`: ISO 4217 except where Stripe's docs differ,
e.g. ISK is two-decimal in Stripe's API) turn them into Decimal major units, quantized to the
ledger's minor unit.

A BalanceTransaction is already signed by its effect on the Stripe balance (charge +, refund −,
payout −), its `fee` is what Stripe kept and `net` = amount − fee. We keep those numbers exactly.

Payout item row (`balance_transaction_row`) — same shape as Rutter's payout items:
    source, external_id (txn_...), kind, provider_type (raw `type`), status, amount (gross,
    signed by effect on the balance), fee (cost; >= 0 except when Stripe refunds a fee, then
    negative), net, currency, occurred_at (created), payout_external_id, order_external_id
    (always None: Stripe has no orders), description, plus `source_object_id` (ch_/re_/dp_...),
    `reporting_category`, `available_on` and `fee_details` ([{type, amount, currency,
    description}]). The payout's own balance transaction (kind "payout") is in the list Stripe
    returns for ?payout=: it is the transfer itself, not an item to sum into the payout's gross.

Rows derived from one balance transaction (`balance_transaction_rows`), external ids suffixed:
- `<txn>:fee` — a payout's own balance transaction that carries a fee (an Instant Payout's
  "Instant Payout fee", `fee_details` type stripe_fee): kind "fee", amount −fee. The payout row
  itself (kind "payout") is left out of booking, so without this row the fee would never reach
  the books. It follows the payout row's link (only automatic payouts have one).
- `<txn>:payout` — for `payout_failure` / `payout_cancel` (+X: a failed or canceled payout's money
  back in the balance, part of a later payout's sum, kind "reserve_release"): the failed payout's
  own debit of the balance (−X, kind "reserve_hold", never linked to a payout). A failed payout
  never reaches the bank, so no deposit entry ever takes its money out of the clearing account;
  the pair books X into "Reserves held by platforms" and out again, and the later payout's
  breakdown adds up (its items include the +X). Stripe's own `payout_minimum_balance_hold` /
  `_release` (https://docs.stripe.com/changelog/acacia/2024-12-18/payout-minimum-balance) are the
  same movement and map to the same kinds.

Payout row (`payout_row`): source, external_id (po_...), amount (Decimal: + to the bank,
− a debit), currency, status, provider_status, automatic, arrived_at (arrival_date),
created_at, method, balance_transaction_id, failure_code, reconciliation_status.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connections.mapping.common import MappingError, currency_of, parse_datetime
from ledger.money import from_minor, stripe_exponent

# reporting_category is Stripe's own grouping and the best signal (disputes arrive as
# type "adjustment" with reporting_category "dispute"); type is the fallback.
_CATEGORIES = {
    "charge": "sale",
    "refund": "refund",
    "refund_failure": "refund",
    "dispute": "chargeback",
    "dispute_reversal": "chargeback_reversal",
    "fee": "fee",
    "payout": "payout",
    "payout_reversal": "payout",
    "transfer": "transfer",
    "transfer_reversal": "transfer",
    "connect_reserved_funds": "reserve_hold",
    "risk_reserved_funds": "reserve_hold",
    "other_adjustment": "adjustment",
}
# Types that decide the kind whatever their reporting_category (a failed payout's balance
# transaction is reporting_category "payout_reversal", which is otherwise a payout movement).
_TYPE_FIRST = {
    "payout_failure": "reserve_hold",  # signed: + (money back) becomes reserve_release
    "payout_cancel": "reserve_hold",
    "payout_minimum_balance_hold": "reserve_hold",
    "payout_minimum_balance_release": "reserve_hold",
}
RETURNED_PAYOUT_TYPES = ("payout_failure", "payout_cancel")
_TYPES = {
    "charge": "sale",
    "payment": "sale",
    "refund": "refund",
    "payment_refund": "refund",
    "payment_failure_refund": "refund",
    "refund_failure": "refund",
    "stripe_fee": "fee",
    "stripe_fx_fee": "fee",
    "tax_fee": "fee",
    "application_fee": "commission",
    "adjustment": "adjustment",
    "payout": "payout",
    "payout_cancel": "payout",
    "payout_failure": "payout",
    "transfer": "transfer",
    "transfer_cancel": "transfer",
    "transfer_failure": "transfer",
    "transfer_refund": "transfer",
    "reserve_transaction": "reserve_hold",
    "reserved_funds": "reserve_hold",
}


def stripe_amount(value, currency: str) -> Decimal:
    """Stripe integer minor units (Stripe's own exponents) -> Decimal major units for the ledger."""
    if value is None:
        value = 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(f"Stripe amounts are integers, got {value!r}")
    return from_minor(value, currency, exponent=stripe_exponent(currency))


def balance_transaction_kind(bt: dict[str, Any]) -> str:
    category = (bt.get("reporting_category") or "").lower()
    provider_type = (bt.get("type") or "").lower()
    kind = _TYPE_FIRST.get(provider_type) or _CATEGORIES.get(category) or _TYPES.get(provider_type, "other")
    if kind == "reserve_hold" and (bt.get("amount") or 0) > 0:
        kind = "reserve_release"
    return kind


def balance_transaction_row(
    bt: dict[str, Any], *, source: str, payout_external_id: str | None = None
) -> dict[str, Any]:
    currency = currency_of(bt.get("currency"))
    amount = stripe_amount(bt.get("amount"), currency)
    fee = stripe_amount(bt.get("fee"), currency)
    net = stripe_amount(bt["net"], currency) if bt.get("net") is not None else amount - fee
    source_object = bt.get("source")
    if isinstance(source_object, dict):  # expanded
        source_object = source_object.get("id")
    return {
        "source": source,
        "external_id": bt["id"],
        "kind": balance_transaction_kind(bt),
        "provider_type": bt.get("type"),
        "reporting_category": bt.get("reporting_category"),
        "status": bt.get("status"),
        "amount": amount,
        "fee": fee,
        "net": net,
        "currency": currency,
        "occurred_at": parse_datetime(bt.get("created")),
        "available_on": parse_datetime(bt.get("available_on")),
        "payout_external_id": payout_external_id or bt.get("payout"),
        "order_external_id": None,
        "source_object_id": source_object,
        "description": bt.get("description") or "",
        "fee_details": [
            {
                "type": detail.get("type"),
                "amount": stripe_amount(
                    detail.get("amount"), currency_of(detail.get("currency"), currency)
                ),
                "currency": currency_of(detail.get("currency"), currency),
                "description": detail.get("description") or "",
            }
            for detail in bt.get("fee_details") or []
        ],
    }


def balance_transaction_rows(
    bt: dict[str, Any], *, source: str, payout_external_id: str | None = None
) -> list[dict[str, Any]]:
    """The item row of a balance transaction, plus the rows derived from it (module docstring)."""
    row = balance_transaction_row(bt, source=source, payout_external_id=payout_external_id)
    rows = [row]
    provider_type = (bt.get("type") or "").lower()
    if provider_type == "payout" and row["fee"]:
        rows.append({**row, "external_id": f"{row['external_id']}:fee", "kind": "fee",
                     "amount": -row["fee"], "fee": row["fee"] * 0, "net": -row["fee"],
                     "description": _fee_description(row)})
    elif provider_type in RETURNED_PAYOUT_TYPES and row["amount"] > 0:
        rows.append({**row, "external_id": f"{row['external_id']}:payout", "kind": "reserve_hold",
                     "amount": -row["amount"], "fee": row["fee"] * 0, "net": -row["amount"],
                     "fee_details": [], "payout_external_id": None,
                     "description": f"Payout {row['source_object_id'] or ''} did not reach the bank".replace("  ", " ")})
    return rows


def _fee_description(row: dict[str, Any]) -> str:
    details = [d["description"] for d in row["fee_details"] if d.get("description")]
    return ", ".join(details) or f"Fee of payout {row['source_object_id'] or row['external_id']}"


def payout_row(payout: dict[str, Any], *, source: str) -> dict[str, Any]:
    currency = currency_of(payout.get("currency"))
    balance_transaction = payout.get("balance_transaction")
    if isinstance(balance_transaction, dict):
        balance_transaction = balance_transaction.get("id")
    return {
        "source": source,
        "external_id": payout["id"],
        "amount": stripe_amount(payout.get("amount"), currency),
        "currency": currency,
        "status": payout.get("status") or "unknown",
        "provider_status": payout.get("status"),
        "automatic": bool(payout.get("automatic", True)),
        "arrived_at": parse_datetime(payout.get("arrival_date")),
        "created_at": parse_datetime(payout.get("created")),
        "method": payout.get("method"),
        "balance_transaction_id": balance_transaction,
        "failure_code": payout.get("failure_code"),
        "reconciliation_status": payout.get("reconciliation_status"),
        "description": payout.get("description") or "",
    }
