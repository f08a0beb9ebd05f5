"""Overview: what each platform sold, kept and paid out, what is left to reconcile, and charts."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.views.decorators.http import require_GET

from dashboard.embed import embed_view
from dashboard.views import charts
from dashboard.views.common import render_page
from ledger.models import RollupKind
from ledger.monthly import (
    bank_months,
    item_months,
    marked_months,
    month_key,
    overview_since,
    payouts_by_month,
)
from ledger.platforms import display_name

ZERO = Decimal("0.00")
FEE_KINDS = ("fee", "commission")
REFUND_KINDS = ("refund", "void")


def platform_rows(items: list[dict]) -> list[dict]:
    """Gross sales, fees (deducted + fee/commission items), refunds, net and fee rate per platform
    and currency, over all months of `items` (ledger.monthly.item_months): money is never added
    across currencies."""
    acc = defaultdict(lambda: {"gross": ZERO, "fees": ZERO, "refunds": ZERO, "net": ZERO})
    for r in items:
        row = acc[(r["platform"], r["currency"])]
        amount, fee = r["amount"] or ZERO, r["fee"] or ZERO
        if r["kind"] == "payout":
            continue
        row["fees"] += fee
        if r["kind"] == "sale":
            row["gross"] += amount
        elif r["kind"] in FEE_KINDS:
            row["fees"] -= amount  # fee items are negative movements; fees are shown positive
        elif r["kind"] in REFUND_KINDS:
            row["refunds"] -= amount
        row["net"] += amount - fee
    out = []
    for (platform, currency), row in sorted(acc.items()):
        rate = (row["fees"] / row["gross"] * 100).quantize(Decimal("0.1")) if row["gross"] else None
        out.append({"platform": platform, "currency": currency, **row, "fee_rate": rate})
    return out


def currency_totals(rows: list[dict]) -> list[dict]:
    """One line of totals per currency."""
    totals: dict[str, dict] = {}
    for r in rows:
        t = totals.setdefault(r["currency"], {"currency": r["currency"], "gross": ZERO, "fees": ZERO,
                                              "refunds": ZERO, "net": ZERO})
        for k in ("gross", "fees", "refunds", "net"):
            t[k] += r[k]
    return [totals[c] for c in sorted(totals)]


def _waiting(banks: list[dict]) -> dict:
    """Posted deposits no match or category explains: how many, and their total per currency."""
    totals = defaultdict(lambda: ZERO)
    for r in banks:
        if r["waiting"]:
            totals[r["currency"]] += r["waiting_total"]
    return {"count": sum(r["waiting"] for r in banks), "totals": sorted(totals.items())}


@embed_view
@require_GET
def overview_page(request, company):
    return overview_render(request)


def overview_render(request):
    c = request.embed.company
    since, marked = overview_since(company=c), marked_months(company=c)
    items = item_months(company=c, marked=marked[RollupKind.ITEM])  # all months: the table is all-time
    rows = platform_rows(items)
    fees = defaultdict(dict)
    first_month = month_key(since) if since is not None else ""
    for r in items:
        if r["month"] < first_month:
            continue
        amount = (r["fee"] or ZERO) - ((r["amount"] or ZERO) if r["kind"] in FEE_KINDS else ZERO)
        series = f"{display_name(r['platform'])} ({r['currency']})"
        fees[series][r["month"]] = fees[series].get(r["month"], ZERO) + amount
    fee_months = sorted({m for s in fees.values() for m in s})
    money = defaultdict(dict)  # one line per kind and currency: never summed across currencies
    banks = bank_months(company=c, since=since, marked=marked[RollupKind.BANK])
    for r in banks:
        if r["deposited"]:
            money[f"Bank deposits ({r['currency']})"][r["month"]] = r["deposited"]
    for r in payouts_by_month(company=c, since=since):
        money[f"Platform payouts ({r['currency']})"][r["month"]] = r["total"]
    money = dict(sorted(money.items()))
    money_months = sorted({m for s in money.values() for m in s})
    context = {
        "rows": rows, "totals": currency_totals(rows), "unreconciled": _waiting(banks), "since": since,
        "fee_chart": charts.stacked_bars(fee_months, dict(sorted(fees.items()))) if fee_months else None,
        "fee_table": [(p, [(m, s.get(m, ZERO)) for m in fee_months]) for p, s in sorted(fees.items())],
        "fee_months": fee_months,
        "money_chart": charts.lines(money_months, money) if money_months else None,
        "money_series": list(money),
        "money_table": [(m, [money[k].get(m) for k in money]) for m in money_months],
    }
    return render_page(request, "dashboard/overview/page.html", context, tab="overview")
