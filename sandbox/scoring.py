"""Score a tieout.reconciliation/1 export against a tieout.truth/1 answer key.

Rules (docs/formats/reconciliation.md): a truth deposit is a true positive when the export marks
it `matched` with exactly the same payout set (or the same inferred item set); a `matched` row
with any other answer, or on a deposit that is not platform money, is a false positive.
precision = TP / (TP + FP); recall = TP / truth deposits.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal


def _answer(entry: dict) -> tuple | None:
    if entry.get("inferred"):
        inf = entry["inferred"]
        return ("inferred", inf.get("connection"), frozenset(inf.get("items") or ()))
    if entry.get("payouts"):
        return ("payouts", frozenset(entry["payouts"]))
    return None


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def _fee_totals(export: dict) -> dict[str, dict[str, Decimal]]:
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in export.get("expenses") or []:
        if row.get("category") in ("processing_fees", "marketplace_fees", "fees", "commissions"):
            totals[row["connection"]][row["currency"].upper()] += Decimal(str(row["amount"]))
    return totals


def score(*, export: dict, truth: dict) -> dict:
    truth_deposits: dict = truth.get("deposits") or {}
    rows = {r["bank"]: r for r in export.get("deposits") or []}
    tp = fp = 0
    split = {"explicit": [0, 0], "inferred": [0, 0]}  # [tp, total]
    false_positives, missed = [], []
    for bank, entry in sorted(truth_deposits.items()):
        kind = "inferred" if entry.get("inferred") else "explicit"
        split[kind][1] += 1
        row = rows.get(bank)
        if row is None or row.get("status") != "matched":
            missed.append(bank)
            continue
        if _answer(row) == _answer(entry):
            tp += 1
            split[kind][0] += 1
        else:
            fp += 1
            false_positives.append(bank)
    for bank, row in sorted(rows.items()):
        if bank not in truth_deposits and row.get("status") == "matched":
            fp += 1
            false_positives.append(bank)

    # A payout with no items cannot be checked (a manual Stripe payout: Stripe cannot itemize it).
    unbalanced = [p["payout"] for p in export.get("payouts") or [] if not p.get("balanced") and p.get("items", True)]
    exported = _fee_totals(export)
    fees = {}
    for conn, per_cur in sorted((truth.get("fees") or {}).items()):
        for cur, amount in sorted(per_cur.items()):
            got = exported.get(conn, {}).get(cur.upper(), Decimal(0))
            fees[f"{conn} {cur.upper()}"] = {
                "truth": str(Decimal(str(amount))),
                "export": str(got),
                "ok": got == Decimal(str(amount)),
            }
    return {
        "true_positives": tp,
        "false_positives": fp,
        "truth_deposits": len(truth_deposits),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, len(truth_deposits)),
        "recall_explicit": _ratio(*split["explicit"]),
        "recall_inferred": _ratio(*split["inferred"]),
        "false_positive_banks": false_positives,
        "missed_banks": missed,
        "payouts_total": len(export.get("payouts") or []),
        "payouts_unbalanced": unbalanced,
        "payouts_balanced": not unbalanced,
        "fees": fees,
        "fees_ok": all(f["ok"] for f in fees.values()),
    }
