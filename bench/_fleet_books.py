"""Every fleet company's books as plain data, to compare two runs company by company (by name:
the companies' rows and ids differ between runs, their worlds do not).

Per company: the trial balance (posted balance per account code and currency, the ledger's own
`account_balances`), the applied matches (bank line ref -> sorted payout refs), the number of
platform items, payouts and bank lines, and what the reconciliation and sync left behind (for the
report, not the comparison: reconciliation runs per company, failed sync runs).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

# An inferred payout is named after its bank line and its match's row id
# (reconciliation.services.matches): the row id differs between databases, the bank line does not.
_MATCH_ID = re.compile(r"(:inferred-.+)-\d+$")


def snapshot() -> dict[str, dict]:
    from django.db.models import Count

    from companies.models import Company
    from ledger.models import BankTransaction, Payout, PayoutItem
    from ledger.selectors import account_balances
    from reconciliation.models import MatchPayout, MatchStatus

    companies = {c.pk: c for c in Company.objects.filter(name__startswith="Fleet ")}
    books: dict[str, dict] = {}
    counts = {name: dict(model.objects.filter(company_id__in=companies).values_list("company_id")
                         .annotate(n=Count("id")).values_list("company_id", "n"))
              for name, model in (("items", PayoutItem), ("payouts", Payout), ("bank_lines", BankTransaction))}
    matches: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = (MatchPayout.objects.filter(status=MatchStatus.APPLIED, company_id__in=companies)
            .values_list("company_id", "match__bank_transaction__source", "match__bank_transaction__external_id",
                         "payout__source", "payout__external_id"))
    for company_id, bank_src, bank_id, payout_src, payout_id in rows:
        matches[company_id][f"{bank_src}:{bank_id}"].append(_MATCH_ID.sub(r"\1", f"{payout_src}:{payout_id}"))
    for pk, company in companies.items():
        balances = account_balances(company=company)
        books[company.name] = {
            "trial_balance": {f"{code} {currency}": str(amount) for (code, currency), amount in sorted(balances.items())
                              if amount},
            "matches": {bank: sorted(refs) for bank, refs in sorted(matches[pk].items())},
            **{name: per.get(pk, 0) for name, per in counts.items()},
        }
    return books


def run_stats() -> dict:
    """Reconciliation runs per company and sync runs by status (what the queue did, not books)."""
    from django.db.models import Count

    from connections.models import SyncRun
    from reconciliation.models import ReconciliationRun

    per_company = Counter(dict(ReconciliationRun.objects.values_list("company_id").annotate(n=Count("id"))
                               .values_list("company_id", "n")))
    runs = sorted(per_company.values()) or [0]
    sync_status = dict(SyncRun.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    sync_kinds = dict(SyncRun.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return {"reconcile_runs": sum(runs), "reconcile_runs_per_company_median": runs[len(runs) // 2],
            "reconcile_runs_per_company_max": runs[-1], "sync_runs": sync_status, "sync_kinds": sync_kinds}


def compare(reference: dict[str, dict], other: dict[str, dict]) -> dict:
    """Companies whose books differ, and in what; a missing company differs in everything."""
    differing: dict[str, list[str]] = {}
    for name in sorted(set(reference) | set(other)):
        a, b = reference.get(name), other.get(name)
        if a is None or b is None:
            differing[name] = ["missing"]
            continue
        fields = [key for key in a if a[key] != b.get(key)]
        if fields:
            differing[name] = fields
    return {"companies": len(reference), "identical": len(reference) - len(differing), "differing": differing}


def totals(books: dict[str, dict]) -> dict:
    return {"companies": len(books), "items": sum(b["items"] for b in books.values()),
            "payouts": sum(b["payouts"] for b in books.values()),
            "bank_lines": sum(b["bank_lines"] for b in books.values()),
            "applied_matches": sum(len(b["matches"]) for b in books.values()),
            "trial_balance_rows": sum(len(b["trial_balance"]) for b in books.values())}
