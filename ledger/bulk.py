"""Bulk writes for the ledger's services: upserts on (company, source, external_id), COPY staging
on PostgreSQL, ANALYZE of tables a sync grows, and per-row UPDATEs (UPDATE … FROM VALUES).

Services call these; nothing else writes the ledger's tables in bulk. Django's bulk_update builds
one CASE WHEN per field and row, which is slow past a few thousand rows; `bulk_set_many` works on
PostgreSQL and SQLite >= 3.33 (a VALUES list names its columns column1, column2, … on both), each
value cast to its column's type so NULLs and numerics are typed.
"""

import weakref
import zlib
from datetime import UTC, datetime

from django.db import connection, transaction

BATCH = 1000  # rows per INSERT statement: well under SQLite's and PostgreSQL's parameter limits
SOURCED_KEY = ["company", "source", "external_id"]
COPY_THRESHOLD = 50  # rows from which PostgreSQL upserts go through COPY (see _copy_upsert)


def chunks(values: list, size: int = BATCH):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def upsert(model, rows: list[dict], update_fields: list[str]) -> int | None:
    """Upsert rows (attname -> value dicts) on (company, source, external_id).

    Returns how many rows were inserted or changed when the database says so (the COPY path:
    rows stored unchanged are not counted), else None.
    """
    if not rows:
        return 0
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        return len(_copy_upsert(model, rows, update_fields))
    if connection.vendor == "sqlite":
        return _sqlite_upsert(model, rows, update_fields)
    _bulk_create_upsert(model, rows, update_fields)
    return None


def upsert_written(model, rows: list[dict], update_fields: list[str]) -> dict[tuple[str, str], tuple[int, bool]] | None:
    """`upsert`, and what it wrote where the database can say (PostgreSQL's COPY path):
    (source, external_id) -> (primary key, inserted now) for every row inserted or changed; rows
    stored unchanged are not listed. None where it cannot say (SQLite, small pages)."""
    if not rows:
        return {}
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        written = _copy_upsert(model, rows, update_fields)
        return {(source, ext): (pk, inserted) for source, ext, pk, inserted in written}
    upsert(model, rows, update_fields)
    return None


def _bulk_create_upsert(model, rows: list[dict], update_fields: list[str]) -> None:
    model.objects.bulk_create(
        [model(**row) for row in rows], batch_size=BATCH, update_conflicts=True, unique_fields=SOURCED_KEY,
        update_fields=update_fields,
    )


_GROWTH: dict[str, list[int]] = {}  # table -> [rows upserted since our last ANALYZE, rows then]
ANALYZE_AFTER = 5000


def _grew(model, rows: int) -> None:
    entry = _GROWTH.setdefault(model._meta.db_table, [0, 0])
    entry[0] += rows


def analyzed_if_grown(model) -> None:
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


_STAGED_ON: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # psycopg conn -> stage tables
_COLUMNS: dict = {}  # model -> (quoted column list, [(attname, default, SQLite converter)])
_UPSERTS: dict = {}  # (database vendor, model, update fields) -> upsert SQL


def _columns(model):
    """The columns bulk writes fill (all but the primary key), and per column the row key, the
    value a row without it takes, and how SQLite binds it (see _sqlite_value)."""
    if model not in _COLUMNS:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        _COLUMNS[model] = (", ".join(f'"{f.column}"' for f in fields),
                           [(f.attname, None if f.null and not f.has_default() else f.get_default(),
                             _sqlite_value(f)) for f in fields])
    return _COLUMNS[model]


def _on_conflict(model, update_fields: list[str], *, target: str, differs: str) -> str:
    """The upsert's conflict clause: `update_fields` take the proposed row's values, and only where
    one of them differs (a row stored unchanged is not rewritten, and not counted)."""
    updated = [model._meta.get_field(name).column for name in update_fields]
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in updated)
    mine = ", ".join(f'{target}."{c}"' for c in updated)
    theirs = ", ".join(f'EXCLUDED."{c}"' for c in updated)
    return (f'ON CONFLICT ("company_id", "source", "external_id") DO UPDATE SET {sets} '
            f"WHERE ({mine}) {differs} ({theirs})")


def _upsert_sql(model, update_fields: list[str]) -> str:
    key = (connection.vendor, model, tuple(update_fields))
    if key not in _UPSERTS:
        table = model._meta.db_table
        cols, plan = _columns(model)
        if connection.vendor == "postgresql":
            # The staged rows are deleted by the statement that reads them (one round trip, and no
            # leftovers for the next page). Unchanged rows are not rewritten (a re-sync, or the
            # transactions pass after payouts wrote the same items, adds no row versions). Only the
            # arbiter (the unique index) is probed: a pre-filtering join on the target table was
            # tried, and with the stale statistics of a table growing during an initial sync the
            # planner probed it through item_company_payout_ext (company, source only): 21 s a page.
            # RETURNING: what was written (xmax = 0: inserted by this statement, not updated).
            _UPSERTS[key] = (f'WITH s AS (DELETE FROM "stage_{table}" RETURNING *) '
                             f'INSERT INTO "{table}" AS t ({cols}) SELECT {cols} FROM s '
                             + _on_conflict(model, update_fields, target="t", differs="IS DISTINCT FROM")
                             + ' RETURNING t."source", t."external_id", t."id", (t.xmax = 0)')
        else:
            _UPSERTS[key] = (f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(plan))}) '
                             + _on_conflict(model, update_fields, target=f'"{table}"', differs="IS NOT"))
    return _UPSERTS[key]


def _copy_rows(pg, table: str, cols: str, plan, rows: list[dict]) -> None:
    """PostgreSQL: COPY the rows into `table`. Values are already plain Python types psycopg
    adapts (Decimal, datetime, date, str, bool, int, None); Django's per-field prep would cost
    more than the COPY."""
    with pg.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row.get(name, default) for name, default, _ in plan])


def _copy_upsert(model, rows: list[dict], update_fields: list[str]) -> list[tuple]:
    """PostgreSQL: COPY the page into a session temp table, then one INSERT … ON CONFLICT.

    Same effect as bulk_create(update_conflicts=True) but a multi-VALUES statement with thousands
    of parameters costs more to build, send and plan than the rows cost to write; COPY does not,
    and rows go from dicts to COPY without building model instances.
    """
    table = model._meta.db_table
    stage = f"stage_{table}"
    cols, plan = _columns(model)
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
                       f'SELECT {cols} FROM "{table}" WITH NO DATA')
            # Remembered once committed: a rolled-back transaction takes the table with it.
            transaction.on_commit(lambda: staged.add(stage))
        _copy_rows(pg, stage, cols, plan, rows)
        pg.execute(_upsert_sql(model, update_fields))
        written = pg.fetchall()  # inserted + updated; rows stored unchanged fail the WHERE
    _grew(model, len(rows))
    return written


def _sqlite_value(field):
    """How one column's Python value is bound on SQLite, as Django's backend would store it
    (aware datetimes as naive UTC text, dates as ISO text, decimals as text under NUMERIC
    affinity), without Django's per-value field machinery."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        def moment(value):
            if value is None:
                return None
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return str(value)
        return moment
    if kind == "DateField":
        return lambda value: None if value is None else value.isoformat()
    if kind == "DecimalField":
        return lambda value: None if value is None else str(value)
    if kind in ("CharField", "TextField", "BooleanField", "BigIntegerField", "IntegerField",
                "PositiveIntegerField", "ForeignKey", "BigAutoField", "AutoField"):
        return None  # bound as is
    return lambda value, field=field: field.get_db_prep_save(value, connection)


def _sqlite_params(plan, rows: list[dict]) -> list[list]:
    pairs = [(name, default) for name, default, _ in plan]
    converted = [(n, convert) for n, (_, _, convert) in enumerate(plan) if convert is not None]
    params = []
    for row in rows:
        values = [row.get(name, default) for name, default in pairs]
        for n, convert in converted:
            values[n] = convert(values[n])
        params.append(values)
    return params


def _sqlite_upsert(model, rows: list[dict], update_fields: list[str]) -> int:
    """SQLite: one prepared INSERT … ON CONFLICT DO UPDATE run for every row (executemany).

    Same effect as bulk_create(update_conflicts=True), without building a model instance and
    preparing every field of every row through Django (two thirds of a realistic world's sync time
    on SQLite, `bench realistic`); rows stored unchanged are not rewritten. Returns rows inserted
    or changed.
    """
    _, plan = _columns(model)
    with connection.cursor() as cursor:
        # sqlite3's own cursor: ? placeholders, and executemany without Django's per-query wrapper
        cursor.cursor.executemany(_upsert_sql(model, update_fields), _sqlite_params(plan, rows))
        return cursor.cursor.rowcount


def insert_many(model, rows: list[dict]) -> int:
    """Insert new rows (attname -> value dicts; a missing field takes its default): COPY on
    PostgreSQL, one prepared INSERT per row on SQLite; no model instances (bench realistic: a
    realistic world's 140,000 invoice lines cost 10 s through bulk_create on SQLite)."""
    if not rows:
        return 0
    cols, plan = _columns(model)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_rows(cursor.cursor, table, cols, plan, rows)
        else:
            cursor.cursor.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(plan))})',
                                      _sqlite_params(plan, rows))
    return len(rows)


def bulk_set_many(model, fields: list[str], rows) -> int:
    """For each row (pk, value1, value2, …), set `fields` of row `pk`; returns rows updated."""
    rows = list(rows)
    table, pk = model._meta.db_table, model._meta.pk.column
    columns = [model._meta.get_field(name) for name in fields]
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        return _copy_set_many(table, pk, columns, rows)
    assignments = ", ".join(
        f"{field.column} = CAST(v.column{n} AS {field.cast_db_type(connection)})"
        for n, field in enumerate(columns, start=2)
    )
    placeholder = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholder] * len(batch))}) AS v "
                f"WHERE {table}.{pk} = v.column1",
                [param for row in batch for param in row],
            )
            updated += cursor.rowcount
    return updated


def _copy_set_many(table: str, pk: str, columns, rows: list) -> int:
    """PostgreSQL: COPY the (pk, values…) rows into a temp table, then one UPDATE … FROM it.

    A reconciliation that infers a realistic year's sweeps sets the payout of ~250,000 items:
    through UPDATE … FROM VALUES that was 250 statements of 3,000 parameters each, 19 s (most of
    it psycopg splitting and binding the statements' parameters, and planning them), against one
    COPY and one hash-joined UPDATE.
    """
    stage = f"stage_set_{table}_{zlib.crc32(','.join(c.column for c in columns).encode()):08x}"
    typed = ", ".join(f'v{n} {c.db_type(connection)}' for n, c in enumerate(columns))
    assignments = ", ".join(f'"{c.column}" = s.v{n}' for n, c in enumerate(columns))
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        pg = cursor.cursor
        # ON COMMIT DROP: the stage lives as long as the caller's transaction.
        pg.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" (k bigint, {typed}) ON COMMIT DROP')
        pg.execute(f'TRUNCATE "{stage}"')
        with pg.copy(f'COPY "{stage}" FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        pg.execute(f'UPDATE "{table}" SET {assignments} FROM "{stage}" s WHERE "{table}"."{pk}" = s.k')
        return pg.rowcount


def ids_by_external(model, *, company, source: str, external_ids) -> dict[str, int]:
    found: dict[str, int] = {}
    if external_ids:
        analyzed_if_grown(model)
    for chunk in chunks(sorted(set(external_ids))):
        found.update(
            model.objects.filter(company=company, source=source, external_id__in=chunk)
            .values_list("external_id", "pk")
        )
    return found


def dedupe(rows: list[dict]) -> list[dict]:
    """Last row wins per (source, external_id): ON CONFLICT cannot touch a row twice in a statement."""
    return list({(row["source"], row["external_id"]): row for row in rows}.values())


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # stable stand-in when a provider omits a timestamp


def clip(value, size: int) -> str:
    """A provider's text cut to its column's size (None is empty)."""
    return (value or "")[:size]
