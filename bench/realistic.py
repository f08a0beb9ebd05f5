"""Sync and reconcile a realistic world: the sandbox generator's stores (orders with line items and
customers, Rutter transactions and payouts, stores without payouts), a Stripe account (charges,
refunds, payouts) and a bank feed that settles them, as a user's company would see them.

    python -m bench realistic [--days 90] [--scale 4] [--seed 1] [--databases postgresql sqlite]
    python -m bench realistic --world W.world.json --databases postgresql --snapshot
    python -m bench realistic --reconcile-only [--profile out.prof]

The world is served by `manage.py sandbox serve` in its own process (Rutter's real rate limit).
Each measurement runs in a fresh child process: (a) fetch-only — every page the sync fetches, with
the same clients, parsed, nothing written — then, per database, the books built by the sync
(linked through the real link flows, synced, then reconciled with postings). Reported: records/s
of the sync, its ratio to fetch-only, SQLite against PostgreSQL, and the reconciliation.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from bench.sync import CHILD_ENV, ROOT, Sandbox

RESULTS = ROOT / "docs" / "benchmarks.md"
PG_URL = "postgres://postgres@127.0.0.1:5432/tieout_bench_realistic"
# --snapshot keeps the PostgreSQL books as synced (before reconciling) under this name, so that
# --reconcile-only can measure (and profile) the reconciliation of a big world again and again
# without syncing it again.
SNAPSHOT = "tieout_bench_realistic_synced"


def _admin():
    import psycopg

    return psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)


def _copy_database(source: str, target: str) -> None:
    from django.db import connections

    connections.close_all()  # CREATE DATABASE … TEMPLATE needs the source without sessions
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {target}")
        conn.execute(f"CREATE DATABASE {target} TEMPLATE {source}")


def _server(world: dict, port: int):
    """What sandbox.onboarding needs of a server, for one running in another process."""
    from sandbox.state import Credentials

    base = f"http://127.0.0.1:{port}"
    state = SimpleNamespace(rutter={c["connection_id"]: c for c in world.get("rutter", [])},
                            stripe={a["account_id"]: a for a in world.get("stripe", [])},
                            plaid={i["item_id"]: i for i in world.get("plaid", [])})
    return SimpleNamespace(state=state, credentials=Credentials(), base_url=base,
                           rutter_base_url=base + "/rutter/versioned", stripe_api_base=base + "/stripe",
                           stripe_connect_base=base + "/stripe-connect", plaid_base_url=base + "/plaid",
                           plaid_link_js_url=base + "/plaid/link/link-initialize.js")


def _django(database: str, *, restore: bool = False) -> None:
    for name, value in CHILD_ENV.items():
        os.environ.setdefault(name, value)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if database == "postgresql":
        os.environ["DATABASE_URL"] = PG_URL
        with _admin() as conn:
            conn.execute("DROP DATABASE IF EXISTS tieout_bench_realistic")
            conn.execute("CREATE DATABASE tieout_bench_realistic" + (f" TEMPLATE {SNAPSHOT}" if restore else ""))
    else:
        os.environ.pop("DATABASE_URL", None)
        path = ROOT / "var" / "bench" / "realistic.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["SQLITE_PATH"] = str(path)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fetch_only(world: dict) -> int:
    """Every page the sync reads (ledger.platforms decides Rutter's endpoints per platform)."""
    from connections.services.clients import client_for
    from connections.services.rutter_sync import ENTITIES as RUTTER_ENTITIES
    from ledger.platforms import supports

    objects = 0
    with client_for("rutter") as rutter:
        for conn in world.get("rutter", []):
            token, platform = conn["access_token"], conn["platform"]
            for entity, method, *_ in RUTTER_ENTITIES:  # what rutter_sync reads, in its order
                if not supports(platform, entity):
                    continue
                extra = {"expand_transactions": True} if entity == "orders" and not supports(platform, "transactions") else {}
                for page in getattr(rutter, method)(token, page_size=500, **extra):
                    objects += len(page.objects) + sum(len(o.get("transactions") or []) for o in page.objects)
    with client_for("stripe") as stripe:
        for account in world.get("stripe", []):
            acct = account["account_id"]
            for page in stripe.iter_payouts(acct, limit=100):
                objects += len(page.objects)
                for payout in page.objects:
                    if not payout.get("automatic", True):
                        continue  # Stripe refuses ?payout= for manual payouts (as the sync knows)
                    for items in stripe.iter_balance_transactions(acct, payout=payout["id"], limit=100):
                        objects += len(items.objects)
            for page in stripe.iter_balance_transactions(acct, limit=100):
                objects += len(page.objects)
    with client_for("plaid") as plaid:
        for item in world.get("plaid", []):
            for page in plaid.iter_transactions_sync(item["access_token"]):
                objects += len(page.added) + len(page.modified)
    return objects


def _books(world: dict, port: int, snapshot: bool = False) -> dict:
    from companies.services import company_create, partner_create
    from connections.models import Connection, SyncRun
    from connections.services import connections_sync_many
    from sandbox.onboarding import world_connections_link

    server = _server(world, port)
    company = company_create(partner=partner_create(name="Realistic bench", allowed_origins=[]),
                             name="Realistic bench Co", timezone="UTC")
    world_connections_link(company=company, server=server)
    began = time.perf_counter()
    # SYNC_WORKERS connections at once on PostgreSQL (as a fleet's workers would), one on SQLite.
    runs = connections_sync_many(connections=Connection.objects.filter(company=company))
    synced = time.perf_counter() - began
    if any(run.status != "succeeded" for run in runs):
        raise SystemExit(f"sync failed: {[(run.status, run.errors) for run in runs]}")
    records = sum(SyncRun.objects.filter(company=company).values_list("records", flat=True))
    if snapshot:
        _copy_database("tieout_bench_realistic", SNAPSHOT)
    return {"records": records, "sync_s": synced, **_reconcile(company)}


def _reconcile(company, profile: str | None = None) -> dict:
    from ledger.models import BankTransaction, JournalLine, PayoutItem
    from reconciliation.services import reconcile_company

    began = time.perf_counter()
    if profile:
        import cProfile

        with cProfile.Profile() as prof:
            run = reconcile_company(company=company, by="bench")
        prof.dump_stats(profile)
    else:
        run = reconcile_company(company=company, by="bench")
    return {"reconcile_s": time.perf_counter() - began,
            "stats": {k: v for k, v in run.stats.items() if k != "seconds"}, "phases": run.stats.get("seconds"),
            "items": PayoutItem.objects.filter(company=company).count(),
            "bank_lines": BankTransaction.objects.filter(company=company).count(),
            "journal_lines": JournalLine.objects.filter(company=company).count()}


def child(what: str, database: str, world_path: str, port: int, snapshot: bool = False) -> None:
    """Child-process entry: fetch-only or the books on one database; prints one JSON line.
    `world_path`: the world's connections (see _connections_file)."""
    _django(database)
    from django.test import override_settings

    from sandbox.onboarding import sandbox_provider_settings

    world = json.loads(Path(world_path).read_text())
    with override_settings(**sandbox_provider_settings(_server(world, port)), SYNC_ENQUEUE_RECONCILIATION=False):
        cpu, began = time.process_time(), time.perf_counter()
        out = {"count": _fetch_only(world)} if what == "fetch" else _books(world, port, snapshot)
        out.update(seconds=time.perf_counter() - began, cpu=time.process_time() - cpu,
                   peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out), flush=True)


def reconcile_only(profile: str | None) -> None:
    """Child-process entry of --reconcile-only: the snapshot's books reconciled (PostgreSQL)."""
    _django("postgresql", restore=True)
    from companies.models import Company

    cpu, began = time.process_time(), time.perf_counter()
    out = {"records": 0, "sync_s": 0.0, **_reconcile(Company.objects.get(name="Realistic bench Co"), profile)}
    out.update(seconds=time.perf_counter() - began, cpu=time.process_time() - cpu,
               peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out), flush=True)


def _connections_file(world_path: Path, out: Path) -> Path:
    """Only what the children need of the world (its connections' ids and tokens): a realistic
    year is a gigabyte of JSON, not to be parsed again by every child."""
    world = json.loads(world_path.read_text())
    keep = {"rutter": ("connection_id", "access_token", "platform"), "stripe": ("account_id",),
            "plaid": ("item_id", "access_token")}
    out.write_text(json.dumps({kind: [{k: c[k] for k in keys} for c in world.get(kind, [])]
                               for kind, keys in keep.items()}))
    return out


def _in_child(what: str, database: str, world: Path | None, port: int, *, snapshot: bool = False,
              profile: str | None = None) -> dict:
    if what == "reconcile":
        code = f"from bench.realistic import reconcile_only; reconcile_only({profile!r})"
    else:
        code = (f"from bench.realistic import child; "
                f"child({what!r}, {database!r}, {str(world)!r}, {port}, {snapshot and database == 'postgresql'})")
    env = {**CHILD_ENV, **os.environ, "REDIS_URL": ""}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"bench child {what}/{database} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=()):
    parser = argparse.ArgumentParser(prog="python -m bench realistic")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", type=float, default=4.0, help="the generator's daily order volume factor")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, default=None, help="a world file to use instead of generating one")
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"])
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--snapshot", action="store_true",
                        help=f"keep PostgreSQL's synced books (before reconciling) as database {SNAPSHOT}")
    parser.add_argument("--reconcile-only", action="store_true",
                        help="reconcile a copy of the --snapshot books again (PostgreSQL); prints, appends nothing")
    parser.add_argument("--profile", default=None, help="with --reconcile-only: write cProfile stats here")
    args = parser.parse_args(list(argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    for name, value in CHILD_ENV.items():
        os.environ.setdefault(name, value)
    if args.reconcile_only:
        print(json.dumps(_in_child("reconcile", "postgresql", None, 0, profile=args.profile)))
        return
    import django

    django.setup()
    from sandbox.generator import generate

    with tempfile.TemporaryDirectory(prefix="bench-realistic-") as tmp:
        began = time.perf_counter()
        world_path = args.world or generate(seed=args.seed, days=args.days, out_prefix=Path(tmp) / "w",
                                            scale=args.scale)[0]
        print(f"  world {'read' if args.world else 'generated'} in {time.perf_counter() - began:.1f}s "
              f"({world_path.stat().st_size / 1e6:.0f} MB)", flush=True)
        connections = _connections_file(world_path, Path(tmp) / "connections.json")
        sandbox = Sandbox(world_path)
        try:
            results = {"fetch": _in_child("fetch", "sqlite", connections, sandbox.port)}
            print(f"  fetch-only: {json.dumps(results['fetch'])}", flush=True)
            for database in args.databases:
                results[database] = _in_child("books", database, connections, sandbox.port,
                                              snapshot=args.snapshot)
                print(f"  {database}: {json.dumps(results[database])}", flush=True)
        finally:
            sandbox_mb = sandbox.stop()
    _report(args, results, sandbox_mb)


def _report(args, results: dict, sandbox_mb: float) -> None:
    fetch = results["fetch"]
    fetch_rate = fetch["count"] / fetch["seconds"]
    rows = [f"| fetch-only (a) | {fetch['count']:,} | {fetch['seconds']:.1f} | {fetch_rate:,.0f} | – | – | – | "
            f"{fetch['peak_mb']:,.0f} MB |"]
    for database in args.databases:
        r = results[database]
        rate = r["records"] / r["sync_s"]
        rows.append(f"| sync + reconcile, {database} | {r['records']:,} | {r['sync_s']:.1f} | {rate:,.0f} | "
                    f"{fetch_rate / rate:.2f}x | {r['reconcile_s']:.1f} s ({r['stats'].get('items_booked', 0):,} "
                    f"items booked, {r['journal_lines']:,} journal lines) | {r['phases']} | {r['peak_mb']:,.0f} MB |")
    ratio = ""
    if {"postgresql", "sqlite"} <= set(results):
        pg, lite = results["postgresql"], results["sqlite"]
        ratio = (f"\nSQLite / PostgreSQL: sync {lite['sync_s'] / pg['sync_s']:.2f}x, "
                 f"reconcile {lite['reconcile_s'] / pg['reconcile_s']:.2f}x. ")
    table = ("| run | records | sync s | records/s | fetch-only rate / sync rate | reconcile | reconcile phases "
             "(load, engine, apply s) | peak RSS |\n|---|---:|---:|---:|---:|---|---|---:|\n" + "\n".join(rows))
    print(table + ratio)
    if not args.no_append:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        with RESULTS.open("a") as out:
            world = f"world {args.world.name}" if args.world else f"seed {args.seed}, {args.days} days, scale {args.scale}"
            out.write(f"\n## bench realistic — {stamp}, {world}, "
                      f"load average {load} on {os.cpu_count()} CPUs\n\n{table}\n{ratio}Sandbox peak RSS "
                      f"{sandbox_mb:,.0f} MB.\n")
