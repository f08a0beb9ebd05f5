"""Provider clients built from settings: the sandbox and production differ only there."""

from connections.providers.plaid import PlaidClient
from connections.providers.rutter import RutterClient
from connections.providers.stripe import StripeClient

_CLASSES = {"rutter": RutterClient, "stripe": StripeClient, "plaid": PlaidClient}


def client_for(provider: str):
    """A new client for `provider` (use it as a context manager so its pool is closed)."""
    return _CLASSES[provider].from_settings()
