"""Typed provider errors: what went wrong, in terms the sync can act on.

Every error carries the provider's own machine-readable fields so callers branch on
`code` (Rutter `error_code`, Stripe `error.code`, Plaid `error_code`) and never on messages:

    ProviderError            anything the provider refused (4xx we do not understand better)
    ├── AuthError            our credentials or the access token are wrong (401/403, INVALID_*)
    ├── NeedsReauth          the end user must re-link (Rutter NEEDS_UPDATE, Stripe account_invalid)
    │   └── ItemLoginRequired  Plaid ITEM_LOGIN_REQUIRED
    ├── ConnectionDisabled   Rutter CONNECTION_DISABLED: nothing to do until the merchant acts
    ├── NotReady             initial sync still running (PRODUCT_NOT_READY): wait, not an error
    ├── RateLimited          429 still returned after the retry budget; `retry_after` if known
    └── TransientError       5xx/452/550/network still failing after the retry budget
"""

from __future__ import annotations


class ProviderError(Exception):
    retryable = False

    def __init__(
        self,
        message: str = "",
        *,
        provider: str,
        status: int | None = None,
        code: str | None = None,
        type: str | None = None,  # noqa: A002 - the providers call it "type"
        request_id: str | None = None,
        retry_after: float | None = None,
        body: object = None,
    ):
        self.provider = provider
        self.status = status
        self.code = code
        self.type = type
        self.message = message
        self.request_id = request_id
        self.retry_after = retry_after
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [self.provider]
        if self.status is not None:
            parts.append(str(self.status))
        if self.type:
            parts.append(self.type)
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        tail = f" (request {self.request_id})" if self.request_id else ""
        return f"{head}: {self.message}{tail}" if self.message else f"{head}{tail}"


class AuthError(ProviderError):
    pass


class NeedsReauth(ProviderError):
    pass


class ItemLoginRequired(NeedsReauth):
    pass


class ConnectionDisabled(ProviderError):
    pass


class NotReady(ProviderError):
    pass


class RateLimited(ProviderError):
    retryable = True


class TransientError(ProviderError):
    retryable = True
