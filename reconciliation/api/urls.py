"""Partner API routes of the reconciliation app (mounted under /api/v1/ by config/api_urls.py)."""

from companies.api.base import company_path
from reconciliation.api.learned import ConnectionLearnedApi
from reconciliation.api.matches import (
    MatchAcceptApi,
    MatchDetailApi,
    MatchListApi,
    MatchRejectApi,
    MatchUnmatchApi,
)
from reconciliation.api.runs import RunDetailApi, RunListApi

urlpatterns = [
    company_path("connections/<int:connection_id>/learned/", ConnectionLearnedApi, "connection-learned"),
    company_path("matches/", MatchListApi, "match-list"),
    company_path("matches/<int:match_id>/", MatchDetailApi, "match-detail"),
    company_path("matches/<int:match_id>/accept/", MatchAcceptApi, "match-accept"),
    company_path("matches/<int:match_id>/reject/", MatchRejectApi, "match-reject"),
    company_path("matches/<int:match_id>/unmatch/", MatchUnmatchApi, "match-unmatch"),
    company_path("reconciliation-runs/", RunListApi, "reconciliation-run-list"),
    company_path("reconciliation-runs/<int:run_id>/", RunDetailApi, "reconciliation-run-detail"),
]
