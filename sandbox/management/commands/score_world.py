import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.scoring import score


class Command(BaseCommand):
    help = "Score a tieout.reconciliation/1 export against a tieout.truth/1 answer key."

    def add_arguments(self, parser):
        parser.add_argument("export")
        parser.add_argument("truth")
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")

    def handle(self, *args, export, truth, json: bool = False, **options):
        report = score(export=_load(export), truth=_load(truth))
        if json:
            self.stdout.write(_dumps(report))
            return
        self.stdout.write(
            f"precision {report['precision']:.4f}  recall {report['recall']:.4f}  "
            f"(explicit {report['recall_explicit']:.4f}, inferred {report['recall_inferred']:.4f})\n"
            f"true positives {report['true_positives']} / {report['truth_deposits']} deposits, "
            f"false positives {report['false_positives']}\n"
            f"payouts balanced: {report['payouts_balanced']} "
            f"({len(report['payouts_unbalanced'])} of {report['payouts_total']} unbalanced)\n"
            f"fees equal truth per connection: {report['fees_ok']}"
        )
        for name, fee in report["fees"].items():
            mark = "ok" if fee["ok"] else "MISMATCH"
            self.stdout.write(f"  {name}: truth {fee['truth']} export {fee['export']} {mark}")
        for bank in report["false_positive_banks"][:20]:
            self.stdout.write(f"  false positive: {bank}")


def _load(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc


def _dumps(report):
    return json.dumps(report, indent=1, default=str)
