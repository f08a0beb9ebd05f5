"""Rutter's versioned REST API (https://docs.rutter.com/rest/<version>/...).

Auth is HTTP Basic client_id:client_secret on every call, plus the `X-Rutter-Version` header;
each connection is addressed by its `access_token` query parameter. The token exchange is the
exception: its body carries `client_id`, `secret` and `public_token` (ExchangeTokenBody in Rutter's
OpenAPI, speakeasy-sdks/rutter-ts rutter.yaml; docs.rutter.com/rest/2024-08-31/tokens). Lists
paginate with `cursor` / `next_cursor` and accept `limit`; time filters are Unix milliseconds, and
each list has its own (orders and transactions `updated_at_*`; payouts only `created_at_*` and
`arrival_at_*`). There is no GET of one transaction or payout: they are re-read through their
lists. Errors carry `error_type` / `error_code` / `error_message`; Rutter documents 404 as "an
endpoint is not implemented or is not supported for a given platform" and 410 as "the requested
resource is not found" (docs.rutter.com/rest/2023-03-14/errors), so only a 410 means gone.
`PRODUCT_NOT_READY` means the connection's initial sync has not finished (wait for the
INITIAL_UPDATE webhook, or pass `force_fetch=True` on orders and transactions for possibly
incomplete data).

Rutter allows 500 requests per 10 s per organization; every client for one client_id shares one
sliding-window limiter (see ratelimit.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from connections.providers.errors import (
    AuthError,
    ConnectionDisabled,
    NeedsReauth,
    NotReady,
    ProviderError,
    RateLimited,
)
from connections.providers.http import (
    ErrorInfo,
    Hooks,
    ProviderClient,
    RetryPolicy,
    Transport,
    flat_error_info,
)
from connections.providers.pages import Page
from connections.providers.ratelimit import shared_limiter

RATE_LIMIT_REQUESTS = 500
RATE_LIMIT_SECONDS = 10.0
DEFAULT_PAGE_SIZE = 500

_CODE_CLASSES: dict[str, type[ProviderError]] = {
    "PRODUCT_NOT_READY": NotReady,
    "NEEDS_UPDATE": NeedsReauth,
    "CONNECTION_DISABLED": ConnectionDisabled,
    "INVALID_CREDENTIALS": AuthError,
    "RATE_LIMIT_EXCEEDED": RateLimited,
}


def _parse_error(response: httpx.Response) -> ErrorInfo:
    return flat_error_info(response)

def _classify(status: int, info: ErrorInfo) -> type[ProviderError] | None:
    return _CODE_CLASSES.get(info.code or "")


HOOKS = Hooks(parse_error=_parse_error, classify=_classify, request_id_header="X-Rutter-Request-ID")


def to_unix_ms(value: datetime | int | None) -> int | None:
    """Rutter's time filters are Unix milliseconds; accept aware datetimes or ready integers."""
    if value is None or isinstance(value, int):
        return value
    if value.tzinfo is None:
        raise ValueError("pass an aware datetime so the filter cannot shift by a timezone")
    return int(value.timestamp() * 1000)


class RutterClient(ProviderClient):
    provider = "rutter"


    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        version: str,
        limiter=None,
        retry: RetryPolicy | None = None,
        **transport_options,
    ):
        self.client_id = client_id
        self._secret = client_secret
        self.version = version
        if limiter is None:
            limiter = shared_limiter(
                ("rutter", client_id),
                max_requests=RATE_LIMIT_REQUESTS,
                per_seconds=RATE_LIMIT_SECONDS,
            )
        self.transport = Transport(
            provider=self.provider,
            base_url=base_url,
            headers={"X-Rutter-Version": version},
            auth=(client_id, client_secret),
            hooks=HOOKS,
            retry=retry,
            limiter=limiter,
            **transport_options,
        )

    # -- connections --------------------------------------------------------------------------

    def exchange_public_token(self, public_token: str) -> dict[str, Any]:
        """POST /item/public_token/exchange -> {access_token, connection_id, platform, is_ready, ...}.

        Not idempotent from our side (a public token is single-use), so it is retried only when
        Rutter cannot have seen it.
        """
        return self.transport.request_json(
            "POST",
            "item/public_token/exchange",
            json={"client_id": self.client_id, "secret": self._secret, "public_token": public_token},
            idempotent=False,
        )

    def list_connections(self) -> dict[str, Any]:
        """GET /connections: the organization's connections (ListConnectionsResponse in Rutter's
        OpenAPI, speakeasy-sdks/rutter-ts rutter.yaml; Basic auth client_id:client_secret, no access
        token) — the cheapest call that proves the keys."""
        return self.transport.request_json("GET", "connections")

    def connection_status(self, access_token: str) -> dict[str, Any]:
        """GET /connections/status -> the `status` object (is_ready, needs_update_status, ...)."""
        payload = self.transport.request_json(
            "GET", "connections/status", params={"access_token": access_token}
        )
        return payload.get("status", payload)

    def connection(self, access_token: str) -> dict[str, Any]:
        """GET /connections/access_token -> the `connection` object (id, platform, store_name)."""
        payload = self.transport.request_json(
            "GET", "connections/access_token", params={"access_token": access_token}
        )
        return payload.get("connection", payload)

    # -- commerce lists -----------------------------------------------------------------------

    def iter_orders(self, access_token: str, *, expand_transactions: bool = False, **filters) -> Iterator[Page]:
        """Orders; with `expand_transactions` each carries its `transactions` (the only value of
        ListOrdersQuery.expand) — how the payments of a platform without /transactions are read."""
        extra = {"expand": "transactions"} if expand_transactions else {}
        return self._pages("orders", "orders", access_token, force_fetch_allowed=True, extra=extra, **filters)

    def iter_transactions(self, access_token: str, **filters) -> Iterator[Page]:
        return self._pages(
            "transactions", "transactions", access_token, force_fetch_allowed=True, **filters
        )

    def iter_payouts(self, access_token: str, **filters) -> Iterator[Page]:
        if filters.get("updated_at_min") is not None or filters.get("updated_at_max") is not None:
            raise ValueError("Rutter's /payouts has no updated_at filter: use created_at or arrival_at")
        return self._pages("payouts", "payouts", access_token, **filters)

    def iter_customers(self, access_token: str, **filters) -> Iterator[Page]:
        return self._pages("customers", "customers", access_token, **filters)

    def get_order(self, order_id: str, access_token: str) -> dict[str, Any]:
        """GET /orders/<id> -> the order. A 410 means it is gone; a 404 that the platform does
        not support the endpoint (never read as a deletion)."""
        payload = self.transport.request_json(
            "GET", f"orders/{order_id}", params={"access_token": access_token}
        )
        return payload.get("order", payload)

    def _pages(
        self,
        path: str,
        key: str,
        access_token: str,
        *,
        force_fetch_allowed: bool = False,
        updated_at_min: datetime | int | None = None,
        updated_at_max: datetime | int | None = None,
        created_at_min: datetime | int | None = None,
        created_at_max: datetime | int | None = None,
        arrival_at_min: datetime | int | None = None,
        cursor: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        force_fetch: bool = False,
        extra: dict[str, str] | None = None,
    ) -> Iterator[Page]:
        """Yield pages until `next_cursor` is null; pass a saved cursor back to resume."""
        if force_fetch and not force_fetch_allowed:
            raise ValueError(
                f"Rutter supports force_fetch only on orders and transactions, not {path}"
            )
        base: dict[str, Any] = {"access_token": access_token, "limit": page_size}
        for name, value in (
            ("updated_at_min", updated_at_min),
            ("updated_at_max", updated_at_max),
            ("created_at_min", created_at_min),
            ("created_at_max", created_at_max),
            ("arrival_at_min", arrival_at_min),
        ):
            if value is not None:
                base[name] = to_unix_ms(value)
        if force_fetch:
            base["force_fetch"] = "true"
        base.update(extra or {})
        while True:
            params = dict(base, cursor=cursor) if cursor else base
            payload = self.transport.request_json("GET", path, params=params)
            next_cursor = payload.get("next_cursor") or None
            yield Page(
                objects=payload.get(key) or [], next_cursor=next_cursor, cursor=cursor, raw=payload
            )
            if next_cursor is None or next_cursor == cursor:
                return
            cursor = next_cursor
