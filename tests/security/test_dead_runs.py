"""A sync or reconciliation whose worker was killed must not stay "running" forever: the watchdog
(the poll, and the next run of the same connection or company) marks it failed, and says why."""

from datetime import timedelta

from django.utils import timezone

from connections.models import SyncRunStatus
from connections.services.sync import sync_runs_reap
from connections.tasks import poll_connections
from reconciliation.models import ReconciliationRun
from reconciliation.services import reconcile_company
from tests import factories as F


def test_the_poll_marks_a_sync_run_that_stopped_beating_failed(alice, settings):
    settings.SYNC_LEASE_SECONDS = 600
    long_ago = timezone.now() - timedelta(minutes=30)
    off = F.ConnectionFactory(company=alice.company, status="disabled")  # nothing for the poll to sync
    dead = F.SyncRunFactory(company=alice.company, connection=off, status=SyncRunStatus.RUNNING,
                            heartbeat_at=long_ago, started_at=long_ago)
    alive = F.SyncRunFactory(company=alice.company, connection=off, status=SyncRunStatus.RUNNING,
                             started_at=long_ago, heartbeat_at=timezone.now())  # slow, but committing

    poll_connections()

    dead.refresh_from_db(), alive.refresh_from_db()
    assert dead.status == SyncRunStatus.FAILED and "died" in dead.errors[0] and dead.finished_at
    assert alive.status == SyncRunStatus.RUNNING
    assert sync_runs_reap() == 0


def test_the_next_reconciliation_marks_a_killed_one_failed(alice, bob, settings):
    settings.RUN_STALE_SECONDS = 600
    long_ago = timezone.now() - timedelta(minutes=30)
    killed = F.ReconciliationRunFactory(company=alice.company, status=ReconciliationRun.Status.RUNNING)
    ReconciliationRun.objects.filter(pk=killed.pk).update(started_at=long_ago)
    bobs = F.ReconciliationRunFactory(company=bob.company, status=ReconciliationRun.Status.RUNNING)
    ReconciliationRun.objects.filter(pk=bobs.pk).update(started_at=long_ago)

    run = reconcile_company(company=alice.company)

    killed.refresh_from_db(), bobs.refresh_from_db()
    assert run.status == ReconciliationRun.Status.SUCCEEDED
    assert killed.status == ReconciliationRun.Status.FAILED and "died" in killed.error
    assert bobs.status == ReconciliationRun.Status.RUNNING  # another company's: its own next run
