"""PostgreSQL enforces the books' invariants itself (SQLite relies on the posting service):

- every journal entry balances per currency, checked by a deferred constraint trigger at commit;
- lines of a posted entry cannot be inserted, updated or deleted, and a posted entry cannot be
  updated or deleted: corrections are reversal entries.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    eid bigint;
    bad record;
BEGIN
    IF TG_OP = 'DELETE' THEN eid := OLD.entry_id; ELSE eid := NEW.entry_id; END IF;
    SELECT currency, SUM(debit) AS debits, SUM(credit) AS credits INTO bad
      FROM ledger_journalline WHERE entry_id = eid
     GROUP BY currency HAVING SUM(debit) <> SUM(credit) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % is unbalanced in %: debits % <> credits %',
            eid, bad.currency, bad.debits, bad.credits USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_journalline_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

CREATE OR REPLACE FUNCTION ledger_refuse_posted_line_change() RETURNS trigger AS $$
DECLARE
    eid bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN eid := NEW.entry_id; ELSE eid := OLD.entry_id; END IF;
    IF EXISTS (SELECT 1 FROM ledger_journalentry WHERE id = eid AND status = 'posted') THEN
        RAISE EXCEPTION 'journal entry % is posted: its lines cannot be changed (post a reversal)', eid
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journalline_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_posted_line_change();

CREATE OR REPLACE FUNCTION ledger_refuse_posted_entry_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'posted' THEN
        RAISE EXCEPTION 'journal entry % is posted and cannot be changed (post a reversal)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journalentry_immutable
    BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_posted_entry_change();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_journalentry_immutable ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_journalline_immutable ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalline_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_refuse_posted_entry_change();
DROP FUNCTION IF EXISTS ledger_refuse_posted_line_change();
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
