"""Linking booked items to their entries no longer marks rollup months on PostgreSQL.

Booking a realistic year sets `booked_entry_id` on ~900,000 payout items, which no rollup reads
(their inputs: company, occurred_at, currency, amount, fee, kind, payout). The statement trigger
of 0012 still marked the month of every row touched, old and new (~1.2 s for the 624,000 items of
one UPDATE). The item function now returns at once when the writer says its UPDATE changes no
rollup input: `ledger.services.settlement` sets the transaction-local
`tieout.rollup_inputs_unchanged` to 'on' around the link, and back to 'off' after. SQLite's row
triggers already fire only when an input column changes.
"""

from django.db import migrations

FUNCTION = r"""
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
    ELSIF COALESCE(current_setting('tieout.rollup_inputs_unchanged', true), '') <> 'on' THEN
        INSERT INTO ledger_rollupmark (company_id, kind, month)
        SELECT company_id, 'item', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') FROM old_rows
         WHERE payout_id IS NOT NULL
         UNION SELECT company_id, 'item', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') FROM new_rows
         WHERE payout_id IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

PREVIOUS = FUNCTION.replace(
    "    ELSIF COALESCE(current_setting('tieout.rollup_inputs_unchanged', true), '') <> 'on' THEN\n",
    "    ELSE\n",
)


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("ledger", "0014_documents_company_index")]

    operations = [migrations.RunPython(run(FUNCTION), run(PREVIOUS), elidable=False)]
