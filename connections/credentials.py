"""Which provider credentials a partner's calls and webhooks use: the one home of that decision.

A partner that brought its own Rutter organization, Stripe platform or Plaid team (a
`ProviderAccount`, written by connections.services.provider_accounts) acts through it; a partner
without one uses the deployment's own, from settings (RUTTER_*, STRIPE_*, PLAID_*). Nothing else
reads those settings' credentials: clients (connections.services.clients) and webhook
verification (connections.services.webhooks) both start here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from connections.models import ProviderAccount

PARTNER = "partner"
DEPLOYMENT = "deployment"

# Where each environment's API lives. Rutter: https://production.rutterapi.com/versioned and
# https://sandbox.rutterapi.com (docs.rutter.com/rest/2024-04-30/basics); Plaid:
# https://production.plaid.com and https://sandbox.plaid.com (plaid.com/docs/api). Settings, so the
# simulator can stand in for either.
ENVIRONMENTS = {
    "rutter": {"production": "RUTTER_BASE_URL", "sandbox": "RUTTER_SANDBOX_BASE_URL"},
    "stripe": {"live": "STRIPE_API_BASE", "test": "STRIPE_API_BASE"},
    "plaid": {"production": "PLAID_BASE_URL", "sandbox": "PLAID_SANDBOX_BASE_URL"},
}


@dataclass(frozen=True)
class ProviderCredentials:
    """Everything needed to call one provider as one account. Secrets are kept out of repr()."""

    provider: str
    source: str  # PARTNER or DEPLOYMENT
    client_id: str
    environment: str
    base_url: str
    secret: str = field(repr=False)
    webhook_secret: str = field(default="", repr=False)
    public_key: str = ""

    def client_kwargs(self) -> dict:
        """The constructor arguments of this provider's client (connections/providers)."""
        if self.provider == "rutter":
            return {"base_url": self.base_url, "client_id": self.client_id, "client_secret": self.secret,
                    "version": settings.RUTTER_VERSION}
        if self.provider == "stripe":
            return {"api_base": self.base_url, "connect_base": settings.STRIPE_CONNECT_BASE,
                    "secret_key": self.secret, "client_id": self.client_id}
        return {"base_url": self.base_url, "client_id": self.client_id, "secret": self.secret}


def environment_base_url(provider: str, environment: str) -> str:
    return getattr(settings, ENVIRONMENTS[provider][environment])


def deployment_credentials(provider: str) -> ProviderCredentials:
    """The deployment's own account at `provider` (what partners without their own use)."""
    s = settings
    if provider == "rutter":
        return ProviderCredentials("rutter", DEPLOYMENT, s.RUTTER_CLIENT_ID, "production", s.RUTTER_BASE_URL,
                                   s.RUTTER_CLIENT_SECRET, s.RUTTER_CLIENT_SECRET, s.RUTTER_PUBLIC_KEY)
    if provider == "stripe":
        key = s.STRIPE_SECRET_KEY or ""
        return ProviderCredentials("stripe", DEPLOYMENT, s.STRIPE_CLIENT_ID,
                                   "live" if "_live_" in key else "test", s.STRIPE_API_BASE, key,
                                   s.STRIPE_WEBHOOK_SECRET)
    return ProviderCredentials("plaid", DEPLOYMENT, s.PLAID_CLIENT_ID, "production", s.PLAID_BASE_URL,
                               s.PLAID_SECRET)


def account_credentials(account: ProviderAccount) -> ProviderCredentials:
    from connections.services.tokens import token_decrypt  # services import this module

    secret = token_decrypt(account.secret_encrypted)
    webhook_secret = token_decrypt(account.webhook_secret_encrypted)
    if account.provider == "rutter":
        webhook_secret = secret  # Rutter signs webhooks with the organization's client secret
    return ProviderCredentials(
        account.provider, PARTNER, account.client_id, account.environment,
        environment_base_url(account.provider, account.environment), secret, webhook_secret,
        account.public_key,
    )


def partner_account(*, partner_id: int | None, provider: str) -> ProviderAccount | None:
    if partner_id is None:
        return None
    return ProviderAccount.objects.filter(partner_id=partner_id, provider=provider).first()


def credentials_for(*, partner_id: int | None, provider: str) -> ProviderCredentials:
    """The credentials `partner_id`'s calls to `provider` use: its own account, else the deployment's."""
    account = partner_account(partner_id=partner_id, provider=provider)
    return account_credentials(account) if account is not None else deployment_credentials(provider)


def partners_with_own(provider: str):
    """Ids of the partners with their own `provider` account (a queryset, for subqueries)."""
    return ProviderAccount.objects.filter(provider=provider).values("partner_id")
