"""django-q2 entry points: take ids, call services, nothing else."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from connections.models import Connection, ConnectionStatus, SyncRunStatus, WebhookEvent
from connections.services import books_changed_announce, connection_sync, webhook_process
from connections.services.sync import sync_runs_reap

POLLABLE = (ConnectionStatus.PENDING_INITIAL_SYNC, ConnectionStatus.READY, ConnectionStatus.ERROR)


def sync_connection(connection_id: int, kind: str | None = None) -> dict:
    """Initial or incremental sync of one connection; reschedules itself while not ready."""
    connection = Connection.objects.get(pk=connection_id)
    run = connection_sync(connection=connection, kind=kind)
    if run.status == SyncRunStatus.NOT_READY:
        delay = getattr(settings, "SYNC_NOT_READY_RETRY_SECONDS", 60)
        schedule("connections.tasks.sync_connection", connection_id,
                 schedule_type=Schedule.ONCE, next_run=timezone.now() + timedelta(seconds=delay),
                 name=f"sync-not-ready-{connection_id}-{run.pk}")
    elif run.status == SyncRunStatus.SUCCEEDED and run.records:
        books_changed_announce(company_id=connection.company_id)
    return {"run": run.pk, "status": run.status, "records": run.records}


def initial_sync(connection_id: int) -> dict:
    return sync_connection(connection_id, kind="initial")


def poll_connections() -> int:
    """The safety net under webhooks: mark dead runs failed, queue a sync of every live connection."""
    sync_runs_reap()
    ids = list(Connection.objects.filter(status__in=POLLABLE).values_list("pk", flat=True))
    for connection_id in ids:
        async_task("connections.tasks.sync_connection", connection_id)
    return len(ids)


def process_webhook(event_id: int) -> str:
    event = webhook_process(event=WebhookEvent.objects.get(pk=event_id))
    if event.company_id:
        books_changed_announce(company_id=event.company_id)
    return event.status
