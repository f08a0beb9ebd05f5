"""Booking a platform transaction (setting `booked_entry_id`) becomes a HOT update on PostgreSQL.

Every item is written twice in its life: inserted by the sync, then linked to the entry that
booked it. That link used to rewrite the row and add an entry to each of the table's eight
indexes, because the partial index `item_unbooked` (WHERE booked_entry_id IS NULL) referenced the
updated column. Now no index references `booked_entry_id`, and pages are filled to half on insert
(fillfactor 50), so a run that books every item of a page finds room on that page for the new
versions: the update writes the heap page only (measured at 1M items: ~9 s instead of 45–65 s).
Unbooked items are found by the company's scan that reconciliation does anyway.

The fillfactor applies to pages written from now on (a table filled before keeps its packing
until it is rewritten, e.g. by VACUUM FULL or pg_repack, which this migration does not do).
SQLite has no fillfactor; only the index goes there.
"""

from django.db import migrations


def fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE ledger_payoutitem SET (fillfactor = {value})")

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_unbooked_items")]

    operations = [
        migrations.RemoveIndex(model_name="payoutitem", name="item_unbooked"),
        migrations.RunPython(fillfactor(50), fillfactor(100), elidable=False),
    ]
