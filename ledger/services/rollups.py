"""Refresh the overview's monthly rollups (ledger.models.rollups) for the months marked stale.

The database marks a month whenever a write changes one of its bank lines or settled payout items
(migration 0012's triggers). A refresh recomputes exactly those months from the rows and deletes
the marks it read, by id: a mark added while it ran stays for the next refresh. Reads stay right
without a refresh (ledger.monthly aggregates marked months live); refreshing keeps them cheap, so
the units of work that change many lines (a reconciliation run, a decision) end with one.
"""

from django.db import transaction

from companies.models import Company
from ledger.bulk import chunks
from ledger.models import BankMonth, ItemMonth, RollupKind, RollupMark
from ledger.monthly import bank_months_live, item_months_live


@transaction.atomic
def rollups_refresh(*, company) -> int:
    """Recompute the company's marked months; returns how many months were recomputed.

    Skipped (0) while another transaction holds the company (a reconciliation run refreshes at its
    own end): refreshes of one company never overlap, and a page view never waits for a run.
    """
    if not Company.objects.select_for_update(skip_locked=True).filter(pk=company.pk).exists():
        return 0
    marks = list(RollupMark.objects.filter(company=company).values_list("pk", "kind", "month"))
    if not marks:
        return 0
    bank = {month for _, kind, month in marks if kind == RollupKind.BANK}
    items = {month for _, kind, month in marks if kind == RollupKind.ITEM}
    if bank:
        rows = bank_months_live(company=company, months=bank)
        BankMonth.objects.filter(company=company, month__in=bank).delete()
        BankMonth.objects.bulk_create([
            BankMonth(company=company, month=r["month"], currency=r["currency"], deposited=r["deposited"] or 0,
                      waiting=r["waiting"], waiting_total=r["waiting_total"] or 0) for r in rows], batch_size=2000)
    if items:
        rows = item_months_live(company=company, months=items)
        ItemMonth.objects.filter(company=company, month__in=items).delete()
        ItemMonth.objects.bulk_create([
            ItemMonth(company=company, month=r["month"], platform=r["platform"], currency=r["currency"],
                      kind=r["kind"], amount=r["amount"] or 0, fee=r["fee"] or 0) for r in rows], batch_size=2000)
    for chunk in chunks([pk for pk, _, _ in marks]):
        RollupMark.objects.filter(pk__in=chunk).delete()
    return len(bank) + len(items)


class _Refresh:
    def __init__(self, company):
        self.company = company

    def __call__(self):
        rollups_refresh(company=self.company)


def rollups_refresh_on_commit(*, company) -> None:
    """Refresh the company's rollups once the current transaction commits (at once outside one).

    Registered once per company and transaction however many writes ask (a rules pass categorizes
    line after line): Django's pending on-commit callbacks are looked at to skip a second one.
    """
    connection = transaction.get_connection()
    if any(isinstance(func, _Refresh) and func.company.pk == company.pk for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_Refresh(company))
