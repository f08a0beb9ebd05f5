"""Dashboard: the status filter's index gains -id, so `status = ? ORDER BY date DESC, id DESC` is
read straight from it (no sort, keyset pages are ranges) even for a rare status. The new index is
built before the old one is dropped, so the filter is never without one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0002_idempotency_record"),
        ("ledger", "0003_booking_links"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="banktransaction",
            index=models.Index(fields=["company", "status", "-date", "-id"], name="banktxn_company_status_id"),
        ),
        migrations.RemoveIndex(model_name="banktransaction", name="banktxn_company_status"),
    ]
