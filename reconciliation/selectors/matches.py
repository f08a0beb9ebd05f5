"""Reads of matches and reconciliation runs for the partner API, always scoped to a company."""

from django.db.models import Prefetch

from companies.scoping import scoped, tenant_rows
from reconciliation.models import FeeSchedule, Match, MatchPayout, ReconciliationRun


@scoped
def match_list(*, company):
    """Matches with their bank line and payouts (each payout once, by link id)."""
    links = MatchPayout.objects.select_related("payout").order_by("id")
    return (tenant_rows(Match, company).select_related("bank_transaction")
            .prefetch_related(Prefetch("match_payouts", queryset=links)))


@scoped
def reconciliation_run_list(*, company):
    return tenant_rows(ReconciliationRun, company)


@scoped
def fee_schedule_map(*, company) -> dict[int, FeeSchedule]:
    """connection id -> its stored fee schedule (orders-only stores)."""
    return {s.connection_id: s for s in tenant_rows(FeeSchedule, company)}
