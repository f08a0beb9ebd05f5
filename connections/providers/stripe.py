"""Stripe's REST API for connected accounts, and the Connect OAuth flow that links them.

Auth is `Authorization: Bearer <platform secret key>` with `Stripe-Account: acct_...` naming the
connected account. Parameters are form-encoded (nested keys as `created[gte]`). Lists paginate
with `limit` (≤ 100) + `starting_after=<last id>` while `has_more` is true. Errors are
`{"error": {"type", "code", "message", ...}}` with the id in the `Request-Id` header; the
`Stripe-Should-Retry` header, when present, overrides our own retry decision.

Every request carries `Stripe-Version: API_VERSION`, so the shapes we map never change under us
when the platform account's default version is upgraded in Stripe's dashboard. It is the version
stripe-python 16.1.0 pins (`stripe/_api_version.py`: `_ApiVersion.CURRENT`), so Tieout's own
client and the official SDK (tests/contracts) ask the same question.

OAuth (Standard accounts): the user is sent to {connect}/oauth/authorize?response_type=code&
client_id=ca_...&scope=...&state=...&redirect_uri=...; Stripe redirects back with `code`,
which POST {connect}/oauth/token (grant_type=authorization_code) exchanges for
`stripe_user_id` — the account id we keep. OAuth errors are `{"error", "error_description"}`.
`redirect_uri` must equal one registered in the platform's Connect settings exactly, and
`scope=read_only` is for Extensions only: a platform asks `read_write`
(https://stripe.com/docs/connect/oauth-changes-for-standard-platforms; stripe-python 16.1.0
`_oauth.py` docstrings).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from connections.providers.errors import AuthError, NeedsReauth, ProviderError, RateLimited
from connections.providers.http import (
    ErrorInfo,
    Hooks,
    ProviderClient,
    RetryPolicy,
    Transport,
    json_or_none,
)
from connections.providers.pages import Page

MAX_PAGE_SIZE = 100
API_VERSION = "2026-10-28.endive"

_CODE_CLASSES: dict[str, type[ProviderError]] = {
    # The platform no longer has access to the connected account (deauthorized).
    "account_invalid": NeedsReauth,
    "rate_limit": RateLimited,
    # OAuth errors (`error` field of /oauth/token responses).
    "invalid_grant": AuthError,
    "invalid_client": AuthError,
    "invalid_request": ProviderError,
    "invalid_scope": ProviderError,
    "unsupported_grant_type": ProviderError,
    "unsupported_response_type": ProviderError,
}


def _parse_error(response: httpx.Response) -> ErrorInfo:
    body = json_or_none(response)
    if not isinstance(body, dict):
        return ErrorInfo(message=response.text[:500])
    error = body.get("error")
    if isinstance(error, dict):
        return ErrorInfo(
            code=error.get("code"),
            type=error.get("type"),
            message=error.get("message") or "",
            body=body,
        )
    if isinstance(error, str):  # OAuth endpoints
        return ErrorInfo(
            code=error, type="oauth_error", message=body.get("error_description") or "", body=body
        )
    return ErrorInfo(body=body)


def _classify(status: int, info: ErrorInfo) -> type[ProviderError] | None:
    return _CODE_CLASSES.get(info.code or "")


def _retry_hint(response: httpx.Response) -> bool | None:
    value = response.headers.get("Stripe-Should-Retry")
    if value is None:
        return None
    return value.strip().lower() == "true"


HOOKS = Hooks(
    parse_error=_parse_error,
    classify=_classify,
    retry_hint=_retry_hint,
    request_id_header="Request-Id",
)


def _unix(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if value.tzinfo is None:
        raise ValueError("pass an aware datetime")
    return int(value.timestamp())


class StripeClient(ProviderClient):
    provider = "stripe"


    def __init__(
        self,
        *,
        api_base: str,
        connect_base: str,
        secret_key: str,
        client_id: str = "",
        api_version: str = API_VERSION,
        retry: RetryPolicy | None = None,
        limiter=None,
        **transport_options,
    ):
        self.api_base = api_base.rstrip("/")
        self.connect_base = connect_base.rstrip("/")
        self.client_id = client_id
        self.api_version = api_version
        headers = {"Authorization": f"Bearer {secret_key}", "Stripe-Version": api_version}
        self.transport = Transport(
            provider=self.provider,
            base_url=self.api_base,
            headers=headers,
            hooks=HOOKS,
            retry=retry,
            limiter=limiter,
            **transport_options,
        )

    # -- Connect OAuth ------------------------------------------------------------------------

    def oauth_authorize_url(
        self, *, state: str, redirect_uri: str | None, scope: str = "read_write"
    ) -> str:
        """Where to send the user to link their Stripe account; `state` must be ours and signed.

        Without `redirect_uri` Stripe uses the first one registered in the platform's settings.
        """
        params = {"response_type": "code", "client_id": self.client_id, "scope": scope, "state": state}
        if redirect_uri:
            params["redirect_uri"] = redirect_uri
        query = urlencode(params)
        return f"{self.connect_base}/oauth/authorize?{query}"

    def oauth_exchange_code(self, code: str) -> dict[str, Any]:
        """POST /oauth/token -> {stripe_user_id, scope, livemode, token_type, ...}.

        A code is single-use, so this is retried only when Stripe cannot have seen it. The platform
        key authenticates as `Authorization: Bearer`, as stripe-python sends it (no
        `client_secret` form field).
        """
        return self.transport.request_json(
            "POST",
            "oauth/token",
            base_url=self.connect_base,
            data={
                "grant_type": "authorization_code",
                "code": code,
            },
            idempotent=False,
        )

    # -- the platform itself ------------------------------------------------------------------

    def platform_account(self) -> dict[str, Any]:
        """GET /v1/account without Stripe-Account: the platform's own account. The cheapest call
        the secret key authenticates: a wrong key is a 401 `Invalid API Key provided`."""
        return self.transport.request_json("GET", "v1/account")

    def retrieve_account(self, account: str) -> dict[str, Any]:
        """GET /v1/accounts/{id}: a connected account, as the platform sees it. An account the
        platform cannot read (not connected to it, or access revoked) is a 403 with code
        `account_invalid` ("The provided key ... does not have access to account ... (or that
        account does not exist). Application access may have been revoked."; 403 on retrieve as
        reported in github.com/stripe/stripe-apps/issues/458)."""
        return self.transport.request_json("GET", f"v1/accounts/{account}")

    # -- reads on a connected account ---------------------------------------------------------

    def account(self, account: str) -> dict[str, Any]:
        return self._get(account, "v1/account")

    def retrieve_payout(self, account: str, payout_id: str) -> dict[str, Any]:
        return self._get(account, f"v1/payouts/{payout_id}")

    def iter_payouts(
        self,
        account: str,
        *,
        created_gte: datetime | int | None = None,
        starting_after: str | None = None,
        limit: int = MAX_PAGE_SIZE,
    ) -> Iterator[Page]:
        params: dict[str, Any] = {}
        if created_gte is not None:
            params["created[gte]"] = _unix(created_gte)
        return self._pages(
            account, "v1/payouts", params, starting_after=starting_after, limit=limit
        )

    def iter_balance_transactions(
        self,
        account: str,
        *,
        payout: str | None = None,
        created_gte: datetime | int | None = None,
        starting_after: str | None = None,
        limit: int = MAX_PAGE_SIZE,
    ) -> Iterator[Page]:
        """GET /v1/balance_transactions, newest first.

        With `payout=po_…`: the balance transactions that automatic payout settled (the only way
        to learn a balance transaction's payout: the object does not carry it). Without: every
        balance transaction of the account, paid out or not, optionally `created[gte]`.
        """
        params: dict[str, Any] = {}
        if payout is not None:
            params["payout"] = payout
        if created_gte is not None:
            params["created[gte]"] = _unix(created_gte)
        return self._pages(
            account,
            "v1/balance_transactions",
            params,
            starting_after=starting_after,
            limit=limit,
        )

    def _get(self, account: str, path: str, params: dict | None = None) -> dict[str, Any]:
        return self.transport.request_json(
            "GET", path, params=params, headers={"Stripe-Account": account}
        )

    def _pages(
        self, account: str, path: str, params: dict, *, starting_after: str | None, limit: int
    ) -> Iterator[Page]:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"Stripe list limit must be 1..{MAX_PAGE_SIZE}")
        cursor = starting_after
        while True:
            query = {**params, "limit": limit}
            if cursor:
                query["starting_after"] = cursor
            payload = self._get(account, path, query)
            objects = payload.get("data") or []
            has_more = bool(payload.get("has_more")) and bool(objects)
            next_cursor = objects[-1]["id"] if has_more else None
            yield Page(objects=objects, next_cursor=next_cursor, cursor=cursor, raw=payload)
            if next_cursor is None:
                return
            cursor = next_cursor
