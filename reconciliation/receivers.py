"""Reconciliation's answer to what connections announce (connected in ReconciliationConfig.ready)."""

from django.conf import settings
from django_q.tasks import async_task


def reconcile_when_books_change(sender, *, company_id: int, **kwargs) -> None:
    """Queue a reconciliation of the company whose books a sync or webhook just changed."""
    if getattr(settings, "SYNC_ENQUEUE_RECONCILIATION", True):
        async_task("reconciliation.tasks.reconcile_company", company_id)
