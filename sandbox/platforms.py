"""Several provider accounts behind one sandbox server: each partner its own Rutter organization,
Stripe platform and Plaid team, each with its own world, credentials and webhook endpoint.

The real providers tell accounts apart by the credentials on each request; so does this: a
request whose credentials (Rutter client id, Stripe secret key or Connect client id, Plaid client
id, Rutter Link public key, Plaid link token) belong to an added platform is served by that
platform's own state, anything else by the server's first platform — which refuses unknown
credentials with the provider's own error body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .httpkit import Request

if TYPE_CHECKING:
    from .server import SandboxServer


def _match(platforms, attr: str, value) -> SandboxServer | None:
    if not value:
        return None
    return next((p for p in platforms if getattr(p.credentials, attr) == value), None)


def _stripe_key(req: Request) -> str | None:
    key = req.bearer()
    if key is None and (auth := req.basic_auth()):
        key = auth[0]
    return key


def platform_for(server: SandboxServer, req: Request) -> SandboxServer | None:
    """The added platform whose credentials `req` carries, or None (the server's own)."""
    platforms, path = server.platforms, req.path
    if not platforms:
        return None
    if path.startswith("/rutter/versioned"):
        auth = req.basic_auth()
        client_id = auth[0] if auth else (req.json() or {}).get("client_id")
        return _match(platforms, "rutter_client_id", client_id)
    if path.startswith("/rutter/linkstart/"):
        return _match(platforms, "rutter_public_key", path[len("/rutter/linkstart/"):].strip("/"))
    if path.startswith("/stripe-connect"):
        params = {**req.query, **(req.form() if req.method == "POST" else {})}
        if path.rstrip("/").endswith("/oauth/authorize"):
            return _match(platforms, "stripe_client_id", params.get("client_id"))
        return _match(platforms, "stripe_secret_key", params.get("client_secret") or _stripe_key(req))
    if path.startswith("/stripe/"):
        return _match(platforms, "stripe_secret_key", _stripe_key(req))
    if path.startswith("/plaid"):
        params = {**req.query, **(req.form() if req.method == "POST" else {})}
        token = params.get("token") or params.get("link_token")
        if token:
            return next((p for p in platforms if token in p.state.plaid_link_tokens), None)
        body = req.json() or {}
        return _match(platforms, "plaid_client_id", body.get("client_id") or req.header("plaid-client-id"))
    return None
