"""django-q2 entry points: take ids, call services, nothing else."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from connections.models import Connection, SyncRunStatus, WebhookEvent
from connections.services import books_changed_announce, connection_sync, webhook_process
from connections.services.polling import connections_due, webhook_events_stranded
from connections.services.sync import sync_runs_reap


def sync_connection(connection_id: int, kind: str | None = None) -> dict:
    """Initial or incremental sync of one connection; reschedules itself while not ready.

    If another worker holds the connection's sync, nothing is done here: that worker queues one
    more pass when it finishes (the sync asked for meanwhile is remembered on the connection).
    """
    connection = Connection.objects.get(pk=connection_id)
    run = connection_sync(connection=connection, kind=kind)
    if run.status == SyncRunStatus.RUNNING:
        return {"run": run.pk, "status": "busy", "records": 0}
    if Connection.objects.filter(pk=connection_id, resync_requested_at__isnull=False).exists():
        async_task("connections.tasks.sync_connection", connection_id)
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


def poll_connections(interval_minutes: int | None = None) -> int:
    """The safety net under webhooks: mark dead runs failed, queue the syncs due this minute.

    Runs every minute (setup_schedules); see connections.services.polling for who is due and in
    which order. Returns how many syncs were queued.
    """
    sync_runs_reap()
    now = timezone.now()
    interval = interval_minutes or getattr(settings, "SYNC_POLL_MINUTES", 15)
    ids = connections_due(now=now, interval_minutes=interval)
    for connection_id in ids:
        async_task("connections.tasks.sync_connection", connection_id)
    # A task queued this long ago and not run was lost with its worker (RUN_STALE_SECONDS).
    for event_id in webhook_events_stranded(now=now, older_than=timedelta(seconds=settings.RUN_STALE_SECONDS)):
        async_task("connections.tasks.process_webhook", event_id)
    return len(ids)


def process_webhook(event_id: int) -> str:
    event = webhook_process(event=WebhookEvent.objects.get(pk=event_id))
    if event.company_id:
        books_changed_announce(company_id=event.company_id)
    return event.status
