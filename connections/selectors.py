"""Reads of a company's connections and their sync state (dashboard, API, admin)."""

from django.db.models import Prefetch

from companies.scoping import scoped, tenant_rows
from connections.models import Connection, SyncRun, SyncRunStatus


@scoped
def connection_list(*, company):
    return tenant_rows(Connection, company).order_by("provider", "id")


@scoped
def connection_list_with_latest_sync(*, company):
    """Connections, each with `latest_sync_runs` (its newest run, or nothing): two queries in all."""
    newest = SyncRun.objects.order_by("-started_at", "-id")[:1]  # a window per connection
    return connection_list(company=company).prefetch_related(
        Prefetch("sync_runs", queryset=newest, to_attr="latest_sync_runs")
    )


@scoped
def connection_get(*, company, connection_id: int) -> Connection | None:
    return tenant_rows(Connection, company).filter(pk=connection_id).first()


@scoped
def sync_run_list(*, company, connection_id: int | None = None):
    runs = tenant_rows(SyncRun, company).select_related("connection")
    return runs.filter(connection_id=connection_id) if connection_id else runs


@scoped
def sync_progress(*, company) -> list[dict]:
    """Per connection: status, last sync, and the running sync's progress (for a progress bar)."""
    running = {
        run.connection_id: run
        for run in tenant_rows(SyncRun, company).filter(status=SyncRunStatus.RUNNING).order_by("started_at")
    }
    out = []
    for connection in connection_list(company=company):
        run = running.get(connection.pk)
        out.append({
            "connection_id": connection.pk, "ref": connection.ref, "name": connection.display_name,
            "status": connection.status, "last_synced_at": connection.last_synced_at,
            "last_error": connection.last_error, "syncing": run is not None,
            "pages": run.pages if run else 0, "records": run.records if run else 0,
            "entity": run.progress_entity if run else "",
        })
    return out
