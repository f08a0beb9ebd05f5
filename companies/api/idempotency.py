"""`Idempotency-Key` for POSTs: a retried request gets the stored response instead of a second write.

Same key + same body → the first response again (with `Idempotent-Replayed: true`); same key +
another body or path → 409 `idempotency_key_reused`; same key while the first is still running →
409 `idempotency_key_in_use`. Keys are scoped to the API key and kept for KEY_TTL. Server errors
are not stored, so a request that failed on our side can be retried with the same key.

Stored responses are encrypted at rest (companies/api/sealing.py): some carry secrets, such as an
embed session's client secret, which must exist in the database only as a hash.
"""

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.timezone import now
from rest_framework.response import Response

from companies.api import sealing
from companies.api.errors import ApiError, Conflict
from companies.models import ApiKey, IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_TTL = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


class Replay(Exception):
    """Raised from a view's `initial()` to answer with a stored response instead of running."""

    def __init__(self, response: Response):
        self.response = response


def body_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """Hash of what makes two requests "the same": JSON bodies compare by content, not layout."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("latin-1")
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def idempotency_begin(*, api_key: ApiKey, key: str, method: str, path: str, body: bytes):
    """Claim `key` for this request, or raise Replay / Conflict. Returns the claimed record."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", code="validation_error",
            details={HEADER: [f"Use a unique value of 1 to {MAX_KEY_LENGTH} characters, e.g. a UUID."]},
        )
    fingerprint = body_fingerprint(method=method, path=path, body=body)
    # Expired keys, and claims whose request died without an answer (a killed worker), are freed.
    IdempotencyRecord.objects.filter(api_key=api_key, key=key).filter(
        Q(created_at__lt=now() - KEY_TTL) | Q(status_code=None, created_at__lt=now() - ABANDONED_AFTER)
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                api_key=api_key, key=key, method=method, path=path[:500], request_hash=fingerprint
            )
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
    if record is None:  # finished with a server error and released between our two queries
        raise Conflict("A request with this Idempotency-Key just failed; retry.",
                       code="idempotency_key_in_use")
    if record.request_hash != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used for a different request (another body or "
            "path). Use a new key for a new request.", code="idempotency_key_reused",
            details={"original_path": record.path, "original_method": record.method},
        )
    if record.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry "
                       "shortly.", code="idempotency_key_in_use")
    raise Replay(Response(_stored_body(record), status=record.status_code,
                          headers={"Idempotent-Replayed": "true"}))


def _stored_body(record: IdempotencyRecord):
    if record.response_body is None:
        return None
    if not isinstance(record.response_body, str):  # stored before responses were sealed
        return record.response_body
    try:
        return sealing.unseal(record.response_body)
    except sealing.Unreadable as exc:
        raise Conflict(
            "The response stored for this Idempotency-Key can no longer be read; check whether the "
            "first request took effect, then use a new key.", code="idempotency_key_unreadable",
        ) from exc


def idempotency_finish(*, record: IdempotencyRecord, status_code: int, data) -> None:
    """Store the response of a claimed request; release the key when it was a server error."""
    if status_code >= 500:
        record.delete()
        return
    record.status_code = status_code
    # Sealed: a JSON string holding ciphertext, never the response itself (it may carry secrets).
    record.response_body = sealing.seal(data) if data is not None else None
    record.save(update_fields=["status_code", "response_body"])
