"""Writes for tenancy: partners, API keys, companies, embed sessions."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils.timezone import now

from companies.models import ApiKey, Company, EmbedSession, Partner
from companies.tokens import hash_secret, new_api_key, secrets_equal, split_api_key

# A last_used_at write per request would serialise all requests of a key; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
EMBED_SECRET_TTL = timedelta(minutes=10)


@transaction.atomic
def partner_create(*, name: str, allowed_origins=(), brand_color: str = "#1f6feb") -> Partner:
    partner = Partner(name=name, allowed_origins=list(allowed_origins), brand_color=brand_color)
    partner.full_clean()
    partner.save()
    return partner


@transaction.atomic
def api_key_create(*, partner: Partner, name: str = "default") -> tuple[ApiKey, str]:
    """Create a key; the raw secret is returned once and never stored."""
    prefix, raw = new_api_key()
    key = ApiKey.objects.create(partner=partner, name=name, prefix=prefix, key_hash=hash_secret(raw))
    return key, raw


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key for a raw secret, or None. Constant-time hash comparison."""
    prefix = split_api_key(raw_key)
    if prefix is None:
        return None
    key = ApiKey.objects.select_related("partner").filter(prefix=prefix).first()
    if key is None or not secrets_equal(key.key_hash, hash_secret(raw_key)) or not key.is_active:
        return None
    moment = now()
    if key.last_used_at is None or moment - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=moment)
        key.last_used_at = moment
    return key


@transaction.atomic
def company_create(
    *, partner: Partner, name: str, base_currency: str = "USD", timezone: str = "UTC",
    external_id: str = "",
) -> Company:
    """Create a company. Its chart of accounts is created by the ledger in the same transaction."""
    company = Company(
        partner=partner, name=name, base_currency=base_currency.upper(), timezone=timezone,
        external_id=external_id,
    )
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def embed_session_create(
    *, company: Company, permissions=(EmbedSession.READ,), ttl: timedelta = EMBED_SECRET_TTL
) -> tuple[EmbedSession, str]:
    """Mint a single-use client secret for the embedded dashboard (returned once, stored hashed)."""
    perms = sorted(set(permissions))
    unknown = set(perms) - set(EmbedSession.PERMISSIONS)
    if unknown:
        raise ValueError(f"unknown permissions: {', '.join(sorted(unknown))}")
    raw = f"es_{secrets.token_urlsafe(32)}"
    session = EmbedSession.objects.create(
        company=company, secret_hash=hash_secret(raw), permissions=perms,
        expires_at=now() + ttl,
    )
    return session, raw
