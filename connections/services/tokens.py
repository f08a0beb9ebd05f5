"""Access tokens encrypted at rest with Fernet.

The key is settings.TOKEN_ENCRYPTION_KEY, or one derived from SECRET_KEY when unset (development
only: rotating SECRET_KEY would then make stored tokens unreadable, so production sets it).
"""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings


@functools.lru_cache(maxsize=4)
def _fernet(key: str, secret_key: str) -> Fernet:
    if not key:
        key = base64.urlsafe_b64encode(hashlib.sha256(b"tieout-tokens:" + secret_key.encode()).digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def _current() -> Fernet:
    return _fernet(getattr(settings, "TOKEN_ENCRYPTION_KEY", "") or "", settings.SECRET_KEY)


def token_encrypt(token: str) -> str:
    return _current().encrypt(token.encode()).decode() if token else ""


def token_decrypt(ciphertext: str) -> str:
    return _current().decrypt(ciphertext.encode()).decode() if ciphertext else ""
