"""Verification of inbound provider webhooks over the exact raw request body.

Each verifier returns quietly (or with the verified claims) or raises `SignatureError` whose
`reason` is a stable machine code, fit to record in the webhook inbox:

    missing_header, malformed_header, bad_signature, stale_timestamp, unsupported_alg,
    unknown_kid, expired_key, key_unavailable, stale_iat, body_mismatch

All secret comparisons use hmac.compare_digest. Never parse and re-serialize the body before
verifying: the signature covers the bytes the provider sent.

- Rutter: `X-Rutter-Signature: sha256=<base64(HMAC-SHA256(raw_body, client_secret))>`.
- Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 hex of
  "{t}.{raw_body}" with the endpoint secret; any v1 may match (secret rolling); the timestamp
  must be within 300 s of now.
- Plaid: `Plaid-Verification` is a JWT signed ES256 by a key fetched by `kid` from
  /webhook_verification_key/get (cached, honouring the key's `expired_at`); its `iat` must be at
  most 5 minutes old and its `request_body_sha256` must equal the hex SHA-256 of the body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from connections.providers.errors import AuthError, ProviderError

STRIPE_TOLERANCE_SECONDS = 300
PLAID_MAX_AGE_SECONDS = 300


class SignatureError(Exception):
    def __init__(self, reason: str, message: str = ""):
        self.reason = reason
        self.message = message or reason
        super().__init__(f"{reason}: {self.message}")


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else bytes(body)


# -- Rutter -----------------------------------------------------------------------------------


def rutter_signature(body: bytes | str, secret: str) -> str:
    """The header value Rutter would send for `body` (used by the sandbox and tests)."""
    digest = hmac.new(secret.encode(), _as_bytes(body), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def verify_rutter(*, body: bytes | str, header: str | None, secret: str) -> None:
    if not header:
        raise SignatureError("missing_header", "X-Rutter-Signature is missing")
    if not secret:
        raise SignatureError("bad_signature", "no Rutter client secret configured")
    value = header.strip()
    if value.lower().startswith("sha256="):
        value = value[len("sha256=") :]
    try:
        received = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("malformed_header", "signature is not base64") from exc
    expected = hmac.new(secret.encode(), _as_bytes(body), hashlib.sha256).digest()
    if not hmac.compare_digest(received, expected):
        raise SignatureError("bad_signature", "X-Rutter-Signature does not match the body")


# -- Stripe -----------------------------------------------------------------------------------


def stripe_signature(body: bytes | str, secret: str, *, timestamp: int) -> str:
    """The Stripe-Signature header Stripe would send for `body` at `timestamp`."""
    signed = f"{timestamp}.".encode() + _as_bytes(body)
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def verify_stripe(
    *,
    body: bytes | str,
    header: str | None,
    secret: str,
    tolerance: int = STRIPE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Returns the signed timestamp. Rejects signatures older (or newer) than `tolerance`."""
    if not header:
        raise SignatureError("missing_header", "Stripe-Signature is missing")
    if not secret:
        raise SignatureError("bad_signature", "no Stripe webhook secret configured")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise SignatureError("malformed_header", "t is not an integer") from exc
        elif key == "v1":  # v0 is Stripe's test-only scheme: never accepted
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed_header", "Stripe-Signature needs t= and at least one v1=")
    signed = f"{timestamp}.".encode() + _as_bytes(body)
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    # Compare against every candidate so timing does not reveal which one matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(candidate.encode(), expected.encode())
    if not matched:
        raise SignatureError("bad_signature", "no v1 signature matches the body")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("stale_timestamp", f"signed {int(current - timestamp)} s from now")
    return timestamp


# -- Plaid ------------------------------------------------------------------------------------


class PlaidKeyCache:
    """Plaid webhook verification keys by `kid`, fetched on first use and kept for `ttl` seconds.

    Re-fetching after `ttl` is how we learn that a cached key has since expired. Unknown kids are
    remembered for `negative_ttl`, and fetches of kids we have not seen are limited to
    `new_kid_fetches` per `negative_ttl` across all kids: forged headers with fresh kids cannot
    make us call Plaid on every request (past the budget: `key_unavailable`, a 503 Plaid retries).
    Bounded to `max_entries` (least recently used go first). Thread-safe.
    """

    def __init__(
        self,
        *,
        fetch: Callable[[str], dict[str, Any]],
        ttl: float = 3600.0,
        negative_ttl: float = 60.0,
        max_entries: int = 64,
        new_kid_fetches: int = 5,
        clock: Callable[[], float] = time.time,
    ):
        self._fetch = fetch
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, dict | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.new_kid_fetches = new_kid_fetches
        self._new_fetches: list[float] = []  # when kids we did not hold were fetched

    def get(self, kid: str) -> dict[str, Any] | None:
        """The JWK for `kid`, or None if Plaid does not know it. Raises SignatureError
        (key_unavailable) when Plaid cannot be asked right now — answer 5xx so it retries."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(kid)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(kid)
                return entry[1]
            if entry is None:
                self._new_fetches = [t for t in self._new_fetches if t > now - self.negative_ttl]
                if len(self._new_fetches) >= self.new_kid_fetches:
                    raise SignatureError("key_unavailable", "too many unknown Plaid key ids: try later")
                self._new_fetches.append(now)
        try:
            key: dict | None = self._fetch(kid)
        except ProviderError as exc:
            # Our own misconfiguration or Plaid being down is not evidence of a forged kid.
            if exc.retryable or isinstance(exc, AuthError) or not exc.status or exc.status >= 500:
                raise SignatureError(
                    "key_unavailable", f"could not fetch Plaid key: {exc}"
                ) from exc
            key = None  # Plaid refused the key id: it is not one of theirs
        with self._lock:
            expires = now + (self.ttl if key is not None else self.negative_ttl)
            self._entries[kid] = (expires, key)
            self._entries.move_to_end(kid)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return key

    @classmethod
    def for_client(cls, client, **options) -> PlaidKeyCache:
        return cls(fetch=client.webhook_verification_key_get, **options)


def _b64url(segment: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2): one spelling per value, so a header cannot
    be re-spelled (extra "=", other trailing bits) into a "new" delivery."""
    if not isinstance(segment, str) or "=" in segment:
        raise ValueError("JWS segments carry no padding")
    decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() != segment:
        raise ValueError("not the canonical base64url spelling")
    return decoded


# P-256's group order: an ECDSA signature (r, s) verifies as (r, n - s) too, so the dedupe key of
# a delivery uses the low s of the two.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_KID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def plaid_delivery_key(header: str) -> str:
    """What identifies one Plaid delivery however its header is spelled: the signed header and
    claims as decoded, and the signature with its low s. Call after verify_plaid."""
    parts = header.strip().split(".")
    signature = _b64url(parts[2])
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    canonical = b".".join([_b64url(parts[0]), _b64url(parts[1]), r.to_bytes(32, "big"),
                           min(s, P256_ORDER - s).to_bytes(32, "big")])
    return hashlib.sha256(canonical).hexdigest()


def _public_key(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise SignatureError("unsupported_alg", "Plaid key is not an EC P-256 key")
    if jwk.get("alg") not in (None, "ES256"):
        raise SignatureError("unsupported_alg", f"Plaid key is for {jwk.get('alg')}")
    try:
        x = int.from_bytes(_b64url(jwk["x"]), "big")
        y = int.from_bytes(_b64url(jwk["y"]), "big")
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, ValueError, binascii.Error) as exc:
        raise SignatureError("malformed_header", "Plaid key has no valid x/y") from exc


def verify_plaid(
    *,
    body: bytes | str,
    header: str | None,
    keys: PlaidKeyCache,
    max_age: int = PLAID_MAX_AGE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Returns the verified JWT claims."""
    if not header:
        raise SignatureError("missing_header", "Plaid-Verification is missing")
    parts = header.strip().split(".")
    if len(parts) != 3:
        raise SignatureError("malformed_header", "Plaid-Verification is not a JWS compact token")
    try:
        jose = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise SignatureError("malformed_header", "Plaid-Verification does not decode") from exc
    if not isinstance(jose, dict) or not isinstance(claims, dict):
        raise SignatureError("malformed_header", "JWT header and claims must be objects")
    # Decide the algorithm ourselves: a token must never choose "none" or an HMAC.
    if jose.get("alg") != "ES256":
        raise SignatureError("unsupported_alg", f"alg {jose.get('alg')!r} is not ES256")
    kid = jose.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SignatureError("malformed_header", "JWT header has no kid")

    if not _KID.match(kid):  # Plaid's key ids are UUIDs: anything else is never fetched
        raise SignatureError("unknown_kid", "JWT kid is not a Plaid key id")
    if len(signature) != 64:  # JWS ES256 is raw r||s, 32 bytes each
        raise SignatureError("bad_signature", "ES256 signature must be 64 bytes")

    # Everything that needs no key is checked before the key is fetched: a forged header must
    # not cost us a call to Plaid.
    current = time.time() if now is None else now
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise SignatureError("malformed_header", "JWT has no numeric iat")
    if current - iat > max_age:
        raise SignatureError("stale_iat", f"issued {int(current - iat)} s ago")
    if iat - current > max_age:  # clock skew allowance is the same window, the other way
        raise SignatureError("stale_iat", "issued in the future")
    claimed = claims.get("request_body_sha256")
    actual = hashlib.sha256(_as_bytes(body)).hexdigest()
    if not isinstance(claimed, str) or not hmac.compare_digest(claimed.lower(), actual):
        raise SignatureError("body_mismatch", "request_body_sha256 does not match the body")

    jwk = keys.get(kid)
    if jwk is None:
        raise SignatureError("unknown_kid", f"Plaid does not know key {kid}")
    expired_at = jwk.get("expired_at")
    if expired_at is not None and expired_at <= current:
        raise SignatureError("expired_key", f"key {kid} expired at {expired_at}")

    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    try:
        _public_key(jwk).verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise SignatureError("bad_signature", "JWT signature does not verify") from exc
    return claims
