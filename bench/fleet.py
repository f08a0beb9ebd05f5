"""A fleet of small companies through the whole deployment: the sandbox in its own process,
K `qcluster` processes on Redis (each its own cluster, as K worker machines), webhooks posted to
gunicorn while syncs run, PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tieout_fleet REDIS_URL=redis://127.0.0.1:6379/3 \\
        python -m bench fleet [--companies 1000] [--workers 1 2] [--kill] [--scale 0.03] [--no-append]

Each company is a generated 90-day world (one store on Rutter, cycling Shopify, Amazon, eBay,
Square, WooCommerce, Etsy; one Stripe account; one bank on Plaid), linked through the hosted
connect pages and the linking services. One run per K in --workers (fault-free); with --kill, one
more run with the largest K in which one cluster is killed with SIGKILL once a third of the
companies are reconciled (and started again two seconds later), and every company's books are
compared with the fault-free run's: trial balance per account and currency, applied matches (bank
line -> payouts), counts of items, payouts and bank lines. The K=1 run is the baseline: the
figures of the other runs are also given as ratios to it. See bench/_fleet_run.py for one run.

The database named by DATABASE_URL is flushed before every run; the Redis database of REDIS_URL
is flushed too (use one of your own).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "benchmarks.md"
ENV = {"DEBUG": "0", "SECRET_KEY": "bench-fleet-only-secret-key-not-for-production", "LOG_LEVEL": "WARNING",
       "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tieout_fleet", "REDIS_URL": "redis://127.0.0.1:6379/3",
       "SYNC_NOT_READY_RETRY_SECONDS": "5",
       # A run lasts minutes, not hours: a killed worker's sync lease, its stranded webhooks and a
       # reconciliation it had taken are given up after 30 / 60 / 20 s (production: 120 s,
       # Q_TIMEOUT + 60, 120 s).
       "SYNC_LEASE_SECONDS": "30", "RUN_STALE_SECONDS": "60", "RECONCILE_DEBOUNCE_SECONDS": "20",
       "ALLOWED_HOSTS": "127.0.0.1,localhost"}


def _django() -> dict[str, str]:
    for name, value in ENV.items():
        os.environ.setdefault(name, value)
    os.environ["DEBUG"] = "0"  # no query log growing in the workers; the fleet runs as in production
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["FLEET_PROBE_REDIS"] = os.environ["REDIS_URL"]
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "postgres" not in cfg["ENGINE"] or cfg["NAME"] in ("tieout_ci", "tieout_bench"):
        raise SystemExit("bench fleet flushes its database: set DATABASE_URL to a PostgreSQL database of its own")
    dsn = f"host={cfg['HOST']} port={cfg['PORT'] or 5432} user={cfg['USER']}"
    with psycopg.connect(dsn, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [cfg["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    import django

    django.setup()
    from bench._fleet_probe import install

    install()
    env = {name: os.environ[name] for name in ENV} | {"FLEET_PROBE_REDIS": os.environ["REDIS_URL"]}
    return {"env": env, "dsn": dsn, "dbname": cfg["NAME"]}


def _row(label: str, r: dict, base: dict | None) -> str:
    qw = r["queue_wait"].get("during run", (0, 0, 0))
    ratio = f"{r['per_minute'] / base['per_minute']:.2f}x" if base and base["per_minute"] else "1.00x"
    rss = ", ".join(f"{v}" for v in r["worker_rss_peak_mb"].values())
    return (f"| {label} | {r['done']:,}/{r['companies']:,} | {r['per_minute']:,.0f} | {ratio} | "
            f"{r['done_p50_s']:,.0f} s / {r['done_last_s']:,.0f} s | {r['webhook_rate']:,.0f}/s "
            f"(p95 {r['webhook_p95_ms']:,.0f} ms) | {qw[1]:,.1f} s / {qw[2]:,.1f} s | {r['pg_connections_peak']} | "
            f"{rss} MB | {r['stats']['reconcile_runs_per_company_median']} "
            f"(max {r['stats']['reconcile_runs_per_company_max']}) | {r['load_avg']} |")


def _verdict(name: str, cmp: dict) -> str:
    bad = cmp["differing"]
    text = f"{name}: {cmp['identical']:,} of {cmp['companies']:,} companies' books identical"
    if bad:
        kinds: dict[str, int] = {}
        for fields in bad.values():
            for field in fields:
                kinds[field] = kinds.get(field, 0) + 1
        text += f"; {len(bad)} differ ({', '.join(f'{k}: {n}' for k, n in sorted(kinds.items()))}; " \
                f"e.g. {', '.join(list(bad)[:3])})"
    return text


def main(argv=()):
    parser = argparse.ArgumentParser(prog="python -m bench fleet")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="qcluster processes, one run each")
    parser.add_argument("--q-workers", type=int, default=1, help="Q_WORKERS of each qcluster")
    parser.add_argument("--kill", action="store_true", help="one more run with the largest K, killing a cluster")
    parser.add_argument("--scale", type=float, default=0.03, help="each company's daily volume (generator scale)")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "var" / "fleet"), help="worlds, books and logs")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(list(argv))
    ctx = _django()
    from django.core.management import call_command

    from bench import _fleet_books as books
    from bench._fleet_run import run, save
    from bench._fleet_world import build_world

    call_command("migrate", verbosity=0)
    out = Path(args.out)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    logs = out / f"run-{stamp}"
    logs.mkdir(parents=True, exist_ok=True)
    world = out / f"fleet-{args.companies}-s{args.seed}-x{args.scale}-d{args.days}.world.json"
    fleet = build_world(companies=args.companies, seed=args.seed, days=args.days, scale=args.scale, out=world)
    print(f"world {world} ({world.stat().st_size / 1e6:.0f} MB, {len(fleet)} companies); logs in {logs}", flush=True)
    runs, table, verdicts = {}, [], []
    plan = [(k, False) for k in args.workers] + ([(max(args.workers), True)] if args.kill else [])
    for k, kill in plan:
        label = f"K={k}" + (" kill -9" if kill else "")
        data = run(world=world, fleet_companies=fleet, k=k, q_workers=args.q_workers, env=ctx["env"],
                   dsn=ctx["dsn"], dbname=ctx["dbname"], logs=logs, kill=kill)
        save(logs / f"{label.replace(' ', '_').replace('=', '')}.json", data)
        runs[label] = data
        print(label, json.dumps(data["result"], default=str), flush=True)
        base = runs.get("K=1", {}).get("result")
        table.append(_row(label, data["result"], base))
    reference = runs.get(f"K={max(args.workers)}")
    for label, data in runs.items():
        if reference is not None and data is not reference:
            verdicts.append(_verdict(f"{label} vs K={max(args.workers)} (after the poll)",
                                     books.compare(reference["books"], data["books"])))
            verdicts.append(_verdict(f"{label} vs K={max(args.workers)} (drained, before the poll)",
                                     books.compare(reference["books_before_poll"], data["books_before_poll"])))
    header = ("| run | companies synced + reconciled | per minute | vs K=1 | time to done p50 / last | "
              "webhook ingest (posted while syncing) | queue wait p50 / p95 (queued during the run) | PG connections peak | "
              "peak RSS per worker process | reconciliations per company, median | load avg |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|")
    report = header + "\n" + "\n".join(table) + "\n\n" + "\n".join(f"- {v}" for v in verdicts)
    print(report)
    if not args.no_append:
        with RESULTS.open("a") as fh:
            fh.write(f"\n## bench fleet — {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, {os.cpu_count()} cores, "
                     f"{args.companies} companies, --q-workers {args.q_workers}\n\n{report}\n")
