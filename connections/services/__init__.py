"""Every write of the connections app: linking, syncing, the webhook inbox."""

from connections.services.linking import (
    STRIPE_GO_PATH,
    LinkError,
    connection_disconnect,
    connection_link_plaid,
    connection_link_rutter,
    connection_link_stripe,
    connection_link_stripe_account,
    plaid_link_token_create,
    stripe_oauth_start_url,
    stripe_oauth_state_read,
    stripe_oauth_ticket,
    stripe_redirect_uri,
)
from connections.services.sync import (
    books_changed_announce,
    connection_refresh_object,
    connection_set_status,
    connection_sync,
    connections_sync_many,
)
from connections.services.tokens import token_decrypt, token_encrypt
from connections.services.webhooks import Received, webhook_process, webhook_receive

__all__ = [
    "LinkError", "Received", "connection_disconnect", "connection_link_plaid", "connection_link_rutter",
    "connection_link_stripe", "connection_link_stripe_account", "connection_refresh_object", "connection_set_status",
    "connection_sync", "connections_sync_many", "books_changed_announce", "plaid_link_token_create",
    "stripe_oauth_start_url", "stripe_oauth_state_read", "stripe_oauth_ticket", "stripe_redirect_uri",
    "STRIPE_GO_PATH", "token_decrypt",
    "token_encrypt", "webhook_process", "webhook_receive",
]
