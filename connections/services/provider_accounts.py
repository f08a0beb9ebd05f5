"""A partner's own provider accounts: set (validated with the provider first), rotate, clear.

Secrets are checked with one cheap authenticated call before anything is saved — Rutter
GET /connections, Stripe GET /v1/account, Plaid POST /institutions/get — so keys the provider
refuses are a `ProviderKeysRefused` and nothing is written. They are stored Fernet-encrypted
(connections.services.tokens) and shown only as a hint (`sk_test_…7x2Q`).

Changing to another account (another Rutter organization, Stripe platform or Plaid team) while
the partner's companies have live connections through the current one is refused
(`ProviderAccountInUse`): those connections exist only there. Rotating a secret of the same
account is always allowed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from companies.models import Partner
from connections.credentials import ProviderCredentials, environment_base_url
from connections.models import Connection, ConnectionStatus, ProviderAccount
from connections.providers.errors import ProviderError
from connections.services.clients import client_with
from connections.services.tokens import token_decrypt, token_encrypt

ENVIRONMENT_CHOICES = {"rutter": ("sandbox", "production"), "stripe": ("test", "live"),
                       "plaid": ("sandbox", "production")}
# Stripe key prefixes: secret `sk_`, restricted `rk_`, then the mode
# (https://docs.stripe.com/keys); webhook endpoint signing secrets start `whsec_`.
STRIPE_KEY_PREFIXES = {"test": ("sk_test_", "rk_test_"), "live": ("sk_live_", "rk_live_")}
HINT_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_")


class ProviderSettingsInvalid(ValueError):
    """Settings refused before any call (wrong shape, wrong mode); `field` names the culprit."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class ProviderKeysRefused(ValueError):
    """The provider refused the keys; `provider_code` is its own error code."""

    def __init__(self, provider: str, provider_code: str, message: str):
        self.provider, self.provider_code = provider, provider_code
        super().__init__(message)


class ProviderAccountInUse(ValueError):
    pass


def secret_hint(secret: str) -> str:
    """What may be shown of a secret: its kind and last four characters, never more than a fifth
    of it (a short secret shows no characters at all)."""
    prefix = next((p for p in HINT_PREFIXES if secret.startswith(p)), "")
    rest = secret[len(prefix):]
    return f"{prefix}…{rest[-4:]}" if len(rest) >= 20 else f"{prefix}…"


def _scrub(message: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "[redacted]")
    return message[:300]


def _check_shape(provider: str, values: dict) -> None:
    env = values["environment"]
    if env not in ENVIRONMENT_CHOICES[provider]:
        raise ProviderSettingsInvalid("environment", f"Use one of {', '.join(ENVIRONMENT_CHOICES[provider])}.")
    if provider == "stripe":
        if not values["secret"].startswith(STRIPE_KEY_PREFIXES[env]):
            raise ProviderSettingsInvalid("secret_key", f"A {env}-mode Stripe secret key starts with "
                                          f"{' or '.join(STRIPE_KEY_PREFIXES[env])}.")
        if not values["client_id"].startswith("ca_"):
            raise ProviderSettingsInvalid("client_id", "A Stripe Connect client id starts with ca_ "
                                          "(Dashboard → Settings → Connect → Onboarding options → OAuth).")
        if values["webhook_secret"] and not values["webhook_secret"].startswith("whsec_"):
            raise ProviderSettingsInvalid("webhook_secret", "A Stripe webhook signing secret starts with whsec_.")


def _validate(credentials: ProviderCredentials) -> dict:
    """One cheap call the keys must authenticate; returns what it answered."""
    try:
        with client_with(credentials) as client:
            if credentials.provider == "rutter":
                return client.list_connections()
            if credentials.provider == "stripe":
                return client.platform_account()
            return client.institutions_get()
    except ProviderError as exc:
        if exc.retryable or (exc.status or 500) >= 500:
            raise
        raise ProviderKeysRefused(credentials.provider, exc.code or exc.type or str(exc.status or ""),
                                  _scrub(exc.message or str(exc), credentials.secret)) from exc


def _live_connections(partner: Partner, provider: str):
    return Connection.objects.filter(company__partner=partner, provider=provider).exclude(
        status=ConnectionStatus.DISABLED)


def provider_account_set(*, partner: Partner, provider: str, client_id: str, environment: str,
                         secret: str | None = None, webhook_secret: str | None = None,
                         public_key: str | None = None) -> ProviderAccount:
    """Create or update `partner`'s own `provider` account. A secret left None keeps the stored one
    (rotate one secret at a time); every save is validated with the provider first."""
    current = ProviderAccount.objects.filter(partner=partner, provider=provider).first()
    if secret is None and current is None:
        raise ProviderSettingsInvalid("secret_key" if provider == "stripe" else "secret", "This field is required.")
    values = {
        "client_id": client_id.strip(), "environment": environment,
        "secret": secret if secret is not None else token_decrypt(current.secret_encrypted),
        "webhook_secret": webhook_secret if webhook_secret is not None else (
            token_decrypt(current.webhook_secret_encrypted) if current else ""),
        "public_key": public_key if public_key is not None else (current.public_key if current else ""),
    }
    _check_shape(provider, values)
    credentials = ProviderCredentials(provider, "partner", values["client_id"], environment,
                                      environment_base_url(provider, environment), values["secret"],
                                      values["webhook_secret"], values["public_key"])
    answer = _validate(credentials)
    platform_account = str(answer.get("id") or "") if provider == "stripe" else ""
    with transaction.atomic():
        current = ProviderAccount.objects.select_for_update().filter(partner=partner, provider=provider).first()
        if current is not None and _live_connections(partner, provider).exists() and (
                current.client_id != values["client_id"] or current.environment != environment
                or (platform_account and current.platform_account and current.platform_account != platform_account)):
            raise ProviderAccountInUse(
                f"Your companies have {provider.title()} connections through {current.client_id}; "
                "they exist only in that account. Rotate its secrets, or disconnect them first.")
        account = current or ProviderAccount(partner=partner, provider=provider)
        account.client_id, account.environment = values["client_id"], environment
        account.public_key = values["public_key"]
        account.secret_encrypted, account.secret_hint = token_encrypt(values["secret"]), secret_hint(values["secret"])
        account.webhook_secret_encrypted = token_encrypt(values["webhook_secret"])
        account.webhook_secret_hint = secret_hint(values["webhook_secret"]) if values["webhook_secret"] else ""
        account.platform_account = platform_account
        account.validated_at = account.updated_at = timezone.now()
        account.save()
    return account


@transaction.atomic
def provider_account_clear(*, partner: Partner, provider: str) -> bool:
    """Go back to the deployment's account. Refused while connections live in the partner's own."""
    if _live_connections(partner, provider).exists():
        raise ProviderAccountInUse(f"Your companies have {provider.title()} connections through your own "
                                   "account; disconnect them before removing it.")
    deleted, _ = ProviderAccount.objects.filter(partner=partner, provider=provider).delete()
    return bool(deleted)
