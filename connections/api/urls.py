"""Partner API routes of the connections app (mounted under /api/v1/ by config/api_urls.py)."""

from companies.api.base import company_path, partner_path
from connections.api.connections import (
    ConnectionDetailApi,
    ConnectionDisconnectApi,
    ConnectionListApi,
    ConnectionSyncApi,
    PlaidLinkApi,
    RutterLinkApi,
    StripeAccountLinkApi,
    StripeLinkApi,
    StripeOAuthStartApi,
)
from connections.api.provider_settings import (
    PlaidSettingsApi,
    ProviderSettingsListApi,
    RutterSettingsApi,
    StripeSettingsApi,
)

urlpatterns = [
    partner_path("provider-settings/", ProviderSettingsListApi, "provider-settings-list"),
    partner_path("provider-settings/rutter/", RutterSettingsApi, "provider-settings-rutter"),
    partner_path("provider-settings/stripe/", StripeSettingsApi, "provider-settings-stripe"),
    partner_path("provider-settings/plaid/", PlaidSettingsApi, "provider-settings-plaid"),
    company_path("connections/", ConnectionListApi, "connection-list"),
    company_path("connections/rutter/", RutterLinkApi, "connection-link-rutter"),
    company_path("connections/plaid/", PlaidLinkApi, "connection-link-plaid"),
    company_path("connections/stripe/", StripeLinkApi, "connection-link-stripe"),
    company_path("connections/stripe/accounts/", StripeAccountLinkApi, "connection-link-stripe-account"),
    company_path("connections/stripe/oauth-url/", StripeOAuthStartApi, "connection-stripe-oauth-url"),
    company_path("connections/<int:connection_id>/", ConnectionDetailApi, "connection-detail"),
    company_path("connections/<int:connection_id>/sync/", ConnectionSyncApi, "connection-sync"),
    company_path("connections/<int:connection_id>/disconnect/", ConnectionDisconnectApi,
                 "connection-disconnect"),
]
