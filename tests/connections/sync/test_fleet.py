"""A fleet of workers: one sync per connection at a time (a lease that a dead worker gives back), a
sync asked for meanwhile is not lost, polls are staggered and queued fairly across partners, and
reconciliation after syncs is debounced per company."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from connections import tasks
from connections.models import Connection, SyncRun, SyncRunStatus
from connections.services import connection_sync
from connections.services.polling import connections_due
from ledger import models as L
from reconciliation import receivers
from reconciliation import tasks as reconciliation_tasks
from tests import factories as F
from tests.connections.sync.conftest import link_all, sync_world


def _plaid(company) -> Connection:
    return Connection.objects.get(company=company, provider="plaid")


@pytest.fixture
def bank(alice, live_world, settings) -> Connection:
    """Alice's bank connection, linked to the sandbox's sync world; a 10-minute lease."""
    settings.SYNC_LEASE_SECONDS = 600
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    return _plaid(alice.company)


def test_a_worker_does_not_sync_a_connection_another_worker_holds(alice, bank):
    connection = bank
    other = F.SyncRunFactory(company=alice.company, connection=connection, status=SyncRunStatus.RUNNING,
                             heartbeat_at=timezone.now())

    run = connection_sync(connection=connection)

    assert run.pk == other.pk and run.status == SyncRunStatus.RUNNING  # the holder's run
    assert SyncRun.objects.filter(connection=connection).count() == 1
    assert not L.BankTransaction.objects.filter(company=alice.company).exists()
    connection.refresh_from_db()
    assert connection.resync_requested_at is not None  # remembered for the holder


def test_a_dead_workers_lease_expires(alice, bank):
    connection = bank
    long_ago = timezone.now() - timedelta(minutes=30)
    dead = F.SyncRunFactory(company=alice.company, connection=connection, status=SyncRunStatus.RUNNING,
                            heartbeat_at=long_ago, started_at=long_ago)

    run = connection_sync(connection=connection)

    dead.refresh_from_db()
    assert dead.status == SyncRunStatus.FAILED and run.status == SyncRunStatus.SUCCEEDED
    assert L.BankTransaction.objects.filter(company=alice.company).exists()


def test_a_sync_asked_for_during_a_sync_runs_once_more_after_it(alice, live_world, monkeypatch):
    world = sync_world()
    live_world(world, sync_settings={"SYNC_PAGE_SIZE": 10})
    link_all(alice.company, world)
    connection = _plaid(alice.company)
    real, asked = connection_sync, []

    def webhook_arrives_mid_sync(*, connection, kind=None):
        def on_page(run):
            if not asked:  # a webhook's sync, in "another worker", while this one holds the lease
                asked.append(real(connection=connection))

        return real(connection=connection, kind=kind, on_page=on_page if not asked else None)

    monkeypatch.setattr(tasks, "connection_sync", webhook_arrives_mid_sync)
    tasks.sync_connection(connection.pk)  # tests run queued tasks at once (Q_CLUSTER sync)

    assert asked[0].status == SyncRunStatus.RUNNING  # the webhook's sync found the lease held
    runs = list(SyncRun.objects.filter(connection=connection).values_list("status", flat=True))
    assert runs == [SyncRunStatus.SUCCEEDED, SyncRunStatus.SUCCEEDED]  # ...and ran once more after
    connection.refresh_from_db()
    assert connection.resync_requested_at is None


def test_a_long_sync_keeps_its_lease_by_beating_between_commits():
    from connections.services.sync import _Heartbeat

    beats = []
    with _Heartbeat(run_id=1, every=0.05, beat=lambda: beats.append(time.monotonic())):
        time.sleep(0.4)  # a page that takes longer than the beat interval
    stopped = len(beats)
    time.sleep(0.15)
    assert stopped >= 3  # it beat while the work ran...
    assert len(beats) == stopped  # ...and stops with it


def _fleet(partners: dict[str, int], synced_at):
    ids = {}
    for name, companies in partners.items():
        partner = F.PartnerFactory(name=name)
        ids[name] = [F.ConnectionFactory(company=F.CompanyFactory(partner=partner), status="ready",
                                         last_synced_at=synced_at).pk for _ in range(companies)]
    return ids


def test_polls_are_staggered_over_the_interval(db):
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    fleet = _fleet({"big": 20, "small": 10}, synced_at=now - timedelta(minutes=3))
    seen = []
    for minute in range(5):
        due = connections_due(now=now + timedelta(minutes=minute), interval_minutes=5)
        assert len(due) == 6  # a fifth of the fleet each minute, not all of it at the top of the hour
        seen += due
    assert sorted(seen) == sorted(fleet["big"] + fleet["small"])  # each exactly once per interval


def test_overdue_new_and_requested_connections_are_due_at_once(db):
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    fresh = now - timedelta(minutes=1)
    fleet = _fleet({"p": 10}, synced_at=fresh)
    slot = int(now.timestamp() // 60) % 5
    off_slot = [pk for pk in fleet["p"] if pk % 5 != slot]
    Connection.objects.filter(pk=off_slot[0]).update(last_synced_at=now - timedelta(minutes=11))
    Connection.objects.filter(pk=off_slot[1]).update(last_synced_at=None)
    Connection.objects.filter(pk=off_slot[2]).update(resync_requested_at=fresh)
    Connection.objects.filter(pk=off_slot[3]).update(status="disabled", last_synced_at=None)
    due = set(connections_due(now=now, interval_minutes=5))
    assert set(off_slot[:3]) <= due and off_slot[3] not in due
    assert {pk for pk in due if pk not in off_slot[:3]} == {pk for pk in fleet["p"] if pk % 5 == slot}


def test_one_partners_many_companies_do_not_starve_anothers_few(db):
    fleet = _fleet({"big": 40, "small": 3}, synced_at=None)  # all due (never synced)
    due = connections_due(now=timezone.now(), interval_minutes=15)
    assert len(due) == 43
    assert set(fleet["small"]) <= set(due[:6])  # round-robin across partners: not behind all 40


def test_reconciliation_after_syncs_is_debounced_per_company(alice, bob, monkeypatch):
    from django.core.cache import cache

    queued = []
    monkeypatch.setattr(receivers, "async_task", lambda func, company_id: queued.append(company_id))
    keys = [receivers.pending_key(alice.company.pk), receivers.pending_key(bob.company.pk)]
    cache.delete_many(keys)
    try:
        _debounce(alice, bob, queued)
    finally:
        cache.delete_many(keys)  # ids are reused by later tests' companies


def _debounce(alice, bob, queued):
    for _ in range(3):  # three connections of alice finish syncing before her run starts
        receivers.reconcile_when_books_change("connections", company_id=alice.company.pk)
    receivers.reconcile_when_books_change("connections", company_id=bob.company.pk)
    assert queued == [alice.company.pk, bob.company.pk]

    reconciliation_tasks.reconcile_company(alice.company.pk)  # her run starts: later changes count again
    receivers.reconcile_when_books_change("connections", company_id=alice.company.pk)
    receivers.reconcile_when_books_change("connections", company_id=bob.company.pk)  # bob's still queued
    assert queued == [alice.company.pk, bob.company.pk, alice.company.pk]


def test_a_queued_reconciliation_lost_with_its_worker_holds_back_the_next_only_briefly(alice, settings, monkeypatch):
    from django.core.cache import cache

    settings.RECONCILE_DEBOUNCE_SECONDS = 1
    queued = []
    monkeypatch.setattr(receivers, "async_task", lambda func, company_id: queued.append(company_id))
    key = receivers.pending_key(alice.company.pk)
    cache.delete(key)
    try:
        receivers.reconcile_when_books_change("connections", company_id=alice.company.pk)  # queued, then lost
        receivers.reconcile_when_books_change("connections", company_id=alice.company.pk)
        assert queued == [alice.company.pk]
        time.sleep(1.1)
        receivers.reconcile_when_books_change("connections", company_id=alice.company.pk)
        assert queued == [alice.company.pk, alice.company.pk]
    finally:
        cache.delete(key)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_in_the_database(settings):
    from connections.services.sync import _Heartbeat, sync_runs_reap

    settings.SYNC_LEASE_SECONDS = 60
    company = F.CompanyFactory()
    long_ago = timezone.now() - timedelta(minutes=5)
    run = F.SyncRunFactory(company=company, connection=F.ConnectionFactory(company=company),
                           status=SyncRunStatus.RUNNING, heartbeat_at=long_ago, started_at=long_ago)
    with _Heartbeat(run.pk, every=0.05):
        time.sleep(0.3)
    run.refresh_from_db()
    assert run.heartbeat_at > long_ago + timedelta(minutes=4)
    assert sync_runs_reap() == 0  # beating: not taken for dead


def test_the_poll_queues_again_a_webhook_whose_task_was_lost(db, settings, monkeypatch):
    settings.RUN_STALE_SECONDS = 600
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args: queued.append((func, *args)))
    long_ago = timezone.now() - timedelta(minutes=30)
    lost = F.WebhookEventFactory(received_at=long_ago)  # verified, never processed
    fresh = F.WebhookEventFactory()  # its task is probably still in the queue
    done = F.WebhookEventFactory(received_at=long_ago, status="processed")
    forged = F.WebhookEventFactory(received_at=long_ago, signature_ok=False, status="rejected")

    tasks.poll_connections()

    requeued = {args[0] for func, *args in queued if func == "connections.tasks.process_webhook"}
    assert requeued == {lost.pk}
    assert not requeued & {fresh.pk, done.pk, forged.pk}
