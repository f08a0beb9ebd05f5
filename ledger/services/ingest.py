"""Bulk upserts of synced rows, keyed on (company, source, external_id).

Rows are the plain dicts of connections.mapping (Decimal money signed by meaning). Each function
writes a whole batch in a handful of statements (INSERT … ON CONFLICT DO UPDATE in chunks, then
set-based UPDATEs), never one INSERT per row, so a page of 500 objects is a few round trips.
Fields that reconciliation owns (payout breakdowns, invoice payment state, bank line status) are
never overwritten by a re-sync; re-running any upsert with the same rows changes nothing.
"""

import weakref
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import F, OuterRef, ProtectedError, Q, Subquery
from psycopg.types.datetime import TimestamptzLoader

from ledger.models import (
    BankAccount,
    BankTransaction,
    BankTransactionStatus,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    Payout,
    PayoutItem,
    PayoutStatus,
)
from ledger.services.accounts import bank_ledger_account_for

BATCH = 1000  # rows per INSERT statement: well under SQLite's and PostgreSQL's parameter limits
SOURCED_KEY = ["company", "source", "external_id"]
COPY_THRESHOLD = 50  # rows from which PostgreSQL upserts go through COPY (see _copy_upsert)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # stable stand-in when a provider omits a timestamp
_ITEM_KINDS = frozenset(ItemKind.values)
_PAYOUT_STATUSES = frozenset(PayoutStatus.values)


def _text(value, size: int) -> str:
    return (value or "")[:size]


def _chunks(values: list, size: int = BATCH):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _upsert(model, rows: list[dict], update_fields: list[str]) -> int | None:
    """Upsert rows (attname -> value dicts) on (company, source, external_id).

    Returns how many rows were inserted or changed when the database says so (the COPY path:
    rows stored unchanged are not counted), else None.
    """
    if not rows:
        return 0
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        written = _copy_upsert(model, rows, update_fields)
        _grew(model, len(rows))
        return written
    model.objects.bulk_create(
        [model(**row) for row in rows], batch_size=BATCH, update_conflicts=True, unique_fields=SOURCED_KEY,
        update_fields=update_fields,
    )
    return None


_GROWTH: dict[str, list[int]] = {}  # table -> [rows upserted since our last ANALYZE, rows then]
ANALYZE_AFTER = 5000


def _grew(model, rows: int) -> None:
    entry = _GROWTH.setdefault(model._meta.db_table, [0, 0])
    entry[0] += rows


def _analyzed_if_grown(model) -> None:
    """Before reading `model` by key: ANALYZE it if this process has grown it by half since it
    last did (bulk-load practice).

    An initial sync grows a table from nothing to millions of rows in minutes; until statistics
    catch up the planner believes it is empty and reads `external_id IN (…)` lookups through
    item_company_payout_ext (company, source) — a scan of the whole connection per page (0.4 s at
    600k rows, measured) instead of a unique-index probe. Autovacuum would analyze eventually (if
    it is on); this keeps the plans right while the load runs. ANALYZE samples a bounded number
    of rows and takes no lock that blocks writers. It is paid when a lookup is about to be
    planned, not after every write: a pass that only inserts (an initial load, with its
    read-backs off) analyzes once, when the next pass first reads, not every time the table grew
    by half (13 ANALYZEs of ledger_payoutitem while loading 600k rows). analyze_grown() settles
    the rest after a sync.
    """
    _analyze_table_if_grown(model._meta.db_table)


def _analyze_table_if_grown(table: str) -> None:
    since, base = _GROWTH.get(table, (0, 0))
    if since and since >= max(ANALYZE_AFTER, base // 2):
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{table}"')
        _GROWTH[table] = [0, base + since]


def analyze_grown() -> None:
    """After a sync: ANALYZE the tables this process has grown by half since it last analyzed
    them, so what reads them next (reconciliation, the dashboard) plans with their real size."""
    for table in list(_GROWTH):
        _analyze_table_if_grown(table)


_STAGES: dict = {}  # model -> (stage table, column attnames, defaults, copy SQL, upsert SQL by options)
_STAGED_ON: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # psycopg conn -> stage tables


def _stage(model):
    if model not in _STAGES:
        opts = model._meta
        fields = [f for f in opts.concrete_fields if not f.primary_key]
        defaults = [None if f.null and not f.has_default() else f.get_default() for f in fields]
        _STAGES[model] = (f"stage_{opts.db_table}", [f.attname for f in fields], defaults,
                          ", ".join(f'"{f.column}"' for f in fields), {})
    return _STAGES[model]


def _upsert_sql(model, update_fields: list[str]) -> str:
    stage, attnames, _, cols, cache = _stage(model)
    key = tuple(update_fields)
    if key not in cache:
        opts = model._meta
        updated = [opts.get_field(name).column for name in update_fields]
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in updated)
        mine = ", ".join(f't."{c}"' for c in updated)
        theirs = ", ".join(f'EXCLUDED."{c}"' for c in updated)
        # The staged rows are deleted by the statement that reads them (one round trip, and no
        # leftovers for the next page). Unchanged rows are not rewritten (a re-sync, or the
        # transactions pass after payouts wrote the same items, adds no row versions). Only the
        # arbiter (the unique index) is probed: a pre-filtering join on the target table was
        # tried, and with the stale statistics of a table growing during an initial sync the
        # planner probed it through item_company_payout_ext (company, source only): 21 s a page.
        cache[key] = (
            f'WITH s AS (DELETE FROM "{stage}" RETURNING *) '
            f'INSERT INTO "{opts.db_table}" AS t ({cols}) SELECT {cols} FROM s '
            f'ON CONFLICT ("company_id", "source", "external_id") DO UPDATE SET {sets} '
            f"WHERE ({mine}) IS DISTINCT FROM ({theirs})"
        )
    return cache[key]


def _copy_upsert(model, rows: list[dict], update_fields: list[str]) -> int:
    """PostgreSQL: COPY the page into a session temp table, then one INSERT … ON CONFLICT.

    Same effect as bulk_create(update_conflicts=True) but a multi-VALUES statement with thousands
    of parameters costs more to build, send and plan than the rows cost to write; COPY does not,
    and rows go from dicts to COPY without building model instances.
    """
    stage, attnames, defaults, cols, _ = _stage(model)
    # COPY and INSERT in one transaction (a no-op inside the callers' own): the stage is emptied
    # at every commit.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        pg = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
        staged = _STAGED_ON.setdefault(pg.connection, set())
        if stage not in staged:
            # ON COMMIT DELETE ROWS: every commit truncates the stage. The DELETE … RETURNING
            # below empties it logically, but its dead rows stay in the file (temp tables are
            # never vacuumed and COPY appends), so without the truncate the stage grew by every
            # row ever staged and each page's DELETE scanned all of it: 50 MB and 30 ms a page
            # after 1,000 pages of 500 rows, measured — quadratic in the size of the sync.
            pg.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
                       f'SELECT {cols} FROM "{model._meta.db_table}" WITH NO DATA')
            # Remembered once committed: a rolled-back transaction takes the table with it.
            transaction.on_commit(lambda: staged.add(stage))
        pairs = list(zip(attnames, defaults, strict=True))
        with pg.copy(f'COPY "{stage}" ({cols}) FROM STDIN') as copy:
            # Values are already plain Python types psycopg adapts (Decimal, datetime, date, str,
            # bool, int, None); Django's per-field prep would cost more than the COPY.
            for row in rows:
                copy.write_row([row.get(name, default) for name, default in pairs])
        pg.execute(_upsert_sql(model, update_fields))
        return pg.rowcount  # inserted + updated; rows stored unchanged fail the WHERE


def _ids_by_external(model, *, company, source: str, external_ids) -> dict[str, int]:
    found: dict[str, int] = {}
    if external_ids:
        _analyzed_if_grown(model)
    for chunk in _chunks(sorted(set(external_ids))):
        found.update(
            model.objects.filter(company=company, source=source, external_id__in=chunk)
            .values_list("external_id", "pk")
        )
    return found


def _dedupe(rows: list[dict]) -> list[dict]:
    """Last row wins per (source, external_id): ON CONFLICT cannot touch a row twice in a statement."""
    return list({(row["source"], row["external_id"]): row for row in rows}.values())


# -- customers and invoices --------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def customer_upsert_many(*, company, rows: list[dict]) -> int:
    rows = _dedupe(rows)
    _upsert(Customer, [
        {"company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
         "name": _text(r.get("name"), 300), "email": _text(r.get("email"), 300)}
        for r in rows
    ], ["name", "email"])
    return len(rows)


def _invoice_status(row: dict) -> str:
    if row.get("cancelled_at") or (row.get("status") or "").lower() in ("cancelled", "canceled"):
        return InvoiceStatus.VOID
    return {"paid": InvoiceStatus.PAID, "partially_paid": InvoiceStatus.PARTIALLY_PAID,
            "refunded": InvoiceStatus.REFUNDED}.get((row.get("payment_status") or "").lower(),
                                                    InvoiceStatus.OPEN)


@transaction.atomic(savepoint=False)
def invoice_upsert_many(*, company, rows: list[dict]) -> int:
    """Orders (connections.mapping.rutter.order_row) -> customers, invoices and their lines.

    `status` is set from the platform when the invoice is first seen; afterwards it belongs to
    reconciliation (payments move it), so a re-sync updates only `platform_status` and amounts.
    Lines are replaced only for invoices whose lines changed, so a re-sync rewrites nothing.
    """
    rows = _dedupe(rows)
    if not rows:
        return 0
    customers = {}
    for r in rows:
        if r.get("customer_external_id"):
            customers[(r["source"], r["customer_external_id"])] = {
                "source": r["source"], "external_id": r["customer_external_id"],
                "name": r.get("customer_name"), "email": r.get("customer_email"),
            }
    customer_upsert_many(company=company, rows=list(customers.values()))
    customer_ids = {}
    for source in {s for s, _ in customers}:
        ids = _ids_by_external(Customer, company=company, source=source,
                               external_ids=[e for s, e in customers if s == source])
        customer_ids.update({(source, e): pk for e, pk in ids.items()})

    _upsert(Invoice, [
        {
            "company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
            "number": _text(str(r.get("number") or ""), 100),
            "customer_id": customer_ids.get((r["source"], r.get("customer_external_id"))),
            "currency": r["currency"], "issued_at": r.get("created_at") or _EPOCH,
            "status": _invoice_status(r),
            "platform_status": _text(r.get("payment_status") or r.get("status"), 40),
            "subtotal": r["subtotal"], "discount": r["discount"], "shipping": r["shipping"], "tax": r["tax"],
            "total": r["total"], "updated_at": r.get("updated_at"),
        }
        for r in rows
    ], ["number", "customer", "currency", "issued_at", "platform_status", "subtotal", "discount",
        "shipping", "tax", "total", "updated_at"])
    _invoice_lines_replace(company=company, rows=rows)
    return len(rows)


def _line_key(line: dict) -> tuple:
    return (_text(line.get("external_id"), 255), _text(line.get("title"), 500), _text(line.get("sku"), 100),
            line["quantity"], line["unit_price"], line["amount"])


def _stored_line_key(line: InvoiceLine) -> tuple:
    return (line.external_id, line.description, line.sku, line.quantity, line.unit_price, line.amount)


def _invoice_lines_replace(*, company, rows: list[dict]) -> None:
    invoice_ids = {}
    for source in {r["source"] for r in rows}:
        ids = _ids_by_external(Invoice, company=company, source=source,
                               external_ids=[r["external_id"] for r in rows if r["source"] == source])
        invoice_ids.update({(source, e): pk for e, pk in ids.items()})
    existing: dict[int, list] = {}
    for chunk in _chunks(list(invoice_ids.values())):
        for line in InvoiceLine.objects.filter(company=company, invoice_id__in=chunk).order_by("id"):
            existing.setdefault(line.invoice_id, []).append(_stored_line_key(line))
    stale, new_lines = [], []
    for r in rows:
        invoice_id = invoice_ids[(r["source"], r["external_id"])]
        lines = r.get("lines") or []
        if [_line_key(line) for line in lines] == existing.get(invoice_id, []):
            continue
        stale.append(invoice_id)
        new_lines.extend(
            InvoiceLine(company=company, invoice_id=invoice_id, external_id=_text(line.get("external_id"), 255),
                        description=_text(line.get("title"), 500), sku=_text(line.get("sku"), 100),
                        quantity=line["quantity"], unit_price=line["unit_price"], amount=line["amount"])
            for line in lines
        )
    for chunk in _chunks(stale):
        InvoiceLine.objects.filter(company=company, invoice_id__in=chunk).delete()
    InvoiceLine.objects.bulk_create(new_lines, batch_size=BATCH)


@transaction.atomic
def invoice_mark_deleted(*, company, source: str, external_id: str) -> int:
    """The platform deleted an order: void the invoice (it may carry payments, so it stays)."""
    return Invoice.objects.filter(company=company, source=source, external_id=external_id).update(
        status=InvoiceStatus.VOID, platform_status="deleted"
    )


# -- payouts and their items -------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def payout_upsert_many(*, company, rows: list[dict], platform: str) -> int:
    """Payout rows (Rutter or Stripe mapping) -> Payouts. Breakdown fields stay reconciliation's."""
    rows = _dedupe(rows)
    objs = []
    for r in rows:
        status = (r.get("status") or "").lower()
        arrived = r.get("arrived_at")
        objs.append({
            "company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
            "platform": platform[:40], "status": status if status in _PAYOUT_STATUSES else PayoutStatus.OTHER,
            "provider_status": _text(r.get("provider_status"), 40), "currency": r["currency"],
            "amount": r["amount"], "created_on": r.get("created_at"),
            "arrival_date": arrived.date() if arrived else None,
            "platform_id": _text(r.get("platform_id") or r["external_id"], 255),
            "trace_id": _text(r.get("trace_id") or r.get("description"), 255),
            "updated_at": r.get("updated_at") or r.get("created_at"),
        })
    _upsert(Payout, objs, ["platform", "status", "provider_status", "currency", "amount",
                           "created_on", "arrival_date", "platform_id", "trace_id", "updated_at"])
    return len(rows)


_ITEM_FIELDS = ["kind", "provider_type", "status", "description", "occurred_at", "available_on",
                "currency", "amount", "fee", "net", "order_external_id", "updated_at"]


def _item(company_id: int, r: dict) -> dict:
    kind = r.get("kind")
    available = r.get("available_on")
    return {
        "company_id": company_id, "source": r["source"], "external_id": r["external_id"],
        "kind": kind if kind in _ITEM_KINDS else ItemKind.OTHER,
        "provider_type": _text(r.get("provider_type"), 60), "status": _text(r.get("status"), 40),
        "description": _text(r.get("description"), 500), "occurred_at": r.get("occurred_at") or _EPOCH,
        "available_on": available.date() if isinstance(available, datetime) else available,
        "currency": r["currency"], "amount": r["amount"], "fee": r["fee"], "net": r["net"],
        "order_external_id": _text(r.get("order_external_id"), 255),
        "payout_external_id": _text(r.get("payout_external_id"), 255),
        "updated_at": r.get("updated_at") or r.get("occurred_at"),
    }


class ReadBack:
    """Whether the pages of one pass read their stored items back before writing them.

    Reading back pays when many rows of a page are already stored unchanged (the transactions
    pass after payouts, every re-sync): only new or changed rows are then staged and upserted.
    On an initial load every row is new and the read finds nothing, so a page whose read found
    (almost) nothing unchanged turns it off for the next pages, and a page upserted without it
    whose upsert left rows unchanged (the database's row count says how many it wrote) turns it
    back on. The upsert alone is always correct (unchanged rows are never rewritten); this only
    picks the cheaper way to the same rows.
    """

    WORTH = 0.1  # share of a page stored unchanged from which reading back is cheaper

    def __init__(self) -> None:
        self.enabled = True

    def saw(self, *, rows: int, unchanged: int | None) -> None:
        self.enabled = unchanged is None or unchanged > rows * self.WORTH


@transaction.atomic(savepoint=False)
def payout_item_upsert_many(*, company, rows: list[dict], read_back: ReadBack | None = None) -> int:
    """Balance movements -> PayoutItems, then linked to their payouts by payout_external_id.

    A row that does not know its payout (Rutter's /transactions list, Stripe's full balance
    transaction list) never clears the payout an earlier payout sync gave the item, so the order
    in which entities sync does not matter. The link is set by the upsert itself. `read_back`
    (one per pass) lets a pass of new rows skip reading them back first (see ReadBack).
    """
    rows = _dedupe(rows)
    settled = [_item(company.pk, r) for r in rows if r.get("payout_external_id")]
    loose = [_item(company.pk, r) for r in rows if not r.get("payout_external_id")]
    # Linked by the upsert itself: payout ids looked up once per page (their payouts were written
    # just before, in the same transaction); a payout we do not hold yet leaves the link empty.
    payout_ids: dict[tuple[str, str], int] = {}
    for source in {item["source"] for item in settled}:
        found = _ids_by_external(Payout, company=company, source=source,
                                 external_ids=[i["payout_external_id"] for i in settled if i["source"] == source])
        payout_ids.update({(source, ext): pk for ext, pk in found.items()})
    for item in settled:
        item["payout_id"] = payout_ids.get((item["source"], item["payout_external_id"]))
    settled_fields = [*_ITEM_FIELDS, "payout_external_id", "payout_id"]
    if read_back is None or read_back.enabled:
        stored = _stored_items(company, [*settled, *loose], settled_fields)
        settled = _changed(settled, stored, settled_fields)
        loose = _changed(loose, stored, _ITEM_FIELDS)
        unchanged = len(rows) - len(settled) - len(loose)
    written = (_upsert(PayoutItem, settled, [*_ITEM_FIELDS, "payout_external_id", "payout"]),
               _upsert(PayoutItem, loose, _ITEM_FIELDS))
    if read_back is not None:
        if not read_back.enabled:
            unchanged = None if None in written else len(rows) - sum(written)
        read_back.saw(rows=len(rows), unchanged=unchanged)
    return len(rows)


def _stored_items(company, items: list[dict], fields: list[str]) -> dict[tuple[str, str], tuple]:
    """The stored values of these items' `fields`, by (source, external_id): one indexed read
    per source.

    Most items of a pass are already stored unchanged (the transactions pass after payouts, every
    re-sync); reading them back is far cheaper than staging, locking and comparing them in an
    upsert, so only new or changed rows are written. On PostgreSQL the read skips the ORM: one
    `external_id = ANY(%s)` statement, and psycopg's C timestamp loader instead of Django's
    Python one (together ~2/3 of the read's client time).
    """
    found: dict[tuple[str, str], tuple] = {}
    wanted: dict[str, set] = {}
    for item in items:
        wanted.setdefault(item["source"], set()).add(item["external_id"])
    if connection.vendor != "postgresql":
        for source, ids in wanted.items():
            for chunk in _chunks(sorted(ids)):
                for values in PayoutItem.objects.filter(
                    company=company, source=source, external_id__in=chunk
                ).values_list("external_id", *fields):
                    found[(source, values[0])] = values[1:]
        return found
    _analyzed_if_grown(PayoutItem)
    opts = PayoutItem._meta
    columns = ", ".join(f'"{opts.get_field(name).column}"' for name in fields)
    sql = (f'SELECT "external_id", {columns} FROM "{opts.db_table}" '
           'WHERE "company_id" = %s AND "source" = %s AND "external_id" = ANY(%s)')
    with connection.cursor() as cursor:
        pg = cursor.cursor
        pg.adapters.register_loader("timestamptz", TimestamptzLoader)  # this cursor only
        for source, ids in wanted.items():
            for chunk in _chunks(sorted(ids)):
                pg.execute(sql, [company.pk, source, chunk])
                for values in pg.fetchall():
                    found[(source, values[0])] = values[1:]
    return found


def _changed(items: list[dict], stored: dict, fields: list[str]) -> list[dict]:
    """Items that are new, or differ from what is stored in one of `fields` (Decimal 1.0 == 1.00).

    `stored` holds values in the order of the read-back's fields, of which `fields` is a prefix.
    """
    changed = []
    width = len(fields)
    for item in items:
        old = stored.get((item["source"], item["external_id"]))
        if old is None or old[:width] != tuple([item.get(f) for f in fields]):
            changed.append(item)
    return changed


def payout_items_link(*, company, source: str, payout_external_ids) -> int:
    """Point items at their payout in one UPDATE … SET payout_id = (SELECT …) per chunk."""
    payout_pk = Payout.objects.filter(
        company=company, source=OuterRef("source"), external_id=OuterRef("payout_external_id")
    ).values("pk")[:1]
    changed = 0
    for chunk in _chunks(sorted(payout_external_ids)):
        stale = PayoutItem.objects.filter(
            company=company, source=source, payout_external_id__in=chunk
        ).filter(Q(payout__isnull=True) | ~Q(payout__external_id=F("payout_external_id")))
        changed += stale.update(payout_id=Subquery(payout_pk))
    return changed


@transaction.atomic
def payout_item_delete_many(*, company, source: str, external_ids) -> int:
    """The platform deleted movements: delete them, or mark them deleted if already booked."""
    _analyzed_if_grown(PayoutItem)
    rows = PayoutItem.objects.filter(company=company, source=source, external_id__in=list(external_ids))
    try:
        with transaction.atomic():
            return rows.delete()[0]
    except ProtectedError:
        return rows.update(status="deleted")


# -- the bank feed -----------------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def bank_account_upsert_many(*, company, rows: list[dict]) -> int:
    """Bank feed accounts -> BankAccounts, each with its own ledger bank account."""
    rows = _dedupe(rows)
    _upsert(BankAccount, [
        {"company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
         "name": _text(r.get("name"), 200), "official_name": _text(r.get("official_name"), 300),
         "mask": _text(r.get("mask"), 8), "type": _text(r.get("type"), 40),
         "subtype": _text(r.get("subtype"), 40), "currency": r["currency"],
         "current_balance": r.get("current_balance"), "available_balance": r.get("available_balance")}
        for r in rows
    ], ["name", "official_name", "mask", "type", "subtype", "currency", "current_balance",
        "available_balance"])
    for account in BankAccount.objects.filter(
        company=company, ledger_account__isnull=True,
        external_id__in=[r["external_id"] for r in rows],
    ):
        ledger = bank_ledger_account_for(company=company, source=account.ref,
                                         name=f"{account.name} {account.mask}".strip())
        BankAccount.objects.filter(pk=account.pk).update(ledger_account=ledger)
    return len(rows)


@transaction.atomic(savepoint=False)
def bank_transaction_upsert_many(*, company, rows: list[dict]) -> int:
    """Bank lines (connections.mapping.plaid.bank_transaction_row, + = deposit) -> BankTransactions.

    A posted line that replaces a pending one deletes the pending row (unless reconciled), so a
    deposit never appears twice. Rows of unknown bank accounts are an error: sync accounts first.
    """
    rows = _dedupe(rows)
    accounts: dict[tuple[str, str], int] = {}
    for source in {r["source"] for r in rows}:
        ids = _ids_by_external(BankAccount, company=company, source=source,
                               external_ids=[r["account_external_id"] for r in rows if r["source"] == source])
        accounts.update({(source, e): pk for e, pk in ids.items()})
    objs = []
    for r in rows:
        account_id = accounts.get((r["source"], r["account_external_id"]))
        if account_id is None:
            raise ValueError(f"bank account {r['account_external_id']} of {r['source']} is not synced")
        objs.append({
            "company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
            "bank_account_id": account_id, "date": r["date"], "authorized_date": r.get("authorized_date"),
            "currency": r["currency"], "amount": r["amount"], "name": _text(r.get("name"), 500),
            "merchant_name": _text(r.get("merchant_name"), 300),
            "payment_channel": _text(r.get("payment_channel"), 20), "pending": bool(r.get("pending")),
            "pending_external_id": _text(r.get("pending_transaction_external_id"), 255),
            "updated_at": r.get("occurred_at"),
        })
    _upsert(BankTransaction, objs, ["bank_account", "date", "authorized_date", "currency", "amount", "name",
                                    "merchant_name", "payment_channel", "pending", "pending_external_id",
                                    "updated_at"])
    replaced: dict[str, list] = {}
    for r in rows:
        if not r.get("pending") and r.get("pending_transaction_external_id"):
            replaced.setdefault(r["source"], []).append(r["pending_transaction_external_id"])
    for source, pending_ids in replaced.items():
        bank_transaction_delete_many(company=company, source=source, external_ids=pending_ids, pending_only=True)
    return len(rows)


@transaction.atomic(savepoint=False)
def bank_transaction_delete_many(*, company, source: str, external_ids, pending_only: bool = False) -> int:
    """Delete bank lines the bank withdrew; reconciled lines are kept (their match stands)."""
    deleted = 0
    if external_ids:
        _analyzed_if_grown(BankTransaction)
    for chunk in _chunks(sorted(set(external_ids))):
        rows = BankTransaction.objects.filter(company=company, source=source, external_id__in=chunk).exclude(
            status=BankTransactionStatus.RECONCILED
        )
        if pending_only:
            rows = rows.filter(pending=True)
        deleted += rows.delete()[0]
    return deleted
