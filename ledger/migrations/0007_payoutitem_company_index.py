"""ledger_payoutitem loses its single-column company_id index: every composite index of the table
(company+payout, company+source+payout_external_id, company+occurred_at, the unique
company+source+external_id) starts with company_id, so the planner serves company filters and
company deletion from those. One fewer index to maintain for each row a sync inserts."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0002_idempotency_record"),
        ("ledger", "0006_payoutitem_hot_booking"),
    ]

    operations = [
        # Only the index goes: Django's AlterField would also drop and re-validate the foreign key
        # (a full scan of the table under lock).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="payoutitem",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="companies.company",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "ledger_payoutitem_company_id_4bef5aa7"',
                    'CREATE INDEX "ledger_payoutitem_company_id_4bef5aa7" ON "ledger_payoutitem" ("company_id")',
                ),
            ],
        ),
    ]
