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
    *, company: Company, permissions=(EmbedSession.READ,), ttl: timedelta = EMBED_SECRET_TTL,
    api_key: ApiKey | None = None,
) -> tuple[EmbedSession, str]:
    """Mint a single-use client secret for the embedded dashboard (returned once, stored hashed)."""
    perms = sorted(set(permissions))
    unknown = set(perms) - set(EmbedSession.PERMISSIONS)
    if unknown:
        raise ValueError(f"unknown permissions: {', '.join(sorted(unknown))}")
    raw = f"es_{secrets.token_urlsafe(32)}"
    session = EmbedSession.objects.create(
        company=company, secret_hash=hash_secret(raw), permissions=perms,
        expires_at=now() + ttl, api_key=api_key,
    )
    return session, raw


def embed_sessions_revoke(*, company: Company, public_id=None) -> int:
    """Revoke one embed session of `company` (by its id) or all of them: the dashboards they
    opened stop at their next request. Returns how many were revoked."""
    sessions = EmbedSession.objects.filter(company=company, revoked_at__isnull=True)
    if public_id is not None:
        sessions = sessions.filter(public_id=public_id)
    return sessions.update(revoked_at=now())


COMPANY_UPDATABLE_FIELDS = ("name", "timezone", "external_id")
# Rows created with every company (its chart of accounts) or that only describe access to it:
# deleting them loses nothing the partner gave us. Named by label because companies sits below
# the apps that own them. Anything else (entries, synced rows, connections) is "books".
DELETABLE_WITH_COMPANY = frozenset(
    {"companies.embedsession", "companies.idempotencyrecord", "ledger.account"}
)


class CompanyHasBooks(Exception):
    """The company holds books (entries, synced data, connections) and cannot be deleted."""


@transaction.atomic
def company_update(*, company: Company, **changes) -> Company:
    """Change a company's profile. The base currency is fixed once created (the books use it)."""
    unknown = set(changes) - set(COMPANY_UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot update: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(company, field, value)
    company.full_clean()
    company.save(update_fields=list(changes) or None)
    return company


def company_holdings(*, company: Company) -> list[str]:
    """Labels of the models holding this company's books (empty when it can be deleted)."""
    found = []
    for relation in Company._meta.get_fields(include_hidden=True):
        if not (relation.one_to_many or relation.one_to_one) or not relation.auto_created:
            continue
        model = relation.related_model
        if model._meta.label_lower in DELETABLE_WITH_COMPANY:
            continue
        if model._base_manager.filter(**{relation.field.name: company}).exists():
            found.append(model._meta.label_lower)
    return sorted(set(found))


@transaction.atomic
def company_delete(*, company: Company) -> None:
    """Delete a company that has no books yet (e.g. created by mistake); refuse otherwise."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    holdings = company_holdings(company=company)
    if holdings:
        raise CompanyHasBooks(", ".join(holdings))
    company.delete()
