"""Reconciliation's answer to what connections announce (connected in ReconciliationConfig.ready)."""

from django.conf import settings
from django.core.cache import cache
from django_q.tasks import async_task


def pending_key(company_id: int) -> str:
    return f"tieout:reconcile-queued:{company_id}"


def reconcile_when_books_change(sender, *, company_id: int, **kwargs) -> None:
    """Queue a reconciliation of the company whose books a sync or webhook just changed.

    Debounced per company: while a run is queued and has not started, more changes (the company's
    other connections finishing, a burst of webhooks) queue nothing more; the queued run will read
    them. The run clears the mark as it starts (reconciliation.tasks), so a change during a run
    queues the next one. The mark lives in the cache (Redis in a fleet, shared by every worker);
    it expires after RECONCILE_DEBOUNCE_SECONDS in case a queued run was lost.
    """
    if not getattr(settings, "SYNC_ENQUEUE_RECONCILIATION", True):
        return
    if cache.add(pending_key(company_id), 1, timeout=getattr(settings, "RECONCILE_DEBOUNCE_SECONDS", 900)):
        async_task("reconciliation.tasks.reconcile_company", company_id)


def forget_connection(sender, *, company_id: int, connection_id: int, reason: str = "disconnected", **kwargs) -> None:
    """A disconnected connection's fee schedule goes with it (a relinked store keeps its
    gateway, and a schedule a person confirmed)."""
    from reconciliation.services.fee_schedules import fee_schedule_reset

    if reason == "disconnected":
        fee_schedule_reset(company_id=company_id, connection_id=connection_id)


def reset_learned_behaviour(sender, *, company_id: int, connection_id: int, **kwargs) -> None:
    """A store connection linked again or disconnected: what was learned about it starts over."""
    from connections.models import Connection
    from reconciliation.services.learning import learned_behaviour_reset

    connection = Connection.objects.filter(company_id=company_id, pk=connection_id).exclude(provider="plaid").first()
    if connection is not None:
        learned_behaviour_reset(connection=connection)
