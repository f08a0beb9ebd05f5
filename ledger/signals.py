"""Every company gets its chart of accounts the moment it is created, however it is created; a
deleted company leaves no rollup marks behind."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from companies.models import Company
from ledger.models import RollupMark
from ledger.services.accounts import chart_of_accounts_create


@receiver(post_save, sender=Company, dispatch_uid="ledger_chart_for_new_company")
def create_chart_for_new_company(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        chart_of_accounts_create(company=instance)


@receiver(post_delete, sender=Company, dispatch_uid="ledger_rollup_marks_of_deleted_company")
def delete_rollup_marks(sender, instance, **kwargs):
    RollupMark.objects.filter(company_id=instance.pk).delete()
