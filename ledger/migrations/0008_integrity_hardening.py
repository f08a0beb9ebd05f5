"""PostgreSQL's guard of the books, closed where a database prompt could get round it:

- a line moved between entries (UPDATE of entry_id) is checked against both entries: neither may
  be posted, and both must still balance at commit;
- posting an entry (draft -> posted) checks that it balances per currency then and there;
- a line's company is its entry's and its account's (no line of company 1 on company 2's account);
  an entry's or a line's company never changes;
- TRUNCATE of journal lines or entries is refused (no row trigger fires for it), unless the
  session opts in with `SET tieout.allow_truncate = 'on'` (the test database's flush does).

Run the application as a role that does not own these tables in production: an owner can still
disable triggers.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_entry_unbalanced(eid bigint) RETURNS text AS $$
DECLARE
    bad record;
BEGIN
    SELECT currency, SUM(debit) AS debits, SUM(credit) AS credits INTO bad
      FROM ledger_journalline WHERE entry_id = eid
     GROUP BY currency HAVING SUM(debit) <> SUM(credit) LIMIT 1;
    IF FOUND THEN
        RETURN format('journal entry %s is unbalanced in %s: debits %s <> credits %s',
                      eid, bad.currency, bad.debits, bad.credits);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    problem text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        problem := ledger_entry_unbalanced(OLD.entry_id);
        IF problem IS NOT NULL THEN RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation'; END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        problem := ledger_entry_unbalanced(NEW.entry_id);
        IF problem IS NOT NULL THEN RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation'; END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_refuse_posted_line_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM ledger_journalentry WHERE id = OLD.entry_id AND status = 'posted') THEN
        RAISE EXCEPTION 'journal entry % is posted: its lines cannot be changed (post a reversal)', OLD.entry_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF EXISTS (SELECT 1 FROM ledger_journalentry WHERE id = NEW.entry_id AND status = 'posted') THEN
        RAISE EXCEPTION 'journal entry % is posted: its lines cannot be changed (post a reversal)', NEW.entry_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.company_id <> OLD.company_id THEN
        RAISE EXCEPTION 'a journal line cannot change company' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ledger_journalentry WHERE id = NEW.entry_id AND company_id = NEW.company_id)
       OR NOT EXISTS (SELECT 1 FROM ledger_account WHERE id = NEW.account_id AND company_id = NEW.company_id) THEN
        RAISE EXCEPTION 'journal line of company % must be on an entry and an account of that company', NEW.company_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_refuse_posted_entry_change() RETURNS trigger AS $$
DECLARE
    problem text;
BEGIN
    IF OLD.status = 'posted' THEN
        RAISE EXCEPTION 'journal entry % is posted and cannot be changed (post a reversal)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF NEW.company_id <> OLD.company_id THEN
        RAISE EXCEPTION 'a journal entry cannot change company' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status = 'posted' THEN
        problem := ledger_entry_unbalanced(NEW.id);
        IF problem IS NOT NULL THEN RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation'; END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('tieout.allow_truncate', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION '% cannot be truncated: posted entries are corrected by reversals', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journalline_no_truncate BEFORE TRUNCATE ON ledger_journalline
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
CREATE TRIGGER ledger_journalentry_no_truncate BEFORE TRUNCATE ON ledger_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_journalentry_no_truncate ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_journalline_no_truncate ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_refuse_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    # The functions keep their hardened bodies (0002's are the same triggers, stricter now).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_payoutitem_company_index")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
