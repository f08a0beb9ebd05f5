"""Full reconcile benchmark: a busy merchant's year in the database, reconciled with postings.

The synthetic year of `bench/reconcile_engine.py` (>= 1,000,000 platform items, >= 5,000 bank
deposits) is loaded into the configured database (SQLite by default, PostgreSQL with
DATABASE_URL) as one company's books; then `reconcile_company` runs for real: engine inputs read
from the books, engine, bookings (journal entries, expenses, payments, matches) and the export is
scored against the answer key. The naive baseline (exact amount within ±7 days, one-to-one) runs
in the same process on the same data. `python -m bench reconcile [--items N] [--seed S]`.
"""

import argparse
import os
import resource
import time
from datetime import UTC, datetime
from datetime import time as dtime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.reconcile_engine import generate, naive  # noqa: E402
from companies.services import company_create, partner_create  # noqa: E402
from connections.models import Connection, ConnectionStatus  # noqa: E402
from ledger.models import BankAccount, BankTransaction, JournalLine, Payout, PayoutItem  # noqa: E402
from ledger.selectors import books_balanced  # noqa: E402
from reconciliation.selectors.export import reconciliation_export  # noqa: E402
from reconciliation.services import reconcile_company  # noqa: E402
from sandbox.scoring import score  # noqa: E402

BATCH = 10_000


def _split(ref: str) -> tuple[str, str]:
    source, _, external = ref.rpartition(":")
    return source, external


def _midday(day) -> datetime:
    return datetime.combine(day, dtime(12), tzinfo=UTC)


def load(inputs, *, name: str):
    """One company with the synthetic year as its books (connections, payouts, items, bank)."""
    partner = partner_create(name=f"bench {name}")
    company = company_create(partner=partner, name=f"Busy merchant {name}")
    for conn in inputs.connections:
        provider, external = conn.ref.split(":", 1)
        Connection.objects.create(company=company, provider=provider, external_id=external,
                                  platform=conn.platform, display_name=conn.platform,
                                  status=ConnectionStatus.READY)
    account = BankAccount.objects.create(company=company, source="plaid:bench", external_id="acc",
                                         name="Checking", currency="USD")
    with transaction.atomic():
        Payout.objects.bulk_create([
            Payout(company=company, source=p.connection_ref, external_id=_split(p.ref)[1], platform=p.platform,
                   currency=p.currency, amount=p.amount, created_on=_midday(p.created_on),
                   arrival_date=p.arrival_on, status=p.status)
            for p in inputs.payouts
        ], batch_size=BATCH)
        # Keyed by connection too: every connection numbers its payouts po0, po1, ….
        payout_ids = {(source, ext): pk for source, ext, pk in
                      Payout.objects.filter(company=company).values_list("source", "external_id", "pk")}
        _items_load(company, inputs.items, payout_ids)
        BankTransaction.objects.bulk_create([
            BankTransaction(company=company, source="plaid:bench", external_id=_split(b.ref)[1],
                            bank_account=account, date=b.date, currency=b.currency, amount=b.amount,
                            name=b.description)
            for b in inputs.bank_lines
        ], batch_size=BATCH)
    return company


ITEM_COLUMNS = ("company_id", "source", "external_id", "payout_id", "payout_external_id", "kind",
                "provider_type", "status", "description", "occurred_at", "currency", "amount", "fee",
                "net", "order_external_id")


def _items_load(company, items, payout_ids) -> None:
    """COPY on PostgreSQL (a million rows in seconds), bulk_create elsewhere."""
    def row(i):
        payout_ext = _split(i.payout_ref)[1] if i.payout_ref else ""
        return (company.pk, i.connection_ref, _split(i.ref)[1], payout_ids.get((i.connection_ref, payout_ext)), payout_ext,
                i.kind, i.kind, "success", "", _midday(i.occurred_on), i.currency, i.gross, i.fee, i.net, "")

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY ledger_payoutitem ({', '.join(ITEM_COLUMNS)}) FROM STDIN"
        ) as copy:
            for item in items:
                copy.write_row(row(item))
        return
    for start in range(0, len(items), BATCH):
        PayoutItem.objects.bulk_create([PayoutItem(**dict(zip(ITEM_COLUMNS, row(i), strict=True)))
                                        for i in items[start:start + BATCH]])


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench reconcile")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    inputs, truth = generate(items_target=args.items, seed=args.seed)
    t0 = time.perf_counter()
    company = load(inputs, name=f"{args.seed}-{time.time():.0f}")
    t1 = time.perf_counter()
    print(f"{connection.vendor}: loaded {len(inputs.items):,} items, {len(inputs.payouts):,} payouts, "
          f"{len(inputs.bank_lines):,} bank lines in {t1 - t0:.1f}s (not measured below)")

    t2 = time.perf_counter()
    run = reconcile_company(company=company, by="bench")
    t3 = time.perf_counter()
    product = score(export=reconciliation_export(company=company), truth=truth)
    t4 = time.perf_counter()
    reconcile_company(company=company, by="bench")
    t5 = time.perf_counter()
    base = naive(inputs)
    t6 = time.perf_counter()
    b = score(export=base, truth=truth)
    seconds = run.stats["seconds"]
    lines = JournalLine.objects.filter(company=company).count()
    print(f"full reconcile with postings: {t3 - t2:6.2f}s (read books {seconds['load']}s, engine "
          f"{seconds['engine']}s, apply + book {seconds['apply']}s), {lines:,} journal lines, "
          f"books balanced: {books_balanced(company=company)}")
    print(f"  precision {product['precision']:.4f}  recall {product['recall']:.4f}  "
          f"applied {run.stats.get('applied', 0):,}  items booked {run.stats['items_booked']:,}  peak rss {_rss_mb():.0f} MB")
    print(f"re-run (idempotent, nothing new): {t5 - t4:6.2f}s")
    print(f"naive baseline: {t6 - t5:6.2f}s  precision {b['precision']:.4f}  recall {b['recall']:.4f}")
    print(f"ratio full reconcile / naive baseline time: {(t3 - t2) / max(t6 - t5, 1e-9):.0f}x")


if __name__ == "__main__":
    main()
