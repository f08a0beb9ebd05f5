"""Loading and validating `tieout.world/1` files (docs/formats/world.md).

The loader checks only what the sandbox relies on to serve a world (ids, amounts, timestamps,
cross references) and ignores every unknown field, so worlds from other generators load too.
Errors name the JSON path and field, e.g. ``rutter[0].payouts[3].amount: expected a number``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

FORMAT = "tieout.world/1"


class WorldError(ValueError):
    """A world file that cannot be served; the message names the offending path."""


@dataclass
class RutterConnection:
    connection_id: str
    access_token: str
    public_token: str
    platform: str
    store_name: str
    orders: list[dict] = field(default_factory=list)
    transactions: list[dict] = field(default_factory=list)
    payouts: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)


@dataclass
class StripeAccount:
    account_id: str
    oauth_code: str
    balance_transactions: list[dict] = field(default_factory=list)
    payouts: list[dict] = field(default_factory=list)
    charges: list[dict] = field(default_factory=list)


@dataclass
class PlaidItem:
    item_id: str
    access_token: str
    public_token: str
    accounts: list[dict] = field(default_factory=list)
    transactions: list[dict] = field(default_factory=list)


@dataclass
class World:
    company: dict
    rutter: list[RutterConnection] = field(default_factory=list)
    stripe: list[StripeAccount] = field(default_factory=list)
    plaid: list[PlaidItem] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


# --- small typed accessors that raise WorldError with a path ----------------------------------


def _get(obj: dict, key: str, path: str, kind: type | tuple, *, optional=False, nullable=False):
    if key not in obj:
        if optional:
            return None
        raise WorldError(f"{path}.{key}: required field is missing")
    value = obj[key]
    if value is None and (nullable or optional):
        return None
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        name = "a number"
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        name = "an integer"
    elif kind is str:
        ok = isinstance(value, str)
        name = "a string"
    elif kind is list:
        ok = isinstance(value, list)
        name = "a list"
    else:
        ok = isinstance(value, dict)
        name = "an object"
    if not ok:
        raise WorldError(f"{path}.{key}: expected {name}, got {type(value).__name__}")
    return value


def _timestamp(obj: dict, key: str, path: str, *, optional=False) -> None:
    value = _get(obj, key, path, str, optional=optional, nullable=optional)
    if value is None:
        return
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WorldError(f"{path}.{key}: expected an ISO-8601 timestamp, got {value!r}") from None


def _objects(parent: dict, key: str, path: str, *, optional=True) -> list[dict]:
    items = _get(parent, key, path, list, optional=optional, nullable=optional) or []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise WorldError(f"{path}.{key}[{i}]: expected an object, got {type(item).__name__}")
    return items


def _unique_ids(items: list[dict], key: str, path: str) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        value = _get(item, key, f"{path}[{i}]", str)
        if value in seen:
            raise WorldError(f"{path}[{i}].{key}: duplicate id {value!r}")
        seen.add(value)
    return seen


# --- per provider ------------------------------------------------------------------------------


def _rutter(raw: dict, path: str) -> RutterConnection:
    conn = RutterConnection(
        connection_id=_get(raw, "connection_id", path, str),
        access_token=_get(raw, "access_token", path, str),
        public_token=_get(raw, "public_token", path, str),
        platform=_get(raw, "platform", path, str),
        store_name=_get(raw, "store_name", path, str, optional=True) or "",
        orders=_objects(raw, "orders", path),
        transactions=_objects(raw, "transactions", path),
        payouts=_objects(raw, "payouts", path),
        customers=_objects(raw, "customers", path),
    )
    _unique_ids(conn.orders, "id", f"{path}.orders")
    txn_ids = _unique_ids(conn.transactions, "id", f"{path}.transactions")
    _unique_ids(conn.payouts, "id", f"{path}.payouts")
    for i, order in enumerate(conn.orders):
        _timestamp(order, "created_at", f"{path}.orders[{i}]")
        _timestamp(order, "updated_at", f"{path}.orders[{i}]", optional=True)
    for i, txn in enumerate(conn.transactions):
        p = f"{path}.transactions[{i}]"
        _get(txn, "amount", p, float)
        _get(txn, "type", p, str)
        _get(txn, "fee", p, float, optional=True)
        _timestamp(txn, "created_at", p)
        _timestamp(txn, "updated_at", p, optional=True)
    for i, payout in enumerate(conn.payouts):
        p = f"{path}.payouts[{i}]"
        _get(payout, "amount", p, float)
        _timestamp(payout, "arrival_at", p, optional=True)
        _timestamp(payout, "created_at", p)
        ids = _get(payout, "transaction_ids", p, list, optional=True) or []
        for j, txn_id in enumerate(ids):
            if txn_id not in txn_ids:
                raise WorldError(f"{p}.transaction_ids[{j}]: unknown transaction {txn_id!r}")
    return conn


def _stripe(raw: dict, path: str) -> StripeAccount:
    acct = StripeAccount(
        account_id=_get(raw, "account_id", path, str),
        oauth_code=_get(raw, "oauth_code", path, str, optional=True) or "",
        balance_transactions=_objects(raw, "balance_transactions", path),
        payouts=_objects(raw, "payouts", path),
        charges=_objects(raw, "charges", path),
    )
    _unique_ids(acct.balance_transactions, "id", f"{path}.balance_transactions")
    _unique_ids(acct.payouts, "id", f"{path}.payouts")
    for i, bt in enumerate(acct.balance_transactions):
        p = f"{path}.balance_transactions[{i}]"
        for key in ("amount", "fee", "net", "created"):
            _get(bt, key, p, int, optional=key == "fee")
        _get(bt, "currency", p, str)
        _get(bt, "payout", p, str, optional=True)
    for i, payout in enumerate(acct.payouts):
        p = f"{path}.payouts[{i}]"
        for key in ("amount", "created"):
            _get(payout, key, p, int)
        _get(payout, "arrival_date", p, int, optional=True)
        _get(payout, "currency", p, str)
    return acct


def _plaid(raw: dict, path: str) -> PlaidItem:
    item = PlaidItem(
        item_id=_get(raw, "item_id", path, str),
        access_token=_get(raw, "access_token", path, str),
        public_token=_get(raw, "public_token", path, str, optional=True) or "",
        accounts=_objects(raw, "accounts", path),
        transactions=_objects(raw, "transactions", path),
    )
    account_ids = _unique_ids(item.accounts, "account_id", f"{path}.accounts")
    _unique_ids(item.transactions, "transaction_id", f"{path}.transactions")
    for i, txn in enumerate(item.transactions):
        p = f"{path}.transactions[{i}]"
        _get(txn, "amount", p, float)
        date = _get(txn, "date", p, str)
        try:
            datetime.strptime(date, "%Y-%m-%d")
        except ValueError:
            raise WorldError(f"{p}.date: expected YYYY-MM-DD, got {date!r}") from None
        if _get(txn, "account_id", p, str) not in account_ids:
            raise WorldError(f"{p}.account_id: unknown account {txn['account_id']!r}")
    return item


_PROVIDERS = {"rutter", "stripe", "plaid"}
_KINDS = {"order", "transaction", "payout", "balance_transaction", "bank_transaction", "charge"}


def _event(raw: dict, path: str) -> dict:
    _timestamp(raw, "at", path)
    if _get(raw, "provider", path, str) not in _PROVIDERS:
        raise WorldError(f"{path}.provider: expected one of rutter, stripe, plaid")
    _get(raw, "connection", path, str)
    if _get(raw, "op", path, str) not in ("upsert", "delete"):
        raise WorldError(f"{path}.op: expected 'upsert' or 'delete'")
    if _get(raw, "kind", path, str) not in _KINDS:
        raise WorldError(f"{path}.kind: unknown kind {raw['kind']!r}")
    _get(raw, "object", path, dict)
    return raw


def world_from_dict(raw: Any) -> World:
    if not isinstance(raw, dict):
        raise WorldError("$: expected a JSON object")
    fmt = raw.get("format")
    if fmt != FORMAT:
        raise WorldError(f"format: expected {FORMAT!r}, got {fmt!r}")
    company = _get(raw, "company", "$", dict, optional=True) or {}
    world = World(company=company)
    for i, conn in enumerate(_objects(raw, "rutter", "$")):
        world.rutter.append(_rutter(conn, f"rutter[{i}]"))
    for i, acct in enumerate(_objects(raw, "stripe", "$")):
        world.stripe.append(_stripe(acct, f"stripe[{i}]"))
    for i, item in enumerate(_objects(raw, "plaid", "$")):
        world.plaid.append(_plaid(item, f"plaid[{i}]"))
    world.events = [_event(e, f"events[{i}]") for i, e in enumerate(_objects(raw, "events", "$"))]
    _check_connections(world)
    return world


def _check_connections(world: World) -> None:
    known = {("rutter", c.connection_id) for c in world.rutter}
    known |= {("stripe", a.account_id) for a in world.stripe}
    known |= {("plaid", p.item_id) for p in world.plaid}
    for i, event in enumerate(world.events):
        if (event["provider"], event["connection"]) not in known:
            raise WorldError(f"events[{i}].connection: unknown {event['provider']} connection "
                             f"{event['connection']!r}")


def load_world(path_or_file: str | os.PathLike | IO) -> World:
    """Read and validate a world file (path or open file, text or binary)."""
    # json.load keeps the parsed document once; objects are shared (not copied) with the World,
    # so peak memory is about one parsed copy of the file.
    try:
        if hasattr(path_or_file, "read"):
            raw = json.load(path_or_file)
        else:
            with open(path_or_file, "rb") as fh:
                raw = json.load(fh)
    except json.JSONDecodeError as exc:
        raise WorldError(f"$: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    except OSError as exc:
        raise WorldError(f"$: cannot read world file: {exc}") from None
    return world_from_dict(raw)
