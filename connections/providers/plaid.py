"""Plaid's API: every call is a JSON POST with `client_id` and `secret` in the body (Plaid also
takes them as PLAID-CLIENT-ID / PLAID-SECRET headers, which is what plaid-python sends).

Errors are `{error_type, error_code, error_message, display_message, request_id}`.
`/transactions/sync` is cursor-driven: start with no cursor, apply `added` / `modified` /
`removed`, follow `next_cursor` while `has_more`. If Plaid answers
TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION, the documented fix is to restart the whole
pagination loop from the cursor that began it; `iter_transactions_sync` does that and marks the
pages it re-sends with `restarted=True` (their rows are upserts and deletes by transaction_id,
so applying them again is harmless).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from connections.providers.errors import (
    AuthError,
    ItemLoginRequired,
    NeedsReauth,
    NotReady,
    ProviderError,
    RateLimited,
    TransientError,
)
from connections.providers.http import (
    ErrorInfo,
    Hooks,
    ProviderClient,
    RetryPolicy,
    Transport,
    flat_error_info,
)

MAX_SYNC_COUNT = 500


class SyncMutationDuringPagination(ProviderError):
    """Transactions changed while we paged through /transactions/sync; restart the loop."""


_CODE_CLASSES: dict[str, type[ProviderError]] = {
    "ITEM_LOGIN_REQUIRED": ItemLoginRequired,
    "PENDING_EXPIRATION": NeedsReauth,
    "ACCESS_NOT_GRANTED": NeedsReauth,
    "ITEM_LOCKED": NeedsReauth,
    "INVALID_CREDENTIALS": NeedsReauth,
    "PRODUCT_NOT_READY": NotReady,
    "INVALID_API_KEYS": AuthError,
    "INVALID_ACCESS_TOKEN": AuthError,
    "UNAUTHORIZED_ENVIRONMENT": AuthError,
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": SyncMutationDuringPagination,
    "INSTITUTION_DOWN": TransientError,
    "INSTITUTION_NOT_RESPONDING": TransientError,
    "INTERNAL_SERVER_ERROR": TransientError,
    "PLANNED_MAINTENANCE": TransientError,
}


def _parse_error(response: httpx.Response) -> ErrorInfo:
    return flat_error_info(response, request_id_field="request_id")

def _classify(status: int, info: ErrorInfo) -> type[ProviderError] | None:
    if info.type == "RATE_LIMIT_EXCEEDED":
        return RateLimited
    return _CODE_CLASSES.get(info.code or "")


HOOKS = Hooks(parse_error=_parse_error, classify=_classify)


@dataclass(frozen=True)
class SyncPage:
    """One /transactions/sync response.

    `cursor` fetched it; `next_cursor` fetches what follows (None while Plaid has no data yet —
    it answers an empty string then, which must never be saved). `restarted` is True for pages
    re-sent after a mutation-during-pagination restart.
    """

    added: list[dict[str, Any]]
    modified: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool
    cursor: str | None = None
    update_status: str | None = None
    restarted: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class PlaidClient(ProviderClient):
    provider = "plaid"


    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        secret: str,
        retry: RetryPolicy | None = None,
        limiter=None,
        **transport_options,
    ):
        self.client_id = client_id
        self._secret = secret
        self.transport = Transport(
            provider=self.provider,
            base_url=base_url,
            headers={"Content-Type": "application/json"},
            hooks=HOOKS,
            retry=retry,
            limiter=limiter,
            **transport_options,
        )

    def _post(self, path: str, body: dict[str, Any], *, idempotent: bool = True) -> dict[str, Any]:
        payload = {"client_id": self.client_id, "secret": self._secret, **body}
        return self.transport.request_json("POST", path, json=payload, idempotent=idempotent)

    def institutions_get(self, *, count: int = 1, country_codes: list[str] | None = None) -> dict[str, Any]:
        """POST /institutions/get (client_id + secret, no item): the cheapest call that proves the
        keys; wrong ones are a 400 INVALID_API_KEYS (plaid.com/docs/api/institutions)."""
        return self._post("institutions/get", {"count": count, "offset": 0,
                                                "country_codes": country_codes or ["US"]})

    # -- items --------------------------------------------------------------------------------

    def link_token_create(
        self,
        *,
        client_name: str,
        client_user_id: str,
        country_codes: list[str],
        language: str = "en",
        products: list[str] | None = None,
        webhook: str | None = None,
        redirect_uri: str | None = None,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        """POST /link/token/create -> {link_token, expiration, request_id}.

        Plaid Link opens only with a link token made server-side (plaid-openapi
        `LinkTokenCreateRequest`: client_name, language, country_codes and user.client_user_id
        required). `webhook` becomes the item's webhook URL; `access_token` opens Link in update
        mode for that item (re-authentication), where `products` must be left out.
        """
        body: dict[str, Any] = {"client_name": client_name, "language": language,
                                "country_codes": list(country_codes),
                                "user": {"client_user_id": client_user_id}}
        if access_token:
            body["access_token"] = access_token
        else:
            body["products"] = list(products or ["transactions"])
        if webhook:
            body["webhook"] = webhook
        if redirect_uri:
            body["redirect_uri"] = redirect_uri
        return self._post("link/token/create", body)

    def exchange_public_token(self, public_token: str) -> dict[str, Any]:
        """POST /item/public_token/exchange -> {access_token, item_id, request_id}."""
        return self._post(
            "item/public_token/exchange", {"public_token": public_token}, idempotent=False
        )

    def accounts_get(self, access_token: str) -> dict[str, Any]:
        """POST /accounts/get -> {accounts: [...], item: {...}, request_id}."""
        return self._post("accounts/get", {"access_token": access_token})

    def webhook_verification_key_get(self, key_id: str) -> dict[str, Any]:
        """POST /webhook_verification_key/get -> the JWK (alg, crv, kid, kty, x, y, expired_at...)."""
        return self._post("webhook_verification_key/get", {"key_id": key_id})["key"]

    # -- transactions -------------------------------------------------------------------------

    def transactions_sync(
        self, access_token: str, cursor: str | None = None, count: int = MAX_SYNC_COUNT
    ) -> SyncPage:
        if not 1 <= count <= MAX_SYNC_COUNT:
            raise ValueError(f"count must be 1..{MAX_SYNC_COUNT}")
        body: dict[str, Any] = {"access_token": access_token, "count": count}
        if cursor:
            body["cursor"] = cursor
        payload = self._post("transactions/sync", body)
        return SyncPage(
            added=payload.get("added") or [],
            modified=payload.get("modified") or [],
            removed=payload.get("removed") or [],
            next_cursor=payload.get("next_cursor") or None,
            has_more=bool(payload.get("has_more")),
            cursor=cursor,
            update_status=payload.get("transactions_update_status"),
            raw=payload,
        )

    def iter_transactions_sync(
        self,
        access_token: str,
        *,
        cursor: str | None = None,
        count: int = MAX_SYNC_COUNT,
        max_restarts: int = 3,
    ) -> Iterator[SyncPage]:
        """Yield pages until has_more is false, restarting from `cursor` on a mid-loop mutation."""
        loop_start = cursor
        restarts = 0
        restarted = False
        while True:
            try:
                page = self.transactions_sync(access_token, cursor, count)
            except SyncMutationDuringPagination:
                restarts += 1
                if restarts > max_restarts:
                    raise
                cursor = loop_start
                restarted = True
                continue
            if restarted:
                page = SyncPage(**{**page.__dict__, "restarted": True})
            yield page
            if not page.has_more or page.next_cursor is None:
                return
            cursor = page.next_cursor
