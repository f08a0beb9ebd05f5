"""Triggers that record which months of the overview's rollups (ledger.models.rollups) a write
made stale: every insert, delete, or change of a rollup's inputs in bank lines or payout items
adds a RollupMark for the month (old and new, when a row moves), whatever did the write.

PostgreSQL: statement-level triggers with transition tables, so a page upserted by COPY costs one
INSERT of its distinct months, not one per row. An UPDATE marks the months of all the rows it
touched (old and new), changed or not: joining the old rows to the new ones to keep only real
changes was planned once by PL/pgSQL on a small statement and kept as a nested loop, which turned
one 32,000-row UPDATE (booking items) into 100 s; a union of two scans has no such plan. SQLite (no statement triggers): row triggers that
add a mark only when the month has none yet; SQLite's writers are serialized (the project opens
IMMEDIATE transactions), so a refresh cannot delete a mark a concurrent write relied on. On
PostgreSQL marks are appended, and a refresh deletes only the marks it read.

Existing rows are marked once here, so the first refresh builds every month.
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_rollup_mark_bank() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ledger_rollupmark (company_id, kind, month)
        SELECT DISTINCT company_id, 'bank', to_char(date, 'YYYY-MM') FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO ledger_rollupmark (company_id, kind, month)
        SELECT DISTINCT company_id, 'bank', to_char(date, 'YYYY-MM') FROM old_rows;
    ELSE
        INSERT INTO ledger_rollupmark (company_id, kind, month)
        SELECT company_id, 'bank', to_char(date, 'YYYY-MM') FROM old_rows
         UNION SELECT company_id, 'bank', to_char(date, 'YYYY-MM') FROM new_rows;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_rollup_mark_item() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ledger_rollupmark (company_id, kind, month)
        SELECT DISTINCT company_id, 'item', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM')
          FROM new_rows WHERE payout_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO ledger_rollupmark (company_id, kind, month)
        SELECT DISTINCT company_id, 'item', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM')
          FROM old_rows WHERE payout_id IS NOT NULL;
    ELSE
        INSERT INTO ledger_rollupmark (company_id, kind, month)
        SELECT company_id, 'item', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') FROM old_rows
         WHERE payout_id IS NOT NULL
         UNION SELECT company_id, 'item', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') FROM new_rows
         WHERE payout_id IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_banktransaction_rollup_insert AFTER INSERT ON ledger_banktransaction
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_rollup_mark_bank();
CREATE TRIGGER ledger_banktransaction_rollup_update AFTER UPDATE ON ledger_banktransaction
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_rollup_mark_bank();
CREATE TRIGGER ledger_banktransaction_rollup_delete AFTER DELETE ON ledger_banktransaction
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_rollup_mark_bank();
CREATE TRIGGER ledger_payoutitem_rollup_insert AFTER INSERT ON ledger_payoutitem
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_rollup_mark_item();
CREATE TRIGGER ledger_payoutitem_rollup_update AFTER UPDATE ON ledger_payoutitem
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_rollup_mark_item();
CREATE TRIGGER ledger_payoutitem_rollup_delete AFTER DELETE ON ledger_payoutitem
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_rollup_mark_item();

INSERT INTO ledger_rollupmark (company_id, kind, month)
SELECT DISTINCT company_id, 'bank', to_char(date, 'YYYY-MM') FROM ledger_banktransaction;
INSERT INTO ledger_rollupmark (company_id, kind, month)
SELECT DISTINCT company_id, 'item', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM')
  FROM ledger_payoutitem WHERE payout_id IS NOT NULL;
"""

PG_BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_banktransaction_rollup_insert ON ledger_banktransaction;
DROP TRIGGER IF EXISTS ledger_banktransaction_rollup_update ON ledger_banktransaction;
DROP TRIGGER IF EXISTS ledger_banktransaction_rollup_delete ON ledger_banktransaction;
DROP TRIGGER IF EXISTS ledger_payoutitem_rollup_insert ON ledger_payoutitem;
DROP TRIGGER IF EXISTS ledger_payoutitem_rollup_update ON ledger_payoutitem;
DROP TRIGGER IF EXISTS ledger_payoutitem_rollup_delete ON ledger_payoutitem;
DROP FUNCTION IF EXISTS ledger_rollup_mark_bank();
DROP FUNCTION IF EXISTS ledger_rollup_mark_item();
"""


def _sqlite_mark(kind: str, row: str, month: str) -> str:
    settled = f"{row}.payout_id IS NOT NULL AND " if kind == "item" else ""  # items of no payout: not in a rollup
    return f"""
    INSERT INTO ledger_rollupmark (company_id, kind, month)
    SELECT {row}.company_id, '{kind}', {month}
     WHERE {settled}NOT EXISTS (SELECT 1 FROM ledger_rollupmark
                        WHERE company_id = {row}.company_id AND kind = '{kind}' AND month = {month});"""


def _sqlite_triggers() -> list[str]:
    bank_cols = "company_id, date, currency, amount, status, pending"
    item_cols = "company_id, occurred_at, currency, amount, fee, kind, payout_id"
    bank_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in bank_cols.split(", "))
    item_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in item_cols.split(", "))
    bank = {row: _sqlite_mark("bank", row, f"substr({row}.date, 1, 7)") for row in ("NEW", "OLD")}
    item = {row: _sqlite_mark("item", row, f"substr({row}.occurred_at, 1, 7)") for row in ("NEW", "OLD")}
    return [
        f"CREATE TRIGGER ledger_banktransaction_rollup_insert AFTER INSERT ON ledger_banktransaction "
        f"BEGIN {bank['NEW']} END;",
        f"CREATE TRIGGER ledger_banktransaction_rollup_update AFTER UPDATE OF {bank_cols} ON ledger_banktransaction "
        f"WHEN {bank_changed} BEGIN {bank['OLD']} {bank['NEW']} END;",
        f"CREATE TRIGGER ledger_banktransaction_rollup_delete AFTER DELETE ON ledger_banktransaction "
        f"BEGIN {bank['OLD']} END;",
        f"CREATE TRIGGER ledger_payoutitem_rollup_insert AFTER INSERT ON ledger_payoutitem "
        f"WHEN NEW.payout_id IS NOT NULL BEGIN {item['NEW']} END;",
        f"CREATE TRIGGER ledger_payoutitem_rollup_update AFTER UPDATE OF {item_cols} ON ledger_payoutitem "
        f"WHEN (OLD.payout_id IS NOT NULL OR NEW.payout_id IS NOT NULL) AND ({item_changed}) "
        f"BEGIN {item['OLD']} {item['NEW']} END;",
        f"CREATE TRIGGER ledger_payoutitem_rollup_delete AFTER DELETE ON ledger_payoutitem "
        f"WHEN OLD.payout_id IS NOT NULL BEGIN {item['OLD']} END;",
        "INSERT INTO ledger_rollupmark (company_id, kind, month) "
        "SELECT DISTINCT company_id, 'bank', substr(date, 1, 7) FROM ledger_banktransaction;",
        "INSERT INTO ledger_rollupmark (company_id, kind, month) "
        "SELECT DISTINCT company_id, 'item', substr(occurred_at, 1, 7) FROM ledger_payoutitem "
        "WHERE payout_id IS NOT NULL;",
    ]


SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS ledger_{table}_rollup_{op};"
                   for table in ("banktransaction", "payoutitem") for op in ("insert", "update", "delete")]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in _sqlite_triggers():
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0011_monthly_rollups")]
    operations = [migrations.RunPython(forward, backward)]
