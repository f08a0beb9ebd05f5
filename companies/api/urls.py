"""Partner API routes of the companies app (mounted under /api/v1/ by config/api_urls.py)."""

from companies.api.base import company_path, partner_path
from companies.api.companies import (
    CompanyDetailApi,
    CompanyListApi,
    EmbedSessionCreateApi,
    EmbedSessionRevokeAllApi,
    EmbedSessionRevokeApi,
)

urlpatterns = [
    partner_path("companies/", CompanyListApi, "company-list"),
    company_path("", CompanyDetailApi, "company-detail"),
    company_path("embed-sessions/", EmbedSessionCreateApi, "embed-session-create"),
    company_path("embed-sessions/revoke-all/", EmbedSessionRevokeAllApi, "embed-session-revoke-all"),
    company_path("embed-sessions/<uuid:session_id>/", EmbedSessionRevokeApi, "embed-session-revoke"),
]
