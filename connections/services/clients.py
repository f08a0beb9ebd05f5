"""Provider clients built from a partner's credentials (connections.credentials): the partner's own
Rutter organization, Stripe platform or Plaid team when it brought one, else the deployment's."""

from connections.credentials import ProviderCredentials, credentials_for
from connections.providers.plaid import PlaidClient
from connections.providers.rutter import RutterClient
from connections.providers.stripe import StripeClient

_CLASSES = {"rutter": RutterClient, "stripe": StripeClient, "plaid": PlaidClient}


def client_with(credentials: ProviderCredentials):
    """A new client acting as `credentials` (use it as a context manager so its pool is closed).

    Rutter's client shares one rate limiter per client_id, so each partner's organization gets
    its own 500-per-10-seconds window (connections/providers/ratelimit.py)."""
    return _CLASSES[credentials.provider](**credentials.client_kwargs())


def client_for(provider: str, *, partner_id: int | None = None):
    """A new client for `provider` acting for `partner_id` (None: the deployment's own account)."""
    return client_with(credentials_for(partner_id=partner_id, provider=provider))


def client_for_connection(connection):
    """A new client for a connection: always its own company's partner's account."""
    return client_for(connection.provider, partner_id=connection.company.partner_id)
