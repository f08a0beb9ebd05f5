"""Plaid objects as Plaid serves them: every key the official SDK requires is present.

plaid-python (46.0.0, OpenAPI 2020-09-14_1.778.0) builds strict models from every response: a
required key that is missing raises (`TypeError` for top-level models, `ApiValueError` for
composed ones such as `Transaction`), while a required key that is present with `null` is fine
when the schema makes it nullable. World files (hand-written test worlds, other generators) may
leave keys out, so the simulator fills them with null before serving. Required keys, from
plaid-python's `_from_openapi_data` signatures and plaid-openapi `2020-09-14.yml`:

- `AccountBase`: account_id, balances, mask, name, official_name, type, subtype
- `AccountBalance`: available, current, limit, iso_currency_code, unofficial_currency_code
- `TransactionBase`: account_id, amount, iso_currency_code, unofficial_currency_code, date,
  pending, transaction_id; `TransactionAllOf` adds authorized_date, authorized_datetime, datetime,
  payment_channel, transaction_code
- `Location` and `PaymentMeta`: all eight keys each (an empty `{}` is rejected)
"""

from __future__ import annotations

LOCATION_KEYS = ("address", "city", "region", "postal_code", "country", "lat", "lon", "store_number")
PAYMENT_META_KEYS = ("reference_number", "ppd_id", "payee", "by_order_of", "payer", "payment_method",
                     "payment_processor", "reason")

# Keys every served transaction carries; values are what Plaid sends when it knows nothing.
TRANSACTION_DEFAULTS: dict = {
    "iso_currency_code": None, "unofficial_currency_code": None, "pending": False,
    "pending_transaction_id": None, "name": "", "merchant_name": None, "original_description": None,
    "authorized_date": None, "authorized_datetime": None, "datetime": None,
    "payment_channel": "other", "transaction_code": None, "transaction_type": "special",
    "account_owner": None, "check_number": None, "category": None, "category_id": None,
    "personal_finance_category": None, "counterparties": [], "merchant_entity_id": None,
    "logo_url": None, "website": None,
}
ACCOUNT_DEFAULTS: dict = {"mask": None, "name": "", "official_name": None, "type": "depository",
                          "subtype": None}
BALANCE_KEYS = ("available", "current", "limit", "iso_currency_code", "unofficial_currency_code")

_TXN_KEYS = frozenset(TRANSACTION_DEFAULTS) | {"location", "payment_meta"}


def _full(obj, keys: tuple[str, ...]) -> dict:
    obj = obj if isinstance(obj, dict) else {}
    return obj if all(k in obj for k in keys) else {**dict.fromkeys(keys), **obj}


def empty_location() -> dict:
    return dict.fromkeys(LOCATION_KEYS)


def empty_payment_meta() -> dict:
    return dict.fromkeys(PAYMENT_META_KEYS)


def transaction(txn: dict) -> dict:
    """`txn` with every required key (the same dict when nothing is missing: cheap for big worlds)."""
    location = _full(txn.get("location"), LOCATION_KEYS)
    meta = _full(txn.get("payment_meta"), PAYMENT_META_KEYS)
    if _TXN_KEYS <= txn.keys() and location is txn["location"] and meta is txn["payment_meta"]:
        return txn
    return {**TRANSACTION_DEFAULTS, **txn, "location": location, "payment_meta": meta}


def account(acct: dict) -> dict:
    balances = _full(acct.get("balances"), BALANCE_KEYS)
    if balances is acct.get("balances") and all(k in acct for k in ACCOUNT_DEFAULTS):
        return acct
    return {**ACCOUNT_DEFAULTS, **acct, "balances": balances}
