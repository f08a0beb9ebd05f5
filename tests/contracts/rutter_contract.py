"""Rutter's contract as JSON Schemas (tests/contracts/rutter/*.json, written from Rutter's OpenAPI
— speakeasy-sdks/rutter-ts rutter.yaml — and docs.rutter.com; each file's $comment cites its
source) and a checker that holds every request the client sends and every response the sandbox
answers to them.

`RutterContract` is a sandbox observer (SandboxServer.observers): it sees each Rutter exchange as
it happens and records what breaks the contract; `violations` must stay empty.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).with_name("rutter")


def _optional_nullable(node):
    """Rutter's OpenAPI (3.0) marks no optional field `nullable`, yet fields that do not apply are
    null on the wire (`cancelled_at` is "SHOPIFY only"; the example world written from Rutter's
    docs carries nulls there). Required fields keep their declared types: an optional field may
    be null, a required one only where the schema says so."""
    if isinstance(node, dict):
        required = set(node.get("required", ()))
        for name, prop in (node.get("properties") or {}).items():
            if name not in required and isinstance(prop, dict) and isinstance(prop.get("type"), str):
                prop["type"] = [prop["type"], "null"]
        for value in node.values():
            _optional_nullable(value)
    elif isinstance(node, list):
        for value in node:
            _optional_nullable(value)
    return node


def _load(path: Path) -> dict:
    schema = json.loads(path.read_text())
    return schema if path.name.endswith(".query.json") else _optional_nullable(schema)


@cache
def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        schema = _load(path)
        resources.append((path.name, Resource.from_contents(schema)))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def validator(name: str, pointer: str = "") -> Draft202012Validator:
    schema = _load(SCHEMAS / name)
    if pointer:
        schema = {"$ref": f"{name}#{pointer}"}
    # Formats (uuid, date-time) are checked in responses; a query relays the access_token the
    # provider issued, which the test worlds spell freely.
    formats = None if name.endswith(".query.json") else Draft202012Validator.FORMAT_CHECKER
    return Draft202012Validator(schema, registry=_registry(), format_checker=formats)


# (method, path pattern) -> (query schema, body schema, 200 response schema)
ENDPOINTS = [
    ("POST", r"/item/public_token/exchange", None, "token_exchange.request.json", "token_exchange.response.json"),
    ("GET", r"/orders", "orders.list.query.json", None, "orders.list.response.json"),
    ("GET", r"/transactions", "transactions.list.query.json", None, "transactions.list.response.json"),
    ("GET", r"/payouts", "payouts.list.query.json", None, "payouts.list.response.json"),
    ("GET", r"/customers", "customers.list.query.json", None, "customers.list.response.json"),
    ("GET", r"/connections/access_token", None, None, "connections.access_token.response.json"),
    ("GET", r"/connections/status", None, None, "connections.status.response.json"),
    ("GET", r"/connections", None, None, "connections.list.response.json"),
    ("GET", r"/orders/[^/]+", None, None, None),  # {connection, order}: checked below
]


def _typed_query(query: dict[str, str], schema_name: str) -> dict:
    """Query values arrive as strings; give integers to the parameters the spec types so."""
    props = json.loads((SCHEMAS / schema_name).read_text()).get("properties", {})
    out = {}
    for name, value in query.items():
        wanted = props.get(name, {}).get("type")
        out[name] = int(value) if wanted == "integer" and re.fullmatch(r"-?\d+", value) else value
    return out


def _errors(v: Draft202012Validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
            for e in sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))[:5]]


def check(method: str, path: str, query: dict, body: bytes, status: int, response: bytes) -> list[str]:
    """What breaks Rutter's contract in one exchange (path relative to /versioned)."""
    for m, pattern, query_schema, body_schema, response_schema in ENDPOINTS:
        if m != method or not re.fullmatch(pattern, path):
            continue
        problems = []
        if query_schema:
            problems += [f"query {e}" for e in _errors(validator(query_schema), _typed_query(query, query_schema))]
        if body_schema:
            problems += [f"body {e}" for e in _errors(validator(body_schema), json.loads(body or b"{}"))]
        payload = json.loads(response or b"null")
        if status >= 400:
            problems += [f"error {e}" for e in _errors(validator("error.json"), payload)]
        elif response_schema:
            problems += [f"response {e}" for e in _errors(validator(response_schema), payload)]
        elif pattern == r"/orders/[^/]+":
            problems += [f"response {e}" for e in _errors(validator("orders.list.response.json", "/$defs/order"),
                                                        payload.get("order"))]
        return [f"{method} {path}: {p}" for p in problems]
    return [f"{method} {path}: not an endpoint of Rutter's API"]


class RutterContract:
    """A SandboxServer observer that checks every Rutter exchange against the contract."""

    def __init__(self):
        self.violations: list[str] = []
        self.seen = 0

    def __call__(self, provider: str, req, resp) -> None:
        if provider != "rutter" or resp.status in (401, 429) or resp.status >= 500:
            return  # auth, rate limit and injected faults are the transport's tests, not the contract's
        self.seen += 1
        self.violations += check(req.method, req.path.rstrip("/") or "/", req.query, req.body, resp.status, resp.body)
