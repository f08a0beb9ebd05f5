"""End-to-end sync throughput, sandbox -> PostgreSQL, beside two baselines measured in the same run:
(a) a bare fetch-all-pages loop (same clients, same pages, no database) and (b) a raw PostgreSQL
COPY of the same rows.

Each world is written to a file (streamed) and served by `manage.py sandbox serve` in its own
process, with Rutter's real rate limit (500 requests / 10 s). The fetch-only loop and the sync
each run in a fresh child process, so the peak RSS reported for the sync is the sync's own (not
the sandbox's, nor a previous run's); the sandbox's peak is reported beside it. Worlds of
scale/10 and scale are measured: the sync's peak must not grow with the world.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tieout_bench python -m bench sync [--scale 1.0]

scale 1.0 = 1,000,000 transactions (600k Rutter transactions, settled by payouts of 20, and 400k
Plaid bank lines). Records counted = objects fetched and upserted (payout-embedded transactions
count again: they are fetched and written again, linking items to payouts).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
PER_PAYOUT = 20
BASE = datetime(2025, 1, 1, tzinfo=UTC)


def _iso(seconds: int) -> str:
    return (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _txn(i: int) -> dict:
    return {"id": f"t{i}", "type": "refund" if i % 17 == 0 else "sale", "status": "success",
            "amount": 25.0 + i % 50, "fee": 0.0 if i % 17 == 0 else 1.03, "iso_currency_code": "USD",
            "order_id": f"o{i}", "created_at": _iso(i * 5), "updated_at": _iso(i * 5 + 60)}


def _payout(k: int, n_rutter: int) -> dict:
    return {"id": f"p{k}", "amount": 100.0, "iso_currency_code": "USD", "status": "paid",
            "created_at": _iso(k * PER_PAYOUT * 5 + 100), "updated_at": _iso(k * PER_PAYOUT * 5 + 200),
            "arrival_at": _iso(k * PER_PAYOUT * 5 + 86400),
            "transaction_ids": [f"t{i}" for i in range(k * PER_PAYOUT, min(n_rutter, (k + 1) * PER_PAYOUT))]}


def _bank(i: int) -> dict:
    return {"transaction_id": f"b{i}", "account_id": "acc-1", "amount": -(10.0 + i % 90),
            "iso_currency_code": "USD", "date": (BASE + timedelta(minutes=i)).date().isoformat(),
            "name": f"DEPOSIT {i}", "pending": False, "pending_transaction_id": None}


def _split(transactions: int) -> tuple[int, int, int]:
    n_rutter = transactions * 6 // 10
    return n_rutter, (n_rutter + PER_PAYOUT - 1) // PER_PAYOUT, transactions - n_rutter


RUTTER = {"connection_id": "bbbbbbbb-0000-4000-8000-000000000001", "access_token": "tok-bench",
          "public_token": "pub-bench", "platform": "SHOPIFY", "store_name": "Bench Shop", "orders": []}
PLAID = {"item_id": "item-bench", "access_token": "access-sandbox-bench", "public_token": "public-sandbox-bench",
         "accounts": [{"account_id": "acc-1", "name": "Checking", "mask": "0001", "type": "depository",
                       "subtype": "checking", "balances": {"current": 0, "iso_currency_code": "USD"}}]}


def write_world(transactions: int, path: Path) -> None:
    """Stream the bench world to `path` without holding it (a million transactions is ~250 MB)."""
    n_rutter, n_payouts, n_bank = _split(transactions)
    dumps = json.JSONEncoder(separators=(",", ":")).encode

    def array(out, objects):
        out.write("[")
        for n, obj in enumerate(objects):
            out.write(("," if n else "") + dumps(obj))
        out.write("]")

    with path.open("w") as out:
        out.write('{"format":"tieout.world/1","company":{"name":"Bench Co","currency":"USD"},"stripe":[],')
        out.write('"rutter":[' + dumps(RUTTER)[:-1] + ',"transactions":')
        array(out, (_txn(i) for i in range(n_rutter)))
        out.write(',"payouts":')
        array(out, (_payout(k, n_rutter) for k in range(n_payouts)))
        out.write('}],"plaid":[' + dumps(PLAID)[:-1] + ',"transactions":')
        array(out, (_bank(i) for i in range(n_bank)))
        out.write("}]}")


ROOT = Path(__file__).resolve().parents[1]
CHILD_ENV = {"DEBUG": "0", "SECRET_KEY": "bench-sync-only-secret-key-not-for-production", "LOG_LEVEL": "WARNING"}


def _django():
    # DEBUG off: no query log growing in memory; the sync runs as it would in production.
    for name, value in CHILD_ENV.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tieout_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "postgres" not in cfg["ENGINE"]:
        raise SystemExit("bench sync measures PostgreSQL: set DATABASE_URL=postgres://…")
    with psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"],
                         password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [cfg["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    import django

    django.setup()


def _settings(port: int) -> dict:
    from sandbox.state import Credentials

    c, base = Credentials(), f"http://127.0.0.1:{port}"
    return {"RUTTER_BASE_URL": base + "/rutter/versioned", "RUTTER_CLIENT_ID": c.rutter_client_id,
            "RUTTER_CLIENT_SECRET": c.rutter_client_secret, "PLAID_BASE_URL": base + "/plaid",
            "PLAID_CLIENT_ID": c.plaid_client_id, "PLAID_SECRET": c.plaid_secret,
            "SYNC_ENQUEUE_RECONCILIATION": False}


def fetch_only() -> int:
    """Baseline (a): every page the sync fetches, parsed, and nothing else (one after the other)."""
    from connections.services.clients import client_for

    objects = 0
    with client_for("rutter") as rutter:
        for method in ("iter_payouts", "iter_transactions"):
            for page in getattr(rutter, method)("tok-bench", page_size=500):
                objects += len(page.objects) + sum(len(o.get("transactions") or []) for o in page.objects)
    with client_for("plaid") as plaid:
        for page in plaid.iter_transactions_sync("access-sandbox-bench"):
            objects += len(page.added) + len(page.modified)
    return objects


def sync_all(workers: int) -> int:
    from companies.services import company_create, partner_create
    from connections.services import (
        connection_link_plaid,
        connection_link_rutter,
        connections_sync_many,
    )

    partner = partner_create(name=f"Bench {time.time_ns()}", allowed_origins=[])
    company = company_create(partner=partner, name="Bench Co", timezone="UTC")
    connections = [connection_link_rutter(company=company, public_token="pub-bench"),
                   connection_link_plaid(company=company, public_token="public-sandbox-bench")]
    runs = connections_sync_many(connections=connections, workers=workers)
    if any(run.status != "succeeded" for run in runs):
        raise SystemExit(f"sync failed: {[(run.status, run.errors) for run in runs]}")
    return sum(run.records for run in runs)


def child(what: str, port: int, workers: int) -> None:
    """Child-process entry: run fetch-only or the sync against the sandbox, print one JSON line."""
    _django()
    from django.test import override_settings

    with override_settings(**_settings(port)):
        cpu, began = time.process_time(), time.perf_counter()
        count = fetch_only() if what == "fetch" else sync_all(workers)
        wall = time.perf_counter() - began
    print(json.dumps({"count": count, "seconds": wall, "cpu": time.process_time() - cpu,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


def _in_child(what: str, port: int, workers: int) -> dict:
    code = f"from bench.sync import child; child({what!r}, {port}, {workers})"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**CHILD_ENV, **os.environ},
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"bench child {what} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_of(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Sandbox:
    """`manage.py sandbox serve WORLD` in its own process, with Rutter's real rate limit."""

    def __init__(self, world: Path):
        self.port = _free_port()
        self.began = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "sandbox", "serve", str(world), "--port", str(self.port)],
            cwd=ROOT, env={**CHILD_ENV, **os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"sandbox failed: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_sandbox/ping", timeout=1).read()
                break
            except OSError:
                time.sleep(0.5)
        self.load_s = time.perf_counter() - self.began

    def stop(self) -> float:
        peak = _peak_of(self.proc.pid)
        self.proc.terminate()
        self.proc.wait(timeout=60)
        return peak


def _copy_rows(transactions: int):
    """The rows the sync writes, mapped the same way, as COPY text lines (streamed)."""
    from connections.mapping.plaid import bank_transaction_row
    from connections.mapping.rutter import transaction_row

    n_rutter, n_payouts, n_bank = _split(transactions)
    src, bank_src = "rutter:bench", "plaid:bench"
    item_cols = ["source", "external_id", "kind", "provider_type", "status", "occurred_at", "currency",
                 "amount", "fee", "net", "order_external_id", "payout_external_id"]
    bank_cols = ["source", "external_id", "date", "currency", "amount", "name", "pending"]

    def line(row, cols):
        return "\t".join("\\N" if row.get(c) is None else str(row[c]) for c in cols) + "\n"

    for i in range(n_rutter):
        yield "bench_items", line(transaction_row(_txn(i), source=src), item_cols)
    for k in range(n_payouts):
        for i in range(k * PER_PAYOUT, min(n_rutter, (k + 1) * PER_PAYOUT)):
            yield "bench_items", line(transaction_row(_txn(i), source=src, payout_external_id=f"p{k}"), item_cols)
    for i in range(n_bank):
        yield "bench_bank", line(bank_transaction_row(_bank(i), source=bank_src), bank_cols)


def copy_baseline(transactions: int) -> tuple[int, float]:
    """Baseline (b): COPY the same rows (mapped as the sync maps them) into unindexed tables.

    Rows are built in chunks of 50,000 outside the timed part; only the COPYs are timed.
    """
    from django.db import connection

    count, elapsed = 0, 0.0
    with connection.cursor() as cursor:
        pg = cursor.cursor
        pg.execute("CREATE TEMP TABLE bench_items (source text, external_id text, kind text, provider_type text, "
                   "status text, occurred_at timestamptz, currency text, amount numeric(19,4), fee numeric(19,4), "
                   "net numeric(19,4), order_external_id text, payout_external_id text)")
        pg.execute("CREATE TEMP TABLE bench_bank (source text, external_id text, date date, currency text, "
                   "amount numeric(19,4), name text, pending boolean)")
        chunks: dict[str, io.StringIO] = {}

        def flush(table):
            nonlocal elapsed
            data = chunks.pop(table).getvalue()
            began = time.perf_counter()
            with pg.copy(f"COPY {table} FROM STDIN (FORMAT text)") as copy:
                copy.write(data)
            elapsed += time.perf_counter() - began

        sizes: dict[str, int] = {}
        for table, text in _copy_rows(transactions):
            chunks.setdefault(table, io.StringIO()).write(text)
            sizes[table] = sizes.get(table, 0) + 1
            count += 1
            if sizes[table] == 50_000:
                flush(table)
                sizes[table] = 0
        for table in list(chunks):
            flush(table)
        pg.execute("DROP TABLE bench_items; DROP TABLE bench_bank")
    return count, elapsed


def run(transactions: int, workers: int, tmp: Path) -> dict:
    from django.core.management import call_command

    world = tmp / f"bench-{transactions}.world.json"
    write_world(transactions, world)
    # A fresh schema per world, so both sizes start from the same (empty) tables. The ledger
    # refuses TRUNCATE of its journal unless the session opts in (ledger migration 0008).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET tieout.allow_truncate = 'on'")
    call_command("flush", interactive=False, verbosity=0)
    sandbox = Sandbox(world)
    try:
        fetch = _in_child("fetch", sandbox.port, workers)
        sync = _in_child("sync", sandbox.port, workers)
    finally:
        sandbox_peak = sandbox.stop()
        world.unlink()
    copied, copy_s = copy_baseline(transactions)
    return {"transactions": transactions, "records": sync["count"], "sync_s": sync["seconds"],
            "sync_cpu": sync["cpu"], "fetched": fetch["count"], "fetch_s": fetch["seconds"],
            "copied": copied, "copy_s": copy_s, "peak_mb": sync["peak_mb"], "fetch_peak_mb": fetch["peak_mb"],
            "sandbox_mb": sandbox_peak, "sandbox_load_s": sandbox.load_s}


def main(argv=()):
    parser = argparse.ArgumentParser(prog="python -m bench sync")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000,000 transactions")
    parser.add_argument("--workers", type=int, default=2, help="connections synced at once")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(list(argv))
    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    full = int(1_000_000 * args.scale)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        results = []
        for size in (max(1000, full // 10), full):
            results.append(run(size, args.workers, Path(tmp)))
            print(json.dumps(results[-1]), flush=True)
    lines = []
    for r in results:
        e2e, fetch, copy = r["records"] / r["sync_s"], r["fetched"] / r["fetch_s"], r["copied"] / r["copy_s"]
        slower = min(fetch, copy)
        lines.append(
            f"| {r['transactions']:,} | {r['records']:,} | {e2e:,.0f} | {fetch:,.0f} | {copy:,.0f} | "
            f"{slower / e2e:.2f}x | {r['sync_cpu']:,.0f} s / {r['sync_s']:,.0f} s | {r['peak_mb']:,.0f} MB | "
            f"{r['sandbox_mb']:,.0f} MB |"
        )
    header = ("| transactions | records | end-to-end rec/s | (a) fetch-only rec/s | (b) COPY rec/s | "
              "slower baseline / e2e | sync CPU / wall | sync peak RSS | sandbox peak RSS |\n"
              "|---|---|---|---|---|---|---|---|---|")
    table = header + "\n" + "\n".join(lines)
    print(table)
    if not args.no_append:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with RESULTS.open("a") as out:
            out.write(f"\n## bench sync — {stamp}, {os.cpu_count()} cores, --workers {args.workers}\n\n{table}\n")
