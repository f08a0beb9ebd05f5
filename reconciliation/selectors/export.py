"""The books of one company as a `tieout.reconciliation/1` export (docs/formats/reconciliation.md)."""

from collections import defaultdict

from companies.scoping import scoped, tenant_rows
from ledger.models import (
    BankTransaction,
    Expense,
    ExpenseCategory,
    JournalEntry,
    Payout,
    PayoutItem,
    bank_transaction_ref,
)
from ledger.money import format_amount
from ledger.selectors import books_balanced
from reconciliation.models import Match, MatchPayout, MatchStatus

EXPORT_CATEGORY = {
    ExpenseCategory.PROCESSING_FEES: "processing_fees",
    ExpenseCategory.MARKETPLACE_COMMISSIONS: "marketplace_fees",
}


def _fmt(value, currency):
    return format_amount(value, currency) if value is not None else None


def _links(company):
    """Payout refs of each active match, and the deposit each applied payout went to."""
    refs, deposit_of = defaultdict(list), {}
    rows = tenant_rows(MatchPayout, company).filter(status__in=[MatchStatus.APPLIED, MatchStatus.SUGGESTED])
    for match_id, status, source, ext, is_inferred, bank_source, bank_ext in rows.values_list(
        "match_id", "status", "payout__source", "payout__external_id", "payout__is_inferred",
        "match__bank_transaction__source", "match__bank_transaction__external_id",
    ):
        if not is_inferred:
            refs[match_id].append(f"{source}:{ext}")
        if status == MatchStatus.APPLIED:
            deposit_of[f"{source}:{ext}"] = bank_transaction_ref(bank_source, bank_ext)
    return refs, deposit_of


def _deposits(company, refs):
    active = {}
    for match in tenant_rows(Match, company).filter(status__in=[MatchStatus.APPLIED, MatchStatus.SUGGESTED]).order_by("status", "-confidence", "id"):
        active.setdefault(match.bank_transaction_id, match)  # applied sorts before suggested
    rows = []
    for pk, source, ext in tenant_rows(BankTransaction, company).filter(pending=False).order_by("date", "id").values_list("pk", "source", "external_id"):
        match = active.get(pk)
        row = {"bank": bank_transaction_ref(source, ext), "status": "unmatched"}
        if match is not None:
            row["status"] = "matched" if match.status == MatchStatus.APPLIED else "suggested"
            row["confidence"] = float(match.confidence)
            if match.is_inferred:
                row["inferred"] = {"connection": match.inferred_connection, "items": sorted(match.inferred_items)}
            else:
                row["payouts"] = sorted(refs.get(match.pk, []))
            row["reasons"] = match.reasons
        rows.append(row)
    return rows


def _payouts(company, deposit_of):
    items = defaultdict(list)
    for payout_id, source, ext in tenant_rows(PayoutItem, company).filter(payout__isnull=False).exclude(kind="payout").values_list("payout_id", "source", "external_id").iterator(20_000):
        items[payout_id].append(f"{source}:{ext}")
    rows = []
    for p in tenant_rows(Payout, company).exclude(is_inferred=True, status="canceled").order_by("arrival_date", "id"):
        row = {
            "payout": p.ref, "currency": p.currency, "deposit": deposit_of.get(p.ref),
            "gross": _fmt(p.gross, p.currency), "fees": _fmt(p.fees, p.currency),
            "refunds": _fmt(p.refunds, p.currency), "other": _fmt(p.other, p.currency),
            "net": _fmt(p.items_net, p.currency), "amount": _fmt(p.amount, p.currency), "items": sorted(items.get(p.pk, [])),
            "balanced": bool(p.balanced),
        }
        if p.is_inferred:
            row["inferred"] = True
            row["connection"] = p.source
        rows.append(row)
    return rows


def _expenses(company):
    rows = []
    live = tenant_rows(Expense, company).filter(journal_entry__reversed_by__isnull=True).select_related("payout")
    for e in live.order_by("date", "id"):
        rows.append({
            "connection": e.source, "payout": e.payout.ref if e.payout else None,
            "category": EXPORT_CATEGORY.get(e.category, e.category), "currency": e.currency,
            "amount": format_amount(e.amount, e.currency),
        })
    return rows


@scoped
def reconciliation_export(*, company) -> dict:
    refs, deposit_of = _links(company)
    return {
        "format": "tieout.reconciliation/1",
        "deposits": _deposits(company, refs),
        "payouts": _payouts(company, deposit_of),
        "expenses": _expenses(company),
        "ledger": {
            "entries": tenant_rows(JournalEntry, company).count(),
            "balanced": books_balanced(company=company),
        },
    }
