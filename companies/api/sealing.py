"""Stored API responses sealed at rest (Fernet), so a replayable response is never plain text.

An idempotent POST's response is kept for a day to be replayed; some responses carry secrets (an
embed session's client secret). They are encrypted with a key derived from
settings.TOKEN_ENCRYPTION_KEY (or SECRET_KEY when unset, as connections' token encryption does),
under a label of their own so the two uses never share a key.
"""

import base64
import functools
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from rest_framework.utils.encoders import JSONEncoder

LABEL = b"tieout-idempotency:"


class Unreadable(ValueError):
    """A sealed value this deployment's key cannot open (the key was rotated)."""


@functools.lru_cache(maxsize=4)
def _fernet(token_key: str, secret_key: str) -> Fernet:
    root = token_key or secret_key
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(LABEL + root.encode()).digest()))


def _current() -> Fernet:
    return _fernet(getattr(settings, "TOKEN_ENCRYPTION_KEY", "") or "", settings.SECRET_KEY)


def seal(data) -> str:
    """JSON-encode `data` and encrypt it; returns URL-safe text to store."""
    return _current().encrypt(json.dumps(data, cls=JSONEncoder).encode()).decode()


def unseal(sealed: str):
    try:
        return json.loads(_current().decrypt(sealed.encode()))
    except InvalidToken as exc:
        raise Unreadable("stored response cannot be decrypted with the current key") from exc
