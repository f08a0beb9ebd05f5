"""Running a sync of one connection: the run row, the provider pass, and what errors mean.

PRODUCT_NOT_READY is not an error: the connection stays pending_initial_sync and the run is
recorded as not_ready so the task reschedules. Re-authentication and disabled connections get
their status; anything else marks the connection `error` with the message and re-raises so the
task queue sees the failure (and retries it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as db
from django.utils import timezone

from connections.models import Connection, ConnectionStatus, SyncRun, SyncRunStatus
from connections.providers.errors import ConnectionDisabled, NeedsReauth, NotReady
from connections.services.clients import client_for_connection
from connections.services.context import ConcurrentSync, SyncContext, relaxed_commits
from connections.services.plaid_sync import plaid_sync
from connections.services.rutter_sync import rutter_refresh_order, rutter_sync
from connections.services.stripe_sync import stripe_refresh_payout, stripe_sync
from connections.signals import books_changed
from ledger.bulk import analyze_grown

logger = logging.getLogger(__name__)

PASSES = {"rutter": rutter_sync, "stripe": stripe_sync, "plaid": plaid_sync}


def sync_runs_reap(*, connection: Connection | None = None) -> int:
    """Mark failed the runs that died (a killed worker leaves its run "running" forever): a run
    not heard from for SYNC_LEASE_SECONDS (a live run beats every quarter of that, see
    _Heartbeat, and at every commit). Returns how many."""
    stale = timezone.now() - timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    runs = SyncRun.objects.filter(status=SyncRunStatus.RUNNING, heartbeat_at__lt=stale)
    if connection is not None:
        runs = runs.filter(connection=connection)
    return runs.update(status=SyncRunStatus.FAILED, finished_at=timezone.now(),
                       errors=["the sync stopped without finishing (its worker died): the next sync "
                               "carries on from the saved cursor"])


class SyncBusy(Exception):
    """Another worker holds this connection's sync: its run (still beating) is `run`."""

    def __init__(self, run: SyncRun):
        super().__init__(f"connection {run.connection_id} is being synced by run {run.pk}")
        self.run = run


def _run_start(connection: Connection, kind: str | None) -> SyncRun:
    """Take the connection's sync lease: its running SyncRun. One sync per connection at a time,
    across workers and machines; a worker that dies stops beating, and its run is reaped after
    SYNC_LEASE_SECONDS, which frees the lease. A sync asked for meanwhile is remembered (SyncBusy
    is raised after the request is committed)."""
    if kind is None:
        kind = "incremental" if connection.status == ConnectionStatus.READY else "initial"
    with transaction.atomic():
        Connection.objects.select_for_update().filter(pk=connection.pk).first()  # starters queue here
        sync_runs_reap(connection=connection)
        running = SyncRun.objects.filter(connection=connection, status=SyncRunStatus.RUNNING).order_by("-pk").first()
        if running is None:
            Connection.objects.filter(pk=connection.pk).update(resync_requested_at=None)  # this run covers it
            return SyncRun.objects.create(company=connection.company, connection=connection, kind=kind)
        Connection.objects.filter(pk=connection.pk).update(resync_requested_at=timezone.now())
    raise SyncBusy(running)


class _Heartbeat:
    """Renews a running sync's lease from a thread, every `every` seconds, while the sync waits on
    its provider or the database (a page can take longer than the lease between two commits). The
    lease can then be short: a killed worker's connections sync again within SYNC_LEASE_SECONDS."""

    def __init__(self, run_id: int, every: float, beat: Callable[[], None] | None = None):
        self.run_id, self.every = run_id, every
        self.beat = beat or self._renew
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sync-heartbeat-{run_id}", daemon=True)

    def _renew(self) -> None:
        try:
            SyncRun.objects.filter(pk=self.run_id, status=SyncRunStatus.RUNNING).update(heartbeat_at=timezone.now())
        except DatabaseError as exc:  # the sync's own commits beat too; a missed beat is no failure
            logger.debug("heartbeat of sync run %s missed: %s", self.run_id, exc)
        finally:
            db.close()  # this thread's own connection

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.beat()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, self.every))


def _beating(run: SyncRun) -> _Heartbeat:
    return _Heartbeat(run.pk, every=settings.SYNC_LEASE_SECONDS / 4)


def _run_finish(run: SyncRun, status: str, started: float, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    if error:
        run.errors = [*run.errors, error[:2000]]
    run.save(update_fields=["status", "finished_at", "duration_ms", "errors"])


def _set_status(connection: Connection, status: str, error: str = "", synced: bool = False) -> None:
    connection.status = status
    connection.last_error = error[:2000]
    fields = ["status", "last_error"]
    if synced:
        connection.last_synced_at = timezone.now()
        fields.append("last_synced_at")
    connection.save(update_fields=fields)


def _guarded(connection: Connection, run: SyncRun, work: Callable[[], None]) -> SyncRun:
    started = time.monotonic()
    try:
        work()
    except NotReady as exc:
        _run_finish(run, SyncRunStatus.NOT_READY, started, str(exc))
        _set_status(connection, ConnectionStatus.PENDING_INITIAL_SYNC)
        return run
    except ConcurrentSync as exc:
        _run_finish(run, SyncRunStatus.SUCCEEDED, started, str(exc))
        return run
    except NeedsReauth as exc:
        _run_finish(run, SyncRunStatus.FAILED, started, str(exc))
        _set_status(connection, ConnectionStatus.NEEDS_REAUTH, str(exc))
        return run
    except ConnectionDisabled as exc:
        _run_finish(run, SyncRunStatus.FAILED, started, str(exc))
        _set_status(connection, ConnectionStatus.DISABLED, str(exc))
        return run
    except Exception as exc:
        _run_finish(run, SyncRunStatus.FAILED, started, f"{type(exc).__name__}: {exc}")
        _set_status(connection, ConnectionStatus.ERROR, f"{type(exc).__name__}: {exc}")
        raise
    _run_finish(run, SyncRunStatus.SUCCEEDED, started)
    _set_status(connection, ConnectionStatus.READY, synced=True)
    return run


def connection_sync(
    *, connection: Connection, kind: str | None = None, on_page: Callable[[SyncRun], None] | None = None
) -> SyncRun:
    """Sync one connection from where it stands (initial, or incremental with overlap).

    `on_page(run)` is called after each committed page (progress bars; tests stop a sync there).
    While another worker syncs the connection, returns that worker's run (status running) and
    leaves a request for one more pass (`Connection.resync_requested_at`).
    """
    connection = Connection.objects.select_related("company").get(pk=connection.pk)
    try:
        run = _run_start(connection, kind)
    except SyncBusy as busy:
        return busy.run
    with client_for_connection(connection) as client, relaxed_commits(), _beating(run):
        ctx = SyncContext(connection=connection, run=run, client=client, on_page=on_page)
        run = _guarded(connection, run, lambda: PASSES[connection.provider](ctx))
    analyze_grown()  # statistics for what reads the synced tables next
    return run


def sync_workers() -> int:
    """Connections synced at once by connections_sync_many (SYNC_WORKERS; 1 on SQLite: one writer)."""
    from django.db import connection as db

    return 1 if db.vendor == "sqlite" else max(1, getattr(settings, "SYNC_WORKERS", 2))


def connections_sync_many(
    *, connections, kind: str | None = None, workers: int | None = None,
    on_page: Callable[[SyncRun], None] | None = None,
) -> list[SyncRun]:
    """Sync several connections at once, each in its own thread (and database connection).

    A connection is only ever synced by one thread, so its pages stay in order and each page is
    still committed with its cursor. While one connection waits on its provider or on the database
    another one maps and writes: HTTP, Python and PostgreSQL overlap. Errors are raised after all
    threads finish (the first one), as connection_sync would have raised it.
    """
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection as db

    connections = list(connections)
    # SQLite has one writer: threads would only wait on each other's locks.
    workers = 1 if db.vendor == "sqlite" else min(workers or sync_workers(), len(connections)) or 1
    if workers == 1:
        return [connection_sync(connection=c, kind=kind, on_page=on_page) for c in connections]

    def one(conn: Connection) -> SyncRun:
        try:
            return connection_sync(connection=conn, kind=kind, on_page=on_page)
        finally:
            db.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync") as pool:
        futures = [pool.submit(one, c) for c in connections]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]
    return [f.result() for f in futures]


def connection_refresh_object(*, connection: Connection, kind: str, object_id: str) -> SyncRun:
    """Re-fetch one object a webhook named (a Rutter order, a Stripe payout)."""
    connection = Connection.objects.select_related("company").get(pk=connection.pk)
    try:
        run = _run_start(connection, "webhook")
    except SyncBusy as busy:
        return busy.run
    with client_for_connection(connection) as client, _beating(run):
        ctx = SyncContext(connection=connection, run=run, client=client)
        if connection.provider == "stripe":
            work = lambda: stripe_refresh_payout(ctx, payout_id=object_id)  # noqa: E731
        else:
            work = lambda: rutter_refresh_order(ctx, order_id=object_id)  # noqa: E731
        return _guarded(connection, run, work)


def connection_set_status(*, connection: Connection, status: str, error: str = "") -> None:
    _set_status(connection, status, error)


def books_changed_announce(*, company_id: int) -> None:
    """Tell listeners (reconciliation queues a run) that a company's books got new records."""
    books_changed.send(sender="connections", company_id=company_id)
