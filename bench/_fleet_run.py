"""One `bench fleet` run: fresh database and Redis db, the sandbox, gunicorn and K clusters; the
whole fleet linked (its initial syncs queued, as a partner bringing its companies at once), then
the clusters started (t0). While they work, the world's remaining events are applied a slice at a
time (the sandbox delivers their webhooks to gunicorn) and one signed Stripe `payout.paid` per
company is posted to gunicorn from a load client. Optionally one cluster is killed with SIGKILL
part-way and started again. When the queue is drained the books are read; then the product's
safety-net poll (`connections.tasks.poll_connections`: one whole cycle of what setup_schedules
runs each minute, every connection due) is queued once, the queue drained again and the books
read again.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import _fleet_books as books
from bench._fleet_procs import Fleet, Sampler, free_port
from bench._fleet_world import FleetCompany, RemoteSandbox, link_fleet

QUEUE = "django_q:tieout:q"
PROBE = "fleet:probe"


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))] if values else 0.0


def _reset(redis) -> None:
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:  # the ledger refuses TRUNCATE unless the session opts in
        cursor.execute("SET tieout.allow_truncate = 'on'")
    call_command("flush", interactive=False, verbosity=0)
    connection.close()
    redis.flushdb()  # database 3 only (REDIS_URL)


def _stripe_deliveries(fleet: list[FleetCompany], hook_base: str, seconds_box: dict) -> list[float]:
    """Post one signed payout.paid per company (its last paid payout) with 4 keep-alive clients."""
    from sandbox.state import Credentials
    from sandbox.webhooks import stripe_signature

    secret = Credentials().stripe_webhook_secret
    latencies: list[float] = []

    def post(chunk):
        with httpx.Client(timeout=60) as client:
            for company in chunk:
                payout = company.payouts[-1] if company.payouts else None
                if payout is None:
                    continue
                body = json.dumps({"id": f"evt_fleet_{company.index}", "object": "event", "type": "payout.paid",
                                   "account": company.stripe, "created": int(time.time()), "livemode": False,
                                   "data": {"object": {"id": payout, "object": "payout"}}}).encode()
                began = time.perf_counter()
                response = client.post(hook_base + "/stripe", content=body, headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": stripe_signature(body, secret, int(time.time()))})
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200:
                    seconds_box["errors"] = seconds_box.get("errors", 0) + 1

    began = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(post, [fleet[i::4] for i in range(4)]))
    seconds_box["seconds"] = time.perf_counter() - began
    return latencies


def _reconciled_companies() -> int:
    from reconciliation.models import ReconciliationRun

    return (ReconciliationRun.objects.filter(status=ReconciliationRun.Status.SUCCEEDED)
            .values("company_id").distinct().count())


def _drain(redis, fleet: Fleet, quiet_s: float = 4.0, timeout: float = 3600, on_tick=None) -> float:
    """Wait until the queue is empty and no live worker runs a task for `quiet_s`; returns when."""
    deadline, quiet_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        finished = on_tick is None or on_tick()  # called every time: it drives the run
        alive = fleet.alive_pids()
        busy = {pid for pid in redis.hkeys(f"{PROBE}:busy") if int(pid) in alive}
        idle = finished and redis.llen(QUEUE) == 0 and not busy
        now = time.monotonic()
        quiet_since = (quiet_since or now) if idle else None
        if quiet_since and now - quiet_since >= quiet_s:
            return time.time() - quiet_s
        time.sleep(0.5)
    raise SystemExit("bench fleet: the queue did not drain in time")


def _done_times(t0: float) -> list[float]:
    """Per company, seconds from t0 until it was first fully synced and reconciled: every one of
    its connections has a succeeded sync, and a reconciliation finished that started after the
    last of those first syncs."""
    from connections.models import Connection, SyncRun, SyncRunStatus
    from reconciliation.models import ReconciliationRun

    first_sync: dict[int, float] = {}
    for conn_id, finished in (SyncRun.objects.filter(status=SyncRunStatus.SUCCEEDED, errors=[])
                              .order_by("finished_at").values_list("connection_id", "finished_at")):
        first_sync.setdefault(conn_id, finished.timestamp())
    synced: dict[int, float] = {}
    unsynced: set[int] = set()
    for conn_id, company_id in Connection.objects.values_list("id", "company_id"):
        if conn_id in first_sync:
            synced[company_id] = max(synced.get(company_id, 0.0), first_sync[conn_id])
        else:
            unsynced.add(company_id)
    for company_id in unsynced:
        synced.pop(company_id, None)
    done: dict[int, float] = {}
    for company_id, started, finished in (ReconciliationRun.objects.filter(status="succeeded")
                                          .order_by("finished_at")
                                          .values_list("company_id", "started_at", "finished_at")):
        if company_id in synced and started.timestamp() >= synced[company_id] - 1e-3:
            done.setdefault(company_id, finished.timestamp() - t0)
    return sorted(done.values())


def run(*, world: Path, fleet_companies: list[FleetCompany], k: int, q_workers: int, env: dict[str, str],
        dsn: str, dbname: str, logs: Path, kill: bool = False, slices: int = 30) -> dict:
    import redis as redis_lib
    from django.test.utils import override_settings
    from django_q.tasks import async_task

    r = redis_lib.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    _reset(r)
    sandbox_port, web_port = free_port(), free_port()
    remote = RemoteSandbox(f"http://127.0.0.1:{sandbox_port}")
    web = f"http://127.0.0.1:{web_port}"
    provider = {**remote.settings(), "TIEOUT_PUBLIC_URL": web}
    procs = Fleet({**env, **provider}, logs)
    sampler = Sampler(procs, dsn, dbname)
    result: dict = {"k": k, "q_workers": q_workers, "companies": len(fleet_companies), "kill": kill}
    try:
        procs.gunicorn(web_port)
        _, result["sandbox_load_s"] = procs.sandbox(world, web + "/webhooks", port=sandbox_port)
        procs.wait_gunicorn(web_port)
        began = time.perf_counter()
        with override_settings(**provider):
            link_fleet(fleet=fleet_companies, sandbox=remote)
        result["link_s"] = time.perf_counter() - began
        result["queued_at_t0"] = r.llen(QUEUE)
        sampler.start()
        t0 = time.time()
        procs.start_clusters(k, q_workers)
        health = httpx.get(remote.base_url + "/_sandbox/health", timeout=30).json()
        remaining = health.get("events_remaining") or 0
        per_slice = max(1, -(-remaining // slices))
        box: dict = {}
        poster = threading.Thread(target=lambda: box.setdefault(
            "lat", _stripe_deliveries(fleet_companies, web + "/webhooks", box)), daemon=True)
        poster.start()
        state = {"slices": 0, "killed_at": None}

        def tick() -> bool:  # apply events, kill; True when nothing more is to come
            if state["slices"] < slices and remaining:
                httpx.post(remote.base_url + "/_sandbox/events/apply", json={"n": per_slice}, timeout=60)
                state["slices"] += 1
            if kill and state["killed_at"] is None and _reconciled_companies() >= len(fleet_companies) // 3:
                state["killed_at"] = time.time() - t0
                result["killed_pids"] = len(procs.kill9(0))
                result["busy_when_killed"] = r.hgetall(f"{PROBE}:busy")
                time.sleep(2)
                procs.start_clusters(1, q_workers)  # the machine comes back
            return (state["slices"] >= slices or not remaining) and not poster.is_alive() \
                and (not kill or state["killed_at"] is not None)

        t_drain = _drain(r, procs, on_tick=tick)
        result["first_drain_s"] = t_drain - t0
        result["killed_at_s"] = state["killed_at"]
        done = _done_times(t0)
        result["done"] = len(done)
        result["done_p50_s"], result["done_last_s"] = _pct(done, 0.5), (done[-1] if done else 0)
        result["per_minute"] = len(done) / done[-1] * 60 if done else 0
        lat = box.get("lat") or []
        result["webhooks_posted"] = len(lat)
        result["webhook_errors"] = box.get("errors", 0)
        result["webhook_rate"] = len(lat) / box["seconds"] if box.get("seconds") else 0
        result["webhook_p50_ms"], result["webhook_p95_ms"] = _pct(lat, 0.5) * 1000, _pct(lat, 0.95) * 1000
        result["queue_wait"] = _queue_waits(r, t0)
        result["enqueued"] = r.hgetall(f"{PROBE}:enqueued")
        result["failed_tasks"] = [json.loads(x) for x in r.lrange(f"{PROBE}:failed", 0, 20)]
        result["stats_before_poll"] = books.run_stats()
        before = books.snapshot()
        # One whole cycle of the staggered poll (interval 1 minute: every connection is due now).
        async_task("connections.tasks.poll_connections", 1)
        result["settled_s"] = _drain(r, procs) - t0
        result["stats"] = books.run_stats()
        result["webhook_events"] = _webhook_counts()
        after = books.snapshot()
    finally:
        if sampler.is_alive():
            sampler.stop()
        procs.stop()
    result["pg_connections_peak"] = sampler.pg_peak
    result["worker_rss_peak_mb"] = {str(n): round(v) for n, v in sampler.rss_peak.items()}
    result["cluster_rss_peak_mb"] = {str(n): round(v) for n, v in sampler.group_peak.items()}
    result["load_avg"] = round(statistics.mean(sampler.load_series), 2) if sampler.load_series else None
    result["totals"] = books.totals(after)
    return {"result": result, "books_before_poll": before, "books": after}


def _queue_waits(r, t0: float) -> dict:
    """Queue wait p50/p95 (count, seconds, seconds) per task function, and for all tasks queued
    during the run apart from those queued before t0 (the backlog: waits counted from t0)."""
    waits: dict[str, list[float]] = {}
    for raw in r.lrange(f"{PROBE}:waits", 0, -1):
        func, wait, at = json.loads(raw)
        queued = at - wait
        key = "backlog" if queued < t0 else "during run"
        waits.setdefault(key, []).append(at - max(queued, t0))
        waits.setdefault(func.rsplit(".", 1)[-1], []).append(at - max(queued, t0))
    return {name: (len(ws), round(_pct(ws, 0.5), 2), round(_pct(ws, 0.95), 2)) for name, ws in sorted(waits.items())}


def _webhook_counts() -> dict:
    from django.db.models import Count

    from connections.models import WebhookEvent

    return {f"{p} {s}": n for p, s, n in WebhookEvent.objects.values_list("provider", "status")
            .annotate(n=Count("id")).values_list("provider", "status", "n")}


def save(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, default=str))
    os.chmod(path, 0o644)
