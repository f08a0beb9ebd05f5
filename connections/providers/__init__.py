"""httpx clients for the outside world: Rutter, Stripe (Connect) and Plaid.

Each client takes its base URL and credentials as constructor arguments (connections.services.
clients builds them from the partner's or the deployment's credentials, connections.credentials),
so the sandbox and production differ only by configuration.
All of them share one transport (http.py) and one error vocabulary (errors.py).
"""

from connections.providers.errors import (
    AuthError,
    ConnectionDisabled,
    ItemLoginRequired,
    NeedsReauth,
    NotReady,
    ProviderError,
    RateLimited,
    TransientError,
)

__all__ = [
    "AuthError",
    "ConnectionDisabled",
    "ItemLoginRequired",
    "NeedsReauth",
    "NotReady",
    "ProviderError",
    "RateLimited",
    "TransientError",
]
