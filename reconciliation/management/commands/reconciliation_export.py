import json

from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from reconciliation.selectors.export import reconciliation_export


class Command(BaseCommand):
    help = "Write a company's reconciliation as tieout.reconciliation/1 JSON."

    def add_arguments(self, parser):
        parser.add_argument("--company", type=int, required=True)
        parser.add_argument("--out", required=True, help="File to write ('-' for stdout)")

    def handle(self, *args, company, out, **options):
        target = Company.objects.filter(pk=company).first()
        if target is None:
            raise CommandError(f"no company with id {company}")
        text = json.dumps(reconciliation_export(company=target), indent=1)
        if out == "-":
            self.stdout.write(text)
        else:
            with open(out, "w") as fh:
                fh.write(text)
            self.stdout.write(f"wrote {out}")
