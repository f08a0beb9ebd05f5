"""Partner API under load: requests/s and p95 for the bank transactions list and a payout detail,
at 1,000,000 rows, beside a /healthz baseline measured in the same run.

gunicorn serves the real WSGI app on loopback; the load comes from another process (`wrk` when
installed, else a small keep-alive client in a subprocess). The books of one company hold
`--rows` bank transactions and `--rows` payout items (payouts of 20 items each).

    python -m bench api [--rows 1000000] [--seconds 10] [--workers N] [--connections N]

PostgreSQL when DATABASE_URL is set, else a SQLite file under var/bench/ (kept between runs).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RPS, TARGET_P95_MS = 300, 50
WRK_P95 = "done = function(s, latency, r) io.write(string.format('P95_US %d\\n', latency:percentile(95))) end\n"


def _env(rows: int) -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", LOG_LEVEL="WARNING",
               SECRET_KEY=os.environ.get("SECRET_KEY", "bench-api-only-secret-key-not-for-production"), ALLOWED_HOSTS="127.0.0.1",
               API_RATE_LIMIT="1000000/second", SECURE_COOKIES="0")
    if not env.get("DATABASE_URL"):
        env["SQLITE_PATH"] = str(ROOT / "var" / "bench" / f"api-{rows}.sqlite3")
    return env


def seed(rows: int) -> dict:
    """Create (once) a partner, a company and its books; return the key and ids to request."""
    import django

    django.setup()
    from django.core.management import call_command

    from companies.models import Company
    from companies.services import api_key_create, company_create, partner_create
    from ledger import models as L

    call_command("migrate", verbosity=0)
    company = Company.objects.filter(name="API Bench Co").first()
    if company is None or L.BankTransaction.objects.filter(company=company).count() != rows:
        if company is not None:
            raise SystemExit("bench database has another row count; delete it or use another --rows")
        company = _fill(rows, company_create(partner=partner_create(name="API Bench"), name="API Bench Co"), L)
    _, raw = api_key_create(partner=company.partner, name=f"bench-{int(time.time())}")
    payout = L.Payout.objects.filter(company=company).order_by("-id").first()
    return {"key": raw, "company": str(company.public_id), "payout": payout.pk}


def _fill(rows: int, company, L) -> object:
    import datetime as dt
    from decimal import Decimal

    started, batch = time.perf_counter(), 20_000
    account = L.BankAccount.objects.create(company=company, source="plaid:bench", external_id="acc",
                                           name="Checking", mask="0001", currency="USD")
    day0 = dt.date(2022, 1, 1)
    for start in range(0, rows, batch):
        L.BankTransaction.objects.bulk_create([
            L.BankTransaction(company=company, bank_account=account, source="plaid:bench",
                              external_id=f"b{i}", date=day0 + dt.timedelta(days=i // 1000),
                              currency="USD", amount=Decimal(i % 9000 - 3000) / 4, name=f"DEPOSIT {i}")
            for i in range(start, min(rows, start + batch))])
    per = 20
    for start in range(0, rows, batch):
        payouts = L.Payout.objects.bulk_create([
            L.Payout(company=company, source="rutter:bench", external_id=f"p{k}", platform="SHOPIFY",
                     currency="USD", amount=Decimal("100.00"), arrival_date=day0 + dt.timedelta(days=k // 50))
            for k in range(start // per, min(rows, start + batch) // per)])
        if not payouts[0].pk:  # backends without RETURNING on bulk insert
            payouts = list(L.Payout.objects.filter(company=company, external_id__in=[p.external_id for p in payouts]))
        L.PayoutItem.objects.bulk_create([
            L.PayoutItem(company=company, source="rutter:bench", external_id=f"t{p.pk}-{j}", payout=p,
                         payout_external_id=p.external_id, kind="sale", occurred_at=dt.datetime(2022, 1, 1, tzinfo=dt.UTC),
                         currency="USD", amount=Decimal("5.25"), fee=Decimal("0.25"), net=Decimal("5.00"))
            for p in payouts for j in range(per)])
    print(f"  seeded {rows:,} bank transactions and {rows:,} payout items in {time.perf_counter() - started:.0f}s")
    return company


def _wrk(url, headers, seconds, connections):
    script = ROOT / "var" / "bench" / "p95.lua"
    script.write_text(WRK_P95)
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    for name, value in headers.items():
        cmd[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(re.search(r"P95_US (\d+)", out).group(1)) / 1000, int(errors.group(1)) if errors else 0


def _python_load(url, headers, seconds, connections):
    out = subprocess.run([sys.executable, "-m", "bench._http_load", url, json.dumps(headers), str(seconds),
                          str(connections)], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    result = json.loads(out)
    return result["rps"], result["p95_ms"], result["errors"]


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m bench api")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    # One connection per worker keeps every worker busy; more would only wait in gunicorn's
    # listen queue, and p95 would measure that queue (Little's law: 16 connections at 300 req/s
    # wait 53 ms on average however fast each request is). --connections 16 shows that effect.
    parser.add_argument("--connections", type=int, default=None, help="default: one per worker")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    args.connections = args.connections or args.workers
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    env = _env(args.rows)
    os.environ.update(env)
    ids = seed(args.rows)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-w", str(args.workers),
         "-b", f"127.0.0.1:{args.port}", "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        _wait(base + "/healthz")
        load = _wrk if shutil.which("wrk") else _python_load
        auth = {"Authorization": f"Bearer {ids['key']}"}
        company = f"{base}/api/v1/companies/{ids['company']}"
        cases = [("GET /healthz (baseline)", base + "/healthz", {}),
                 ("GET bank-transactions/ (50 per page)", company + "/bank-transactions/", auth),
                 ("GET payouts/<id>/ (20 items)", f"{company}/payouts/{ids['payout']}/", auth)]
        print(f"  {args.rows:,} rows, gunicorn {args.workers} sync workers, {args.connections} connections, "
              f"{args.seconds}s each, load by {load.__name__.strip('_')}, db {_db(env)}")
        results = []
        for name, url, headers in cases:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read()  # warm + check 200
            rps, p95, errors = load(url, headers, args.seconds, args.connections)
            results.append((name, rps, p95, errors))
            print(f"  {name:<40} {rps:8.0f} req/s   p95 {p95:6.1f} ms   non-2xx {errors}")
        _, list_rps, list_p95, _ = results[1]
        ok = list_rps >= TARGET_RPS and list_p95 < TARGET_P95_MS
        verdict = f"list target >= {TARGET_RPS} req/s and p95 < {TARGET_P95_MS} ms: {'MET' if ok else 'NOT MET'}"
        print(f"  {verdict}")
        _record(args, env, load.__name__.strip("_"), results, verdict)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _record(args, env, loader, results, verdict) -> None:
    """Append this run to docs/benchmarks.md (newest last), as the other benches do."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"\n## api — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n",
             f"`python -m bench api --rows {args.rows}`: gunicorn {args.workers} sync workers, {loader} "
             f"with {args.connections} connections for {args.seconds}s per endpoint on loopback, "
             f"{_db(env)}, {os.cpu_count()} CPUs, load average {load:.1f} at the end\n",
             "| endpoint | req/s | p95 ms | non-2xx | vs baseline |", "| --- | ---: | ---: | ---: | ---: |"]
    base_rps = results[0][1] or 1
    lines += [f"| {n} | {r:,.0f} | {p:.1f} | {e} | {r / base_rps:.2f}x |" for n, r, p, e in results]
    lines.append(f"\n{verdict}\n")
    with (ROOT / "docs" / "benchmarks.md").open("a") as out:
        out.write("\n".join(lines))


def _db(env) -> str:
    return "postgresql" if env.get("DATABASE_URL") else "sqlite (WAL)"


def _wait(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout}s")


if __name__ == "__main__":
    main(sys.argv[1:])
