"""The one transport every provider client uses: pooling, timeouts, retries, limits, typed errors.

Retry rules (design.md "External calls"):
- retried: 429, 452, 5xx, 550 and network errors, with exponential backoff and full jitter
  (sleep = uniform(0, min(max_delay, base_delay * 2**attempt))), bounded by `max_attempts`
  and by `max_elapsed` seconds in total;
- `Retry-After` (delta-seconds or HTTP-date) replaces the jittered delay when present; if it asks
  for longer than we may wait, we stop and raise with `retry_after` set so a task can reschedule;
- a provider may veto or force a retry per response (Stripe's `Stripe-Should-Retry`);
- requests that are not idempotent (token exchanges: codes are single-use) are retried only when
  the provider cannot have acted on them: a 429, or a failure to connect at all.

Sleep, clocks and randomness are injectable so tests prove all of this without waiting.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from connections.providers.errors import (
    AuthError,
    ProviderError,
    RateLimited,
    TransientError,
)

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 452, 550})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)
# Failures that happen before a byte of the request reached the provider.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_elapsed: float = 120.0
    max_retry_after: float = 120.0


@dataclass(frozen=True)
class ErrorInfo:
    """The provider's machine-readable error fields, parsed from a non-2xx body."""

    code: str | None = None
    type: str | None = None
    message: str = ""
    request_id: str | None = None
    body: Any = None


@dataclass
class Hooks:
    """What differs per provider: how errors read, what they mean, and retry hints."""

    parse_error: Callable[[httpx.Response], ErrorInfo] = field(default=lambda r: ErrorInfo())
    # Returns a ProviderError subclass for errors that mean something specific (NotReady,
    # NeedsReauth, ...); such errors are never retried. None = decide by HTTP status.
    classify: Callable[[int, ErrorInfo], type[ProviderError] | None] = field(
        default=lambda status, info: None
    )
    # True/False forces/vetoes a retry of this response; None = decide by HTTP status.
    retry_hint: Callable[[httpx.Response], bool | None] = field(default=lambda r: None)
    request_id_header: str | None = None


def is_retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES or 500 <= status <= 599


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


class Transport:
    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        hooks: Hooks | None = None,
        retry: RetryPolicy | None = None,
        limiter=None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        http_transport: httpx.BaseTransport | None = None,
    ):
        self.provider = provider
        self.hooks = hooks or Hooks()
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Accept": "application/json", "User-Agent": "tieout/0.1", **(headers or {})},
            auth=auth,
            timeout=timeout,
            limits=limits,
            transport=http_transport,
            follow_redirects=False,
        )

    # -- public -------------------------------------------------------------------------------

    def request_json(self, method: str, path: str, **kwargs) -> dict:
        response = self.request(method, path, **kwargs)
        try:
            payload = response.json()
        except ValueError as exc:
            raise ProviderError(
                "response is not JSON",
                provider=self.provider,
                status=response.status_code,
                code="invalid_json",
                request_id=self._request_id(response, None),
            ) from exc
        if not isinstance(payload, dict):
            raise ProviderError(
                "response is not a JSON object",
                provider=self.provider,
                status=response.status_code,
                code="invalid_json",
            )
        return payload

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | list | None = None,
        json: Any = None,
        data: dict | list | None = None,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        idempotent: bool = True,
        base_url: str | None = None,
    ) -> httpx.Response:
        """Send with retries; returns the 2xx response or raises a ProviderError subclass."""
        url = self._url(path, base_url)
        started = self._clock()
        deadline = started + self.retry.max_elapsed
        attempt = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                self.limiter.acquire()
            extra = {"auth": auth} if auth is not None else {}
            try:
                response = self._client.request(
                    method, url, params=params, json=json, data=data, headers=headers, **extra
                )
            except httpx.TransportError as exc:
                retryable = idempotent or isinstance(exc, _NOT_SENT)
                error = TransientError(
                    f"{type(exc).__name__}: {exc}", provider=self.provider, code="network_error"
                )
                delay = self._backoff(attempt)
                if not retryable or not self._may_wait(attempt, delay, deadline):
                    raise error from exc
                self._log_retry(method, path, attempt, delay, "network", str(exc))
                self._sleep(delay)
                continue

            if response.is_success:
                return response

            error = self._error_for(response)
            if not error.retryable or not self._should_retry(response, idempotent):
                raise error
            if error.retry_after is not None:
                delay = error.retry_after
                if delay > self.retry.max_retry_after:
                    raise error
            else:
                delay = self._backoff(attempt)
            if not self._may_wait(attempt, delay, deadline):
                raise error
            self._log_retry(method, path, attempt, delay, response.status_code, error.code)
            self._sleep(delay)

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _url(self, path: str, base_url: str | None) -> str:
        if base_url:
            return base_url.rstrip("/") + "/" + path.lstrip("/")
        # Relative to the client's base_url, which may carry a path prefix such as /versioned.
        return path.lstrip("/")

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.max_delay, self.retry.base_delay * (2 ** (attempt - 1)))
        return self._rng.uniform(0, ceiling)

    def _may_wait(self, attempt: int, delay: float, deadline: float) -> bool:
        return attempt < self.retry.max_attempts and self._clock() + delay <= deadline

    def _should_retry(self, response: httpx.Response, idempotent: bool) -> bool:
        hint = self.hooks.retry_hint(response)
        if hint is False:
            return False
        if not idempotent and response.status_code != 429:
            return False
        return hint is True or is_retryable_status(response.status_code)

    def _request_id(self, response: httpx.Response, info: ErrorInfo | None) -> str | None:
        header = self.hooks.request_id_header
        from_header = response.headers.get(header) if header else None
        return from_header or (info.request_id if info else None)

    def _error_for(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        try:
            info = self.hooks.parse_error(response)
        except Exception:  # a malformed error body must not hide the status
            info = ErrorInfo(message=response.text[:500])
        cls = self.hooks.classify(status, info)
        if cls is None:
            if status == 429:
                cls = RateLimited
            elif is_retryable_status(status) or self.hooks.retry_hint(response) is True:
                cls = TransientError
            elif status in (401, 403):
                cls = AuthError
            else:
                cls = ProviderError
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._wall_clock())
        return cls(
            info.message or response.reason_phrase,
            provider=self.provider,
            status=status,
            code=info.code,
            type=info.type,
            request_id=self._request_id(response, info),
            retry_after=retry_after,
            body=info.body,
        )

    def _log_retry(self, method, path, attempt, delay, status, detail) -> None:
        # Log the path only: Rutter puts access tokens in the query string.
        logger.warning(
            "%s %s %s failed (%s %s); retry %d in %.2fs",
            self.provider,
            method,
            path,
            status,
            detail or "",
            attempt,
            delay,
        )


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None



def flat_error_info(response: httpx.Response, *, request_id_field: str | None = None) -> ErrorInfo:
    """Error bodies with flat `error_code` / `error_type` / `error_message` fields (Rutter, Plaid);
    `request_id_field` names a body field carrying the request id, where the provider has one."""
    body = json_or_none(response)
    if not isinstance(body, dict):
        return ErrorInfo(message=response.text[:500])
    return ErrorInfo(
        code=body.get("error_code"),
        type=body.get("error_type"),
        message=body.get("error_message") or "",
        request_id=body.get(request_id_field) if request_id_field else None,
        body=body,
    )

class ProviderClient:
    """What every provider client shares: closed as a context manager. Built with explicit
    credentials — in the product always through connections.services.clients, from the
    connection's partner (connections.credentials), never from settings directly."""

    transport: Transport

    def close(self) -> None:
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
