"""The ledger's side of booking settled platform transactions: which items are due, linking them
to the entries that booked them, and the documents that follow (expenses, invoice payments and
refunds, invoice status). Reconciliation decides what to book; these write it, set-based.
"""

from contextlib import contextmanager

from django.db import connection

from ledger.bulk import bulk_set_many
from ledger.models import (
    BankTransaction,
    Expense,
    InvoiceStatus,
    Payment,
    Payout,
    PayoutItem,
    PayoutStatus,
    Refund,
)

# A provider status holding one of these words has not moved money (yet).
UNSETTLED_WORDS = ("pend", "fail", "void", "cancel", "declin", "error")

# What a run books, and on which day, as SQL shared by the GROUP BY and the UPDATEs that link the
# items to their entries (one definition, so an item is linked to the entry that counted it):
# settled platform transactions not booked yet (pending or failed ones wait until they settle),
UNBOOKED_SQL = "i.company_id = %s AND i.booked_entry_id IS NULL AND i.kind <> 'payout' AND " + " AND ".join(
    f"LOWER(i.status) NOT LIKE '%%{word}%%'" for word in UNSETTLED_WORDS
)
# and the day an item settled ('YYYY-MM-DD'), its group's day while no explicit payout names it.
SETTLED_DAY_SQL = {
    "postgresql": "to_char(COALESCE(i.available_on, CAST(i.occurred_at AT TIME ZONE 'UTC' AS date)), 'YYYY-MM-DD')",
    "sqlite": "COALESCE(i.available_on, date(i.occurred_at))",
}


def unbooked_item_sums(*, company) -> list[tuple]:
    """Per (source, currency, payout id, settled day, kind): the sums (gross, fee, net) and count
    of the items due for booking, in SQL, on the items' own columns (no join, so no plan depends
    on statistics)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT i.source, i.currency, i.payout_id, {SETTLED_DAY_SQL[connection.vendor]}, i.kind,
                       SUM(i.amount), SUM(i.fee), SUM(i.net), COUNT(*)
                  FROM ledger_payoutitem i WHERE {UNBOOKED_SQL} GROUP BY 1, 2, 3, 4, 5""",
            [company.pk],
        )
        return cursor.fetchall()


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


@contextmanager
def _rollup_inputs_unchanged(cursor):
    """PostgreSQL: the UPDATEs inside change no column a rollup reads (ledger migration 0015), so
    the item trigger does not mark their months."""
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        cursor.execute("SELECT set_config('tieout.rollup_inputs_unchanged', 'on', true)")
    yield  # on an error the transaction (or savepoint) is rolled back, and the setting with it
    if postgresql:
        cursor.execute("SELECT set_config('tieout.rollup_inputs_unchanged', 'off', true)")


def payout_items_link_entries(*, company, keys, entries) -> int:
    """Point every item booked now at its group's entry: set-based UPDATEs joined to the list of
    (group → entry), on the same conditions as the GROUP BY of `unbooked_item_sums`. `keys` are its
    (source, currency, payout id or None, day) groups, `entries` the entry that booked each.

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
    day = SETTLED_DAY_SQL[connection.vendor]
    with connection.cursor() as cursor, _rollup_inputs_unchanged(cursor):
        if by_payout:
            for values, params in _link_rows(by_payout, ("BIGINT", "TEXT", "TEXT", "BIGINT")):
                cursor.execute(
                    f"""UPDATE ledger_payoutitem AS i SET booked_entry_id = v.column4 FROM {values}
                         WHERE i.payout_id = v.column1 AND i.source = v.column2 AND i.currency = v.column3
                           AND {UNBOOKED_SQL}""",
                    [*params, company.pk],
                )
                linked += cursor.rowcount
        if by_day:
            for values, params in _link_rows(by_day, ("TEXT", "TEXT", "TEXT", "BIGINT")):
                if connection.vendor == "postgresql":
                    sql, params = _link_by_day_pg(values, params, company, sorted({k[0] for k in by_day}))
                else:
                    sql = f"""UPDATE ledger_payoutitem AS i SET booked_entry_id = v.column4 FROM {values}
                               WHERE i.source = v.column1 AND i.currency = v.column2 AND {day} = v.column3
                                 AND {UNBOOKED_SQL} AND NOT {_EXPLICIT_SQL}"""
                    params = [*params, company.pk]
                cursor.execute(sql, params)
                linked += cursor.rowcount
    return linked


def _link_by_day_pg(values: str, params: list, company, sources: list[str]) -> tuple[str, list]:
    """The by-day link on PostgreSQL: the items due, with their day computed once, are read
    first (by (company, source) when a pass books a few stores: a later pass of a run books one
    store's orders), then joined to the groups. Joined directly, the planner either scanned every
    item of the company (3.5 s a pass on a realistic year) or, told the stores, compared each of
    a store's items with each group, computing its day every time (11 s). The outer condition is
    checked again on the row updated."""
    sql = f"""WITH due AS MATERIALIZED (
                   SELECT i.id, i.source, i.currency, {SETTLED_DAY_SQL["postgresql"]} AS day FROM ledger_payoutitem i
                    WHERE {UNBOOKED_SQL} AND NOT {_EXPLICIT_SQL} AND i.source = ANY(%s))
              UPDATE ledger_payoutitem AS i SET booked_entry_id = v.column4
                FROM due JOIN {values} ON due.source = v.column1 AND due.currency = v.column2 AND due.day = v.column3
               WHERE i.id = due.id AND i.booked_entry_id IS NULL"""
    return sql, [company.pk, sources, *params]


_ITEM_DAY_SQL = {"postgresql": "CAST(i.occurred_at AT TIME ZONE 'UTC' AS date)", "sqlite": "date(i.occurred_at)"}


def invoice_documents_create(*, company, first_entry_id: int) -> None:
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
    payments = Payment.objects.filter(company=company, journal_entry_id__gte=first_entry_id).values("invoice_id")
    refunds = Refund.objects.filter(company=company, journal_entry_id__gte=first_entry_id).values("invoice_id")
    # The ids themselves (a UNION): "invoices whose id is in either" scanned every invoice of the
    # company (0.9 s on a realistic year on PostgreSQL, however few were booked).
    invoices_refresh(company=company, invoice_ids=payments.union(refunds))


_STANDING = "NOT EXISTS (SELECT 1 FROM ledger_journalentry r WHERE r.reversal_of_id = x.journal_entry_id)"


def _paid_status(paid: str, refunded: str) -> str:
    """An invoice's status from its standing paid and refunded sums (SQL expressions)."""
    return (f"CASE WHEN {refunded} > 0 AND {refunded} >= ledger_invoice.total THEN '{InvoiceStatus.REFUNDED}' "
            f"WHEN {paid} > 0 AND {paid} >= ledger_invoice.total THEN '{InvoiceStatus.PAID}' "
            f"WHEN {paid} > 0 THEN '{InvoiceStatus.PARTIALLY_PAID}' ELSE '{InvoiceStatus.OPEN}' END")


def _standing_sums(table: str, invoice_ids_sql: str) -> str:
    """Per invoice of `invoice_ids_sql`, the sum of its `table` rows whose booking stands (one
    parameter: the company)."""
    return (f"SELECT x.invoice_id, SUM(x.amount) AS s FROM {table} x WHERE x.company_id = %s "
            f"AND x.invoice_id IN ({invoice_ids_sql}) AND {_STANDING} GROUP BY x.invoice_id")


def invoices_refresh(*, company, invoice_ids):
    """Recompute paid/refunded amounts and status from bookings that still stand (not reversed):
    one UPDATE joined to the sums per invoice, restricted to the invoices asked about
    (`invoice_ids`, a query of one column of ids: the company's invoices among them).

    On PostgreSQL those are listed once (a MATERIALIZED CTE) and rows whose values do not change
    are not rewritten: the list written inline three times was evaluated three times, 24 s for a
    realistic year's 600,000 invoices. SQLite keeps the inline form: it plans the CTE form as a
    nested loop (110 s for 69,000 invoices in `bench realistic`, against under a second inline).
    (Correlated subqueries per invoice, as the ORM writes them, took 5 s for 69,000 invoices on
    PostgreSQL, and PostgreSQL JIT-compiled them on top.)
    """
    ids_sql, ids_params = invoice_ids.query.sql_with_params()
    if connection.vendor == "sqlite":
        paid, refunded = "COALESCE(t.ps, 0)", "COALESCE(t.fs, 0)"
        sql = f"""UPDATE ledger_invoice SET amount_paid = {paid}, amount_refunded = {refunded},
                         status = {_paid_status(paid, refunded)}
                    FROM (SELECT i.id, p.s AS ps, f.s AS fs FROM ledger_invoice i
                            LEFT JOIN ({_standing_sums("ledger_payment", ids_sql)}) p ON p.invoice_id = i.id
                            LEFT JOIN ({_standing_sums("ledger_refund", ids_sql)}) f ON f.invoice_id = i.id
                           WHERE i.company_id = %s AND i.id IN ({ids_sql})) t
                   WHERE ledger_invoice.id = t.id"""
        params = [company.pk, *ids_params, company.pk, *ids_params, company.pk, *ids_params]
    else:
        paid, refunded = "COALESCE(p.s, 0)", "COALESCE(f.s, 0)"
        status = _paid_status(paid, refunded)
        sql = f"""WITH touched (id) AS MATERIALIZED ({ids_sql}),
                       p AS ({_standing_sums("ledger_payment", "SELECT id FROM touched")}),
                       f AS ({_standing_sums("ledger_refund", "SELECT id FROM touched")})
                  UPDATE ledger_invoice SET amount_paid = {paid}, amount_refunded = {refunded}, status = {status}
                    FROM touched LEFT JOIN p ON p.invoice_id = touched.id LEFT JOIN f ON f.invoice_id = touched.id
                   WHERE ledger_invoice.id = touched.id AND ledger_invoice.company_id = %s
                     AND (ledger_invoice.amount_paid <> {paid} OR ledger_invoice.amount_refunded <> {refunded}
                          OR ledger_invoice.status <> {status})"""
        params = [*ids_params, company.pk, company.pk, company.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def expenses_create_many(*, company, rows: list[dict]) -> None:
    """Expense rows (source, external_id, payout, journal_entry, category, date, currency, amount,
    description); idempotent on (company, source, external_id)."""
    Expense.objects.bulk_create([Expense(company=company, **row) for row in rows], batch_size=2000,
                                ignore_conflicts=True)


def inferred_payouts_create(*, payouts: list[Payout], items: list[tuple[int, Payout]]) -> None:
    """Save the payouts a reconciliation inferred and attach their items ((item pk, payout))."""
    Payout.objects.bulk_create(payouts)
    bulk_set_many(PayoutItem, ["payout", "payout_external_id"],
                  [(pk, payout.pk, payout.external_id) for pk, payout in items])


def inferred_payout_cancel(*, payout: Payout) -> None:
    """An inferred payout was only one match's grouping: free its items, cancel it."""
    payout.items.update(payout=None, payout_external_id="")
    payout.status = PayoutStatus.CANCELED
    payout.save(update_fields=["status"])


def payout_breakdowns_save(*, payouts: list[Payout], fields: list[str]) -> None:
    """Store the breakdown `fields` the payouts carry (set on the instances by the caller)."""
    bulk_set_many(Payout, fields, ([p.pk, *(getattr(p, f) for f in fields)] for p in payouts))


def bank_transactions_status_set(*, company, ids, status: str) -> None:
    ids = list(ids)
    for start in range(0, len(ids), 5000):
        BankTransaction.objects.filter(company=company, pk__in=ids[start:start + 5000]).update(status=status)
