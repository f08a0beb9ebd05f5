"""Secrets we hand out once and keep only as hashes (API keys, embed client secrets)."""

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "tk"


def hash_secret(raw: str) -> str:
    # Secrets are 32+ random bytes, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw.encode()).hexdigest()


def secrets_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_api_key() -> tuple[str, str]:
    """Return (prefix, raw key). The raw key is `tk_<prefix>_<secret>`."""
    prefix = secrets.token_hex(6)
    return prefix, f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def split_api_key(raw: str) -> str | None:
    """The prefix of a well-formed key, or None for anything malformed."""
    parts = raw.split("_", 2) if isinstance(raw, str) else []
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 12 or len(parts[2]) < 32:
        return None
    return parts[1]
