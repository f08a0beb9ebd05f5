"""Plaid objects -> bank rows.

Plaid signs transactions from the account's point of view as spending: amount > 0 is money
OUT of the account, amount < 0 is money IN. Our bank amount is the opposite (positive =
deposit), so `amount = -plaid_amount`.

Bank transaction row (`bank_transaction_row`):
    source                          "plaid:<item_id>"
    external_id                     transaction_id
    account_external_id             account_id
    amount                          Decimal, + deposit / − withdrawal
    currency                        iso_currency_code, upper case. An unofficial currency
                                    (`iso_currency_code` null, `unofficial_currency_code` set:
                                    crypto such as BTC or USDT, loyalty points) raises
                                    MappingError, even when its code looks like ISO 4217 (BTC):
                                    it must not be booked as some other money, and its minor
                                    unit is unknown (BTC has 8 decimals). The sync skips such
                                    accounts and lines (`unofficial_currency`) instead
    date                            posted (or pending) date
    authorized_date                 date or None
    occurred_at                     aware datetime when Plaid knows it, else None
    name, merchant_name             as Plaid gives them ("" for null)
    pending                         bool
    pending_transaction_external_id for a posted transaction that replaces a pending one: the
                                    sync must delete that pending row so nothing is doubled
    payment_channel, transaction_type, category (personal_finance_category.primary or None)

Removed row (`removed_row`): source, external_id, account_external_id.
Bank account row (`bank_account_row`): source, external_id, name, official_name, mask, type,
subtype, currency, current_balance, available_balance (Decimals or None, as Plaid gives them).
"""

from __future__ import annotations

from typing import Any

from connections.mapping.common import (
    MappingError,
    currency_of,
    money,
    negate,
    parse_date,
    parse_datetime,
)


def unofficial_currency(obj: dict[str, Any]) -> str | None:
    """The `unofficial_currency_code` of an account's balances or of a transaction, when it has no
    ISO 4217 code. Plaid: `iso_currency_code` is "always null if unofficial_currency_code is
    non-null" (plaid-python 46.0.0 `transaction_base.py`, `account_balance.py`)."""
    if obj.get("iso_currency_code"):
        return None
    return obj.get("unofficial_currency_code") or None


def _currency(obj: dict[str, Any], default: str | None) -> str:
    unofficial = unofficial_currency(obj)
    if unofficial:
        raise MappingError(f"unofficial currency {unofficial!r} is not an ISO 4217 currency")
    return currency_of(obj.get("iso_currency_code"), default)


def bank_transaction_row(
    txn: dict[str, Any], *, source: str, default_currency: str | None = None
) -> dict[str, Any]:
    currency = _currency(txn, default_currency)
    category = txn.get("personal_finance_category") or {}
    return {
        "source": source,
        "external_id": txn["transaction_id"],
        "account_external_id": txn.get("account_id"),
        "amount": negate(money(txn.get("amount"), currency)),
        "currency": currency,
        "date": parse_date(txn.get("date")),
        "authorized_date": parse_date(txn.get("authorized_date")),
        "occurred_at": parse_datetime(txn.get("datetime") or txn.get("authorized_datetime")),
        "name": txn.get("name") or "",
        "merchant_name": txn.get("merchant_name") or "",
        "pending": bool(txn.get("pending")),
        "pending_transaction_external_id": txn.get("pending_transaction_id"),
        "payment_channel": txn.get("payment_channel"),
        "transaction_type": txn.get("transaction_type"),
        "category": category.get("primary") if isinstance(category, dict) else None,
    }


def removed_row(removed: dict[str, Any], *, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "external_id": removed["transaction_id"],
        "account_external_id": removed.get("account_id"),
    }


def bank_account_row(
    account: dict[str, Any], *, source: str, default_currency: str | None = None
) -> dict[str, Any]:
    balances = account.get("balances") or {}
    currency = _currency(balances, default_currency)

    def balance(name: str):
        value = balances.get(name)
        return None if value is None else money(value, currency)

    return {
        "source": source,
        "external_id": account["account_id"],
        "name": account.get("name") or "",
        "official_name": account.get("official_name") or "",
        "mask": account.get("mask") or "",
        "type": account.get("type"),
        "subtype": account.get("subtype"),
        "currency": currency,
        "current_balance": balance("current"),
        "available_balance": balance("available"),
    }
