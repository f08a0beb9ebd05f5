"""End-to-end sync throughput, sandbox -> PostgreSQL, beside two baselines measured in the same run:
(a) a bare fetch-all-pages loop (same clients, same pages, no database) and (b) a raw PostgreSQL
COPY of the same rows. The sandbox runs in a subprocess so it does not share our GIL or memory.
Peak RSS is reported after a world of scale/10 and after the full world: it must not grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tieout_bench python -m bench sync [--scale 1.0]

scale 1.0 = 1,000,000 transactions (600k Rutter transactions, settled by payouts of 20, and 400k
Plaid bank lines). Records counted = objects fetched and upserted (payout-embedded transactions
count again: they are fetched and written again, linking items to payouts).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
PER_PAYOUT = 20
BASE = datetime(2025, 1, 1, tzinfo=UTC)


def _iso(seconds: int) -> str:
    return (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def bench_world(transactions: int) -> dict:
    n_rutter, n_bank = transactions * 6 // 10, transactions - transactions * 6 // 10
    txns = [{"id": f"t{i}", "type": "refund" if i % 17 == 0 else "sale", "status": "success",
             "amount": 25.0 + i % 50, "fee": 0.0 if i % 17 == 0 else 1.03, "iso_currency_code": "USD",
             "order_id": f"o{i}", "created_at": _iso(i * 5), "updated_at": _iso(i * 5 + 60)}
            for i in range(n_rutter)]
    payouts = [{"id": f"p{k}", "amount": 100.0, "iso_currency_code": "USD", "status": "paid",
                "created_at": _iso(k * PER_PAYOUT * 5 + 100), "updated_at": _iso(k * PER_PAYOUT * 5 + 200),
                "arrival_at": _iso(k * PER_PAYOUT * 5 + 86400),
                "transaction_ids": [f"t{i}" for i in range(k * PER_PAYOUT, min(n_rutter, (k + 1) * PER_PAYOUT))]}
               for k in range((n_rutter + PER_PAYOUT - 1) // PER_PAYOUT)]
    bank = [{"transaction_id": f"b{i}", "account_id": "acc-1", "amount": -(10.0 + i % 90),
             "iso_currency_code": "USD", "date": (BASE + timedelta(minutes=i)).date().isoformat(),
             "name": f"DEPOSIT {i}", "pending": False, "pending_transaction_id": None}
            for i in range(n_bank)]
    return {
        "format": "tieout.world/1", "company": {"name": "Bench Co", "currency": "USD"},
        "rutter": [{"connection_id": "bbbbbbbb-0000-4000-8000-000000000001", "access_token": "tok-bench",
                    "public_token": "pub-bench", "platform": "SHOPIFY", "store_name": "Bench Shop",
                    "orders": [], "transactions": txns, "payouts": payouts}],
        "stripe": [],
        "plaid": [{"item_id": "item-bench", "access_token": "access-sandbox-bench", "public_token": "public-sandbox-bench",
                   "accounts": [{"account_id": "acc-1", "name": "Checking", "mask": "0001", "type": "depository",
                                 "subtype": "checking", "balances": {"current": 0, "iso_currency_code": "USD"}}],
                   "transactions": bank}],
    }


def serve(transactions: int) -> None:
    """Subprocess entry: serve the bench world and print the port."""
    from connections.sandbox.server import SandboxServer
    from connections.sandbox.world import world_from_dict

    server = SandboxServer(world_from_dict(bench_world(transactions)), rutter_rate_limit=None).start()
    print(server.port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


def _django():
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tieout_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
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
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _settings(port: int) -> dict:
    from connections.sandbox.state import Credentials

    c, base = Credentials(), f"http://127.0.0.1:{port}"
    return {"RUTTER_BASE_URL": base + "/rutter/versioned", "RUTTER_CLIENT_ID": c.rutter_client_id,
            "RUTTER_CLIENT_SECRET": c.rutter_client_secret, "PLAID_BASE_URL": base + "/plaid",
            "PLAID_CLIENT_ID": c.plaid_client_id, "PLAID_SECRET": c.plaid_secret,
            "SYNC_ENQUEUE_RECONCILIATION": False}


def fetch_only() -> int:
    """Baseline (a): every page the sync fetches, parsed, and nothing else."""
    from connections.services.clients import client_for

    objects = 0
    with client_for("rutter") as rutter:
        for method in ("iter_transactions", "iter_payouts"):
            for page in getattr(rutter, method)("tok-bench", page_size=500):
                objects += len(page.objects) + sum(len(o.get("transactions") or []) for o in page.objects)
    with client_for("plaid") as plaid:
        for page in plaid.iter_transactions_sync("access-sandbox-bench"):
            objects += len(page.added) + len(page.modified)
    return objects


def sync_all() -> int:
    from companies.services import company_create, partner_create
    from connections.services import connection_link_plaid, connection_link_rutter, connection_sync

    partner = partner_create(name=f"Bench {time.time_ns()}", allowed_origins=[])
    company = company_create(partner=partner, name="Bench Co", timezone="UTC")
    connections = [connection_link_rutter(company=company, public_token="pub-bench"),
                   connection_link_plaid(company=company, public_token="public-sandbox-bench")]
    return sum(connection_sync(connection=c).records for c in connections)


def copy_baseline(transactions: int) -> tuple[int, float]:
    """Baseline (b): COPY the same rows (mapped, as the sync writes them) into unindexed tables."""
    from django.db import connection

    from connections.mapping.plaid import bank_transaction_row
    from connections.mapping.rutter import transaction_row

    world = bench_world(transactions)
    src, bank_src = "rutter:bench", "plaid:bench"
    txns = world["rutter"][0]["transactions"]
    by_id = {t["id"]: t for t in txns}
    item_rows = [transaction_row(t, source=src) for t in txns]
    item_rows += [transaction_row(by_id[i], source=src, payout_external_id=p["id"])
                  for p in world["rutter"][0]["payouts"] for i in p["transaction_ids"]]
    bank_rows = [bank_transaction_row(t, source=bank_src) for t in world["plaid"][0]["transactions"]]
    item_cols = ["source", "external_id", "kind", "provider_type", "status", "occurred_at", "currency",
                 "amount", "fee", "net", "order_external_id", "payout_external_id"]
    bank_cols = ["source", "external_id", "date", "currency", "amount", "name", "pending"]

    def buffer(rows, cols):
        out = io.StringIO()
        for r in rows:
            out.write("\t".join("" if r.get(c) is None else str(r[c]) for c in cols) + "\n")
        out.seek(0)
        return out.getvalue()

    chunks = [(buffer(item_rows[i:i + 50000], item_cols), "bench_items", item_cols)
              for i in range(0, len(item_rows), 50000)]
    chunks += [(buffer(bank_rows[i:i + 50000], bank_cols), "bench_bank", bank_cols)
               for i in range(0, len(bank_rows), 50000)]
    count = len(item_rows) + len(bank_rows)
    del world, txns, by_id, item_rows, bank_rows
    with connection.cursor() as cursor:
        pg = cursor.cursor
        pg.execute("CREATE TEMP TABLE bench_items (source text, external_id text, kind text, provider_type text, "
                   "status text, occurred_at timestamptz, currency text, amount numeric(19,4), fee numeric(19,4), "
                   "net numeric(19,4), order_external_id text, payout_external_id text)")
        pg.execute("CREATE TEMP TABLE bench_bank (source text, external_id text, date date, currency text, "
                   "amount numeric(19,4), name text, pending boolean)")
        began = time.perf_counter()
        for data, table, cols in chunks:
            with pg.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                copy.write(data)
        elapsed = time.perf_counter() - began
        pg.execute("DROP TABLE bench_items; DROP TABLE bench_bank")
    return count, elapsed


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(transactions: int) -> dict:
    from django.test import override_settings

    proc = subprocess.Popen([sys.executable, "-c", f"from bench.sync import serve; serve({transactions})"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        port = int(proc.stdout.readline())
        with override_settings(**_settings(port)):
            began = time.perf_counter()
            fetched = fetch_only()
            fetch_s = time.perf_counter() - began
            began = time.perf_counter()
            records = sync_all()
            sync_s = time.perf_counter() - began
        sync_peak = _peak_mb()
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    copied, copy_s = copy_baseline(transactions)
    return {"transactions": transactions, "records": records, "sync_s": sync_s, "fetched": fetched,
            "fetch_s": fetch_s, "copied": copied, "copy_s": copy_s, "peak_mb": sync_peak}


def main(argv=()):
    parser = argparse.ArgumentParser(prog="python -m bench sync")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000,000 transactions")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(list(argv))
    _django()
    full = int(1_000_000 * args.scale)
    results = [run(max(1000, full // 10)), run(full)]
    lines = []
    for r in results:
        e2e, fetch, copy = r["records"] / r["sync_s"], r["fetched"] / r["fetch_s"], r["copied"] / r["copy_s"]
        slower = min(fetch, copy)
        lines.append(
            f"| {r['transactions']:,} | {r['records']:,} | {e2e:,.0f} | {fetch:,.0f} | {copy:,.0f} | "
            f"{slower / e2e:.2f}x | {r['peak_mb']:,.0f} MB |"
        )
    header = ("| transactions | records | end-to-end rec/s | (a) fetch-only rec/s | (b) COPY rec/s | "
              "slower baseline / e2e | peak RSS after sync |\n|---|---|---|---|---|---|---|")
    table = header + "\n" + "\n".join(lines)
    print(table)
    if not args.no_append:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with RESULTS.open("a") as out:
            out.write(f"\n## bench sync — {stamp}, {os.cpu_count()} cores\n\n{table}\n")
