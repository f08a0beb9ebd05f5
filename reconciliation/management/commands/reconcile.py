from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from reconciliation.services import reconcile_company


class Command(BaseCommand):
    help = "Reconcile one company (--company ID) or every company: match deposits, book payouts."

    def add_arguments(self, parser):
        parser.add_argument("--company", type=int, help="Company id (default: all companies)")

    def handle(self, *args, company=None, **options):
        companies = Company.objects.all() if company is None else Company.objects.filter(pk=company)
        if company is not None and not companies.exists():
            raise CommandError(f"no company with id {company}")
        for target in companies.order_by("pk"):
            run = reconcile_company(company=target, by="command:reconcile")
            self.stdout.write(f"{target.pk} {target.name}: {run.status} {run.stats}")
