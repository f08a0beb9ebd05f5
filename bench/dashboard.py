"""Dashboard server time: p50/p95 of the transactions page (first and a deep keyset page), of an
expanded payout row, of the review lists (first and a deep "Show older" page), the overview and the
close report, for a company with `--rows` bank lines among 100 companies, beside a
/healthz baseline measured in the same run. In-process (Django test client), so it is server time.

    python -m bench dashboard [--rows 1000000] [--requests 200]

PostgreSQL when DATABASE_URL is set, else a SQLite file under var/bench/ (kept between runs).
"""

import argparse
import datetime as dt
import os
import statistics
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 100
COMPANIES = 100
BATCH = 20_000


def _setup(rows: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Production-like: DEBUG off means the cached template loader, as a deployment runs it.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-dashboard-only-secret-key-not-for-production")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["SECURE_COOKIES"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        os.environ["SQLITE_PATH"] = str(ROOT / "var" / "bench" / f"dashboard-{rows}.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(rows: int):
    """One big company (rows bank lines, a payout with 40 items behind every 20th) + 99 small ones."""
    from companies.models import Company
    from companies.services import company_create, partner_create
    from ledger import models as L
    from reconciliation.models import Match, MatchPayout

    big = Company.objects.filter(name="Dashboard Bench Co").first()
    if big is not None:
        return big
    partner = partner_create(name="Dashboard Bench", allowed_origins=["http://127.0.0.1:8001"])
    companies = [company_create(partner=partner, name=f"Bench small {i}") for i in range(COMPANIES - 1)]
    big = company_create(partner=partner, name="Dashboard Bench Co")
    start = dt.date(2015, 1, 1)
    for company, count in [(big, rows)] + [(c, max(rows // 1000, 10)) for c in companies]:
        account = L.BankAccount.objects.create(company=company, source="plaid:bench", external_id="acct",
                                               name="Checking", currency="USD", mask="0001")
        for lo in range(0, count, BATCH):
            L.BankTransaction.objects.bulk_create([
                L.BankTransaction(company=company, source="plaid:bench", external_id=f"t{i}", bank_account=account,
                                  date=start + dt.timedelta(days=i // 300), currency="USD",
                                  amount=Decimal(1000 + i % 997) / 10, name=f"SHOPIFY PAYMENTS {i}",
                                  status="reconciled" if i % 20 == 0 else "unreconciled")
                for i in range(lo, min(lo + BATCH, count))], batch_size=2000)
        if company is big:
            print(f"  loaded {count:,} bank lines", flush=True)
    # The newest 2,000 deposits of every 20th line get a payout of 40 items and an applied match.
    deposits = list(L.BankTransaction.objects.filter(company=big, status="reconciled").order_by("-date", "-id")[:2000])
    payouts = L.Payout.objects.bulk_create([
        L.Payout(company=big, source="rutter:bench", external_id=f"p{d.pk}", platform="SHOPIFY", currency="USD",
                 amount=d.amount, arrival_date=d.date) for d in deposits], batch_size=2000)
    items = []
    for payout in payouts:
        for k in range(40):
            amount = (payout.amount / 40).quantize(Decimal("0.01")) if k < 39 else payout.amount - (payout.amount / 40).quantize(Decimal("0.01")) * 39
            items.append(L.PayoutItem(company=big, source="rutter:bench", external_id=f"{payout.external_id}-{k}",
                                      payout=payout, kind="sale", occurred_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                                      currency="USD", amount=amount, fee=0, net=amount))
    L.PayoutItem.objects.bulk_create(items, batch_size=5000)
    matches = Match.objects.bulk_create([
        Match(company=big, bank_transaction=d, status="applied", confidence=1, reasons=["bench"]) for d in deposits])
    MatchPayout.objects.bulk_create([
        MatchPayout(company=big, match=m, payout=p, status="applied") for m, p in zip(matches, payouts, strict=True)])
    return big


def _analyze() -> None:
    """PostgreSQL: planner statistics as autovacuum would leave them after a bulk load (without them
    the status filter is planned for 27 rows instead of 50,000 and sorts them all). SQLite is left
    as a deployment runs it: no ANALYZE, so its plans must hold without statistics."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _measure(client, path, headers, n) -> dict:
    """Wall time (what a user waits, including the database server) and this process's CPU time
    (Python: ORM + templates), so a figure taken on a busy shared machine can be read apart."""
    times, cpu = [], []
    for i in range(n + 5):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(path, **headers)
        elapsed, used = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        assert response.status_code == 200, (path, response.status_code)
        if i >= 5:  # warm-up requests are not counted
            times.append(elapsed)
            cpu.append(used)
    times.sort()
    cpu.sort()
    p95 = int(len(times) * 0.95) - 1
    return {"p50": statistics.median(times), "p95": times[p95], "cpu50": statistics.median(cpu), "cpu95": cpu[p95]}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench dashboard")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    _setup(args.rows)
    from django.test import Client
    from django.urls import reverse

    from companies.services import embed_session_create
    from dashboard.embed import embed_token_issue
    from ledger.models import BankTransaction
    from ledger.services.rollups import rollups_refresh

    t0 = time.perf_counter()
    company = _fill(args.rows)
    _analyze()
    print(f"  data ready in {time.perf_counter() - t0:.1f}s "
          f"({BankTransaction.objects.count():,} bank lines over {COMPANIES} companies)")
    # What a reconciliation run does at its end (ledger.services.rollups): build the marked months.
    t0 = time.perf_counter()
    months = rollups_refresh(company=company)
    print(f"  monthly rollups: {months} months refreshed in {time.perf_counter() - t0:.2f}s")
    session, _ = embed_session_create(company=company, permissions=["read"])
    headers = {"HTTP_X_EMBED_TOKEN": embed_token_issue(company=company, permissions=["read"], session=session)}
    deposit = BankTransaction.objects.filter(company=company, status="reconciled").order_by("-date", "-id").first()
    deep = BankTransaction.objects.filter(company=company).order_by("-date", "-id")[args.rows // 2]
    c = company.public_id
    cases = [
        ("baseline /healthz", "/healthz"),
        ("transactions, first page", reverse("dashboard:transactions", kwargs={"company": c})),
        ("transactions, page at row rows/2", reverse("dashboard:transactions", kwargs={"company": c})
         + f"?after={deep.date.isoformat()}.{deep.pk}"),
        ("transactions, status filter", reverse("dashboard:transactions", kwargs={"company": c}) + "?status=reconciled"),
        ("status filter, keyset page at rows/2", reverse("dashboard:transactions", kwargs={"company": c})
         + f"?status=reconciled&after={deep.date.isoformat()}.{deep.pk}"),
        ("status filter matching nothing", reverse("dashboard:transactions", kwargs={"company": c}) + "?status=suggested"),
        ("expanded payout row (40 items)", reverse("dashboard:breakdown", kwargs={"company": c, "pk": deposit.pk})),
        ("review (lines without a payout + count)", reverse("dashboard:review", kwargs={"company": c})),
        ("review, \"Show older\" at rows/2", reverse("dashboard:review", kwargs={"company": c})
         + f"?before={deep.date.isoformat()}.{deep.pk}"),
        ("overview (per-currency totals)", reverse("dashboard:overview", kwargs={"company": c})),
        ("close report (newest month)", reverse("dashboard:close", kwargs={"company": c})),
    ]
    client = Client(HTTP_HOST="127.0.0.1")
    print(f"  load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"  {'case':38} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8}")
    worst = 0.0
    for name, path in cases:
        r = _measure(client, path, headers, args.requests)
        if not name.startswith("baseline"):
            worst = max(worst, r["p95"])
        print(f"  {name:38} {r['p50']:8.1f} {r['p95']:8.1f} {r['cpu50']:8.1f} {r['cpu95']:8.1f}")
    verdict = "OK" if worst < TARGET_P95_MS else "MISSED"
    print(f"  target p95 < {TARGET_P95_MS} ms: {verdict} (worst p95 {worst:.1f} ms)")
    print(f"  load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
