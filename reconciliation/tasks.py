"""django-q2 entry points: take ids, call services, nothing else."""

from django.core.cache import cache

from companies.models import Company
from reconciliation.receivers import pending_key
from reconciliation.services import reconcile_company as reconcile_company_service


def reconcile_company(company_id: int) -> dict:
    """Reconcile one company (queued, debounced, after syncs that brought new records)."""
    cache.delete(pending_key(company_id))  # changes from now on queue the next run
    run = reconcile_company_service(company=Company.objects.get(pk=company_id), by="task")
    return {"run": run.pk, "status": run.status, **{k: v for k, v in run.stats.items() if k != "seconds"}}
