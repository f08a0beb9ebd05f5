"""Booking reconciled money into the books (accrual basis, each thing booked exactly once).

- items (`items:<run token>:<group>`): every settled platform transaction is booked into its
  connection's clearing account when it settles, grouped per payout and currency (or per
  connection, currency and settlement day while no payout names it): sales, refunds, processing fees, marketplace commissions, chargebacks,
  reserves, anything else to Uncategorized; plus Expense rows per fee category and Payment/Refund
  rows for the invoices the items paid. Fees are expenses when the platform takes them, whether
  or not the money has reached the bank yet.
- deposit (`match:<id>:deposit`): bank ← clearing for each payout of a match. A payout in another
  currency than the bank line goes through the FX gain/loss account per currency (trading-account
  method), so every entry balances in every currency and the difference shows as FX gain/loss.
  Undoing a match reverses exactly this entry.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Case,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.timezone import now

from connections.models import Connection
from ledger.models import (
    AccountRole,
    BankTransaction,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceStatus,
    JournalEntry,
    Payment,
    Payout,
    Refund,
)
from ledger.money import ZERO
from ledger.services import (
    EntrySpec,
    LineSpec,
    clearing_account_for,
    journal_entries_post_many,
    journal_entry_reverse,
)
from reconciliation import engine as E
from reconciliation.engine.breakdown import breakdown_of
from reconciliation.rows import UNSETTLED_WORDS, kind_total

R = AccountRole
OTHER_ROLES = {
    "chargeback": R.CHARGEBACKS,
    "chargeback_reversal": R.CHARGEBACKS,
    "reserve_hold": R.PLATFORM_RESERVES,
    "reserve_release": R.PLATFORM_RESERVES,
}
NOT_OTHER = frozenset({"sale", "refund", "fee", "commission", "payout"})
EXPENSE_BUCKETS = (
    (ExpenseCategory.PROCESSING_FEES, "processing_fees"),
    (ExpenseCategory.MARKETPLACE_COMMISSIONS, "marketplace_fees"),
)


class Books:
    """Accounts of one company, looked up once per booking run."""

    def __init__(self, company):
        from ledger.models import Account

        self.company = company
        self.by_role = {a.role: a for a in Account.objects.filter(company=company, source="")}
        self._clearing = {}
        self._connections = {
            f"{provider}:{ext}": (name, platform)
            for provider, ext, name, platform in Connection.objects.filter(company=company)
            .values_list("provider", "external_id", "display_name", "platform")
        }
        # Connection reference -> platform, upper case (the provider when it names none).
        self.platforms = {
            ref: (platform or ref.split(":", 1)[0]).upper() for ref, (_, platform) in self._connections.items()
        }

    def role(self, role):
        return self.by_role[role]

    def clearing(self, source: str):
        if source not in self._clearing:
            name = self._connections.get(source, ("", ""))[0] or source
            self._clearing[source] = clearing_account_for(company=self.company, source=source, name=name)
        return self._clearing[source]

    def platform_of(self, source: str) -> str:
        return self.platforms.get(source) or source.split(":", 1)[0].upper()

    def bank(self, bank_transaction: BankTransaction):
        return bank_transaction.bank_account.ledger_account or self.role(R.BANK)


def _item_lines(books: Books, source: str, b: E.Breakdown, items: Sequence[E.PlatformItem], label: str):
    """Counter-account lines carry the items' effect on the clearing account, which takes the net."""
    effect = defaultdict(lambda: ZERO)  # role -> signed effect on the platform balance
    effect[R.SALES] += b.gross
    effect[R.SALES_RETURNS] += b.refunds
    effect[R.PROCESSING_FEES] += b.processing_fees
    effect[R.MARKETPLACE_COMMISSIONS] += b.marketplace_fees
    for item in items:
        if item.kind not in NOT_OTHER:
            effect[OTHER_ROLES.get(item.kind, R.UNCATEGORIZED)] += item.gross
    lines = [
        LineSpec(account=books.role(role), currency=b.currency, credit=amount, description=f"{role.label}: {label}")
        for role, amount in effect.items() if amount
    ]
    net = sum(effect.values(), ZERO)
    if net:
        lines.append(LineSpec(account=books.clearing(source), currency=b.currency, debit=net, description=f"Net: {label}"))
    return lines


# What a run books, and on which day, as SQL shared by the GROUP BY and the UPDATEs that link the
# items to their entries (one definition, so an item is linked to the entry that counted it):
# settled platform transactions not booked yet (pending or failed ones wait until they settle),
_UNBOOKED_SQL = "i.company_id = %s AND i.booked_entry_id IS NULL AND i.kind <> 'payout' AND " + " AND ".join(
    f"LOWER(i.status) NOT LIKE '%%{word}%%'" for word in UNSETTLED_WORDS
)
# and the day an item settled ('YYYY-MM-DD'), its group's day while no explicit payout names it.
_SETTLED_DAY_SQL = {
    "postgresql": "to_char(COALESCE(i.available_on, CAST(i.occurred_at AT TIME ZONE 'UTC' AS date)), 'YYYY-MM-DD')",
    "sqlite": "COALESCE(i.available_on, date(i.occurred_at))",
}


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))  # SQLite sums are floats


def _groups(company):
    """Per (connection, currency, payout or day): the sums of each kind of item, in SQL.

    Explicit payouts are booked on their arrival date, anything else on its settlement day.
    Grouped on the items' own columns (no join, so no plan depends on statistics); the items of
    one explicit payout are then one group whatever days they settled on.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT i.source, i.currency, i.payout_id, {_SETTLED_DAY_SQL[connection.vendor]}, i.kind,
                       SUM(i.amount), SUM(i.fee), SUM(i.net), COUNT(*)
                  FROM ledger_payoutitem i WHERE {_UNBOOKED_SQL} GROUP BY 1, 2, 3, 4, 5""",
            [company.pk],
        )
        rows = cursor.fetchall()
    payouts = Payout.objects.filter(company=company, is_inferred=False).in_bulk({row[2] for row in rows if row[2]})
    sums = defaultdict(dict)  # group key -> kind -> [gross, fee, net, count]
    for source, currency, payout_id, day, kind, gross, fee, net, count in rows:
        payout = payouts.get(payout_id)
        key = (source, currency, payout.pk, payout.arrival_date) if payout else (
            source, currency, None, date.fromisoformat(str(day)))
        total = sums[key].setdefault(kind, [ZERO, ZERO, ZERO, 0])
        total[0] += _decimal(gross)
        total[1] += _decimal(fee)
        total[2] += _decimal(net)
        total[3] += count
    groups = {}
    for key in sorted(sums, key=lambda k: (k[0], k[1], k[2] is None, k[2] or 0, k[3] or date.min)):
        groups[key] = [{"kind": kind, "gross": gross, "fee": fee, "net": net, "count": count, "day": key[3]}
                       for kind, (gross, fee, net, count) in sorted(sums[key].items())]
    return groups, payouts


def _kind_totals(source, currency, rows, platform: str) -> list[E.PlatformItem]:
    """Each kind's totals as one engine item, so the buckets are the engine's own breakdown."""
    return [
        kind_total(ref=f"{source}:{row['kind']}", source=source, payout_ref=None, kind=row["kind"],
                   currency=currency, gross=row["gross"], fee=row["fee"], net=row["net"],
                   day=row["day"], platform=platform)
        for row in rows
    ]


def _group_reference(token: str, source: str, currency: str, payout_id, day) -> str:
    """Unique per group (entries are idempotent by reference): a payout's items in two currencies
    are two groups, so two entries."""
    return f"items:{token}:p{payout_id}:{source}:{currency}" if payout_id else f"items:{token}:{source}:{currency}:{day}"


@transaction.atomic
def items_book(*, company, by: str) -> int:
    """Book every settled platform transaction not booked yet; returns how many were booked.

    Set-based whatever the volume: one GROUP BY, one entry per group, one UPDATE per group kind to
    link items to their entry, one INSERT…SELECT each for payments and refunds.
    """
    books = Books(company)
    groups, payouts = _groups(company)
    if not groups:
        return 0
    token = uuid.uuid4().hex[:12]
    plan, specs = [], []
    for (source, currency, payout_id, day), rows in groups.items():
        payout = payouts.get(payout_id)
        label = f"{payout.platform} payout {payout.external_id}" if payout else f"{books.platform_of(source)} {day}"
        items = _kind_totals(source, currency, rows, books.platform_of(source))
        net = sum((item.net for item in items), ZERO)
        b = breakdown_of(payout_ref=label, connection_ref=source, currency=currency, amount=net, items=items)
        lines = _item_lines(books, source, b, items, label)
        if len(lines) < 2:
            continue  # nothing but zeros: nothing to book
        plan.append((payout, b, source, sum(row["count"] for row in rows), (source, currency, payout_id, day)))
        entry_day = day or (payout.created_on.date() if payout and payout.created_on else None) or now().date()
        specs.append(EntrySpec(
            date=entry_day, origin="platform_transactions", memo=f"Platform transactions: {label}",
            reference=_group_reference(token, source, currency, payout_id, day), lines=lines, created_by=by,
        ))
    entries = journal_entries_post_many(company=company, entries=specs)
    counted = sum(count for _, _, _, count, _ in plan)
    linked = _link_items(company, [key for *_, key in plan], entries)
    if linked != counted:  # a transaction synced or settled between the GROUP BY and the link
        raise ItemsChangedWhileBooking(f"{counted} platform transactions counted, {linked} linked")
    _expenses_create(company, plan, entries)
    _invoice_documents_create(company, min(entry.pk for entry in entries)) if entries else None
    return counted


class ItemsChangedWhileBooking(RuntimeError):
    """Rolls the booking back (nothing half-booked); the next run books the new state."""


_EXPLICIT_SQL = "EXISTS (SELECT 1 FROM ledger_payout p WHERE p.id = i.payout_id AND NOT p.is_inferred)"
_LINK_BATCH = 500


def _link_rows(rows: list[tuple], types: tuple[str, ...]):
    """(FROM clause, params) chunks naming `rows` as v(column1, column2, …): on PostgreSQL one
    chunk of arrays unnested (one UPDATE, one pass over the items, whatever the number of groups),
    elsewhere VALUES lists of `_LINK_BATCH` rows."""
    columns = ", ".join(f"column{n}" for n in range(1, len(types) + 1))
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"CAST(%s AS {t}[])" for t in types)
        yield f"unnest({arrays}) AS v({columns})", [list(column) for column in zip(*rows, strict=True)]
        return
    row_sql = "(" + ", ".join(f"CAST(%s AS {t})" for t in types) + ")"
    for start in range(0, len(rows), _LINK_BATCH):
        batch = rows[start:start + _LINK_BATCH]
        yield f"(VALUES {', '.join([row_sql] * len(batch))}) AS v", [value for row in batch for value in row]


def _link_items(company, keys, entries) -> int:
    """Point every item booked now at its group's entry: set-based UPDATEs joined to the list of
    (group → entry), on the same conditions as the GROUP BY of `_groups`.

    No index covers `booked_entry_id`, so on PostgreSQL this is a HOT update (see ledger
    migration 0006): only heap pages are written, not the table's indexes. Returns how many items
    were linked.
    """
    linked = 0
    pairs = list(zip(keys, entries, strict=True))
    by_payout = [(payout_id, source, currency, entry.pk)
                 for (source, currency, payout_id, _), entry in pairs if payout_id]
    by_day = [(source, currency, str(day), entry.pk)
              for (source, currency, payout_id, day), entry in pairs if not payout_id]
    day = _SETTLED_DAY_SQL[connection.vendor]
    with connection.cursor() as cursor:
        if by_payout:
            for values, params in _link_rows(by_payout, ("BIGINT", "TEXT", "TEXT", "BIGINT")):
                cursor.execute(
                    f"""UPDATE ledger_payoutitem AS i SET booked_entry_id = v.column4 FROM {values}
                         WHERE i.payout_id = v.column1 AND i.source = v.column2 AND i.currency = v.column3
                           AND {_UNBOOKED_SQL}""",
                    [*params, company.pk],
                )
                linked += cursor.rowcount
        if by_day:
            for values, params in _link_rows(by_day, ("TEXT", "TEXT", "TEXT", "BIGINT")):
                cursor.execute(
                    f"""UPDATE ledger_payoutitem AS i SET booked_entry_id = v.column4 FROM {values}
                         WHERE i.source = v.column1 AND i.currency = v.column2 AND {day} = v.column3
                           AND {_UNBOOKED_SQL} AND NOT {_EXPLICIT_SQL}""",
                    [*params, company.pk],
                )
                linked += cursor.rowcount
    return linked


def _expenses_create(company, plan, entries):
    rows = []
    for (payout, b, source, _, _), entry in zip(plan, entries, strict=True):
        for category, field in EXPENSE_BUCKETS:
            amount = -getattr(b, field)
            if amount:
                rows.append(Expense(
                    company=company, source=source, external_id=f"{category}:{entry.pk}",
                    payout=payout, journal_entry=entry, category=category, date=entry.date,
                    currency=b.currency, amount=amount, description=f"{category.label}: {b.payout_ref}",
                ))
    Expense.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


_ITEM_DAY_SQL = {"postgresql": "CAST(i.occurred_at AT TIME ZONE 'UTC' AS date)", "sqlite": "date(i.occurred_at)"}


def _invoice_documents_create(company, first_entry_id: int) -> None:
    """Payment / Refund rows for the invoices that items booked from `first_entry_id` on paid or
    refunded, inserted straight from the items (INSERT…SELECT), then the invoices' status."""
    day = _ITEM_DAY_SQL[connection.vendor]
    for model, kind in ((Payment, "sale"), (Refund, "refund")):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {table} (company_id, source, external_id, invoice_id, payout_item_id,
                        journal_entry_id, date, currency, amount)
                    SELECT i.company_id, i.source, i.external_id || '@' || CAST(i.booked_entry_id AS TEXT),
                           inv.id, i.id, i.booked_entry_id, {day}, i.currency, ABS(i.amount)
                      FROM ledger_payoutitem i
                      JOIN ledger_invoice inv ON inv.company_id = i.company_id AND inv.source = i.source
                                             AND inv.external_id = i.order_external_id
                     WHERE i.company_id = %s AND i.kind = %s AND i.booked_entry_id >= %s
                       AND i.order_external_id <> ''""",
                [company.pk, kind, first_entry_id],
            )
    touched = Invoice.objects.filter(company=company).filter(
        Q(pk__in=Payment.objects.filter(company=company, journal_entry_id__gte=first_entry_id).values("invoice_id"))
        | Q(pk__in=Refund.objects.filter(company=company, journal_entry_id__gte=first_entry_id).values("invoice_id"))
    )
    invoices_refresh(company=company, invoices=touched)


def invoices_refresh(*, company, invoices):
    """Recompute paid/refunded amounts and status from bookings that still stand (set-based)."""
    live = Q(journal_entry__reversed_by__isnull=True)
    paid = Payment.objects.filter(live, invoice=OuterRef("pk")).values("invoice").annotate(s=Sum("amount")).values("s")
    refunded = Refund.objects.filter(live, invoice=OuterRef("pk")).values("invoice").annotate(s=Sum("amount")).values("s")
    ids = list(invoices.filter(company=company).values_list("pk", flat=True))
    batch = Invoice.objects.filter(company=company, pk__in=ids)
    batch.update(amount_paid=Coalesce(Subquery(paid), Value(ZERO)),
                 amount_refunded=Coalesce(Subquery(refunded), Value(ZERO)))
    batch.update(status=Case(
        When(amount_refunded__gt=0, amount_refunded__gte=F("total"), then=Value(InvoiceStatus.REFUNDED)),
        When(amount_paid__gt=0, amount_paid__gte=F("total"), then=Value(InvoiceStatus.PAID)),
        When(amount_paid__gt=0, then=Value(InvoiceStatus.PARTIALLY_PAID)),
        default=Value(InvoiceStatus.OPEN),
    ))


def deposit_spec(*, books: Books, match, bank_transaction: BankTransaction, payouts: Sequence[Payout], by: str) -> EntrySpec | None:
    """The deposit entry of a match, or None when nothing moves (a payout that netted to zero)."""
    lines = [LineSpec(account=books.bank(bank_transaction), currency=bank_transaction.currency,
                      debit=bank_transaction.amount, description=bank_transaction.name[:200])]
    per_currency = defaultdict(lambda: ZERO)
    per_currency[bank_transaction.currency] += bank_transaction.amount
    for payout in payouts:
        lines.append(LineSpec(account=books.clearing(payout.source), currency=payout.currency,
                              credit=payout.amount, description=f"{payout.platform} payout {payout.external_id}"))
        per_currency[payout.currency] -= payout.amount
    for currency, difference in per_currency.items():
        if difference:
            lines.append(LineSpec(account=books.role(R.FX_GAIN_LOSS), currency=currency, credit=difference,
                                  description="Currency conversion of the payout"))
    lines = [line for line in lines if line.debit or line.credit]
    if not lines:
        return None
    return EntrySpec(
        date=bank_transaction.date, origin="deposit_match", lines=lines, created_by=by,
        memo=f"Deposit {bank_transaction.name[:120]}", reference=f"match:{match.pk}:deposit",
    )


def match_entries_reverse(*, match, by: str, reason: str) -> list[JournalEntry]:
    """Reverse everything booked for a match (its deposit entry)."""
    entries = JournalEntry.objects.filter(
        company_id=match.company_id, reference__startswith=f"match:{match.pk}:", reversed_by__isnull=True,
    ).order_by("id")
    return [journal_entry_reverse(entry=e, by=by, reason=reason) for e in entries]


def fx_difference(decision_fx) -> Decimal:
    return decision_fx.difference if decision_fx is not None else ZERO
