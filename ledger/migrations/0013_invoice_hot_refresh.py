"""Refreshing an invoice's paid amounts and status after booking becomes a HOT update on
PostgreSQL.

A reconciliation that books a realistic year writes Payment rows for ~600,000 orders and then
sets each invoice's amount_paid, amount_refunded and status (`invoices_refresh`). With
`invoice_company_status` on (company, status), changing the status rewrote every index of the
row; now no index references the columns the refresh writes, and invoice pages are filled to 70 %
on insert (fillfactor), so the new versions stay on their page and only the heap is written.
Filtering invoices by status (the partner API) reads them through `invoice_company_date` in date
order, which is the order it lists them in anyway.

As in 0006: the fillfactor applies to pages written from now on; SQLite has no fillfactor.
"""

from django.db import migrations


def fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE ledger_invoice SET (fillfactor = {value})")

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0012_rollup_triggers")]

    operations = [
        migrations.RemoveIndex(model_name="invoice", name="invoice_company_status"),
        migrations.RunPython(fillfactor(70), fillfactor(100), elidable=False),
    ]
