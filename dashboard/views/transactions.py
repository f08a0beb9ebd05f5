"""Transactions: every bank line, newest first; a deposit opens into the payout lines behind it."""

from __future__ import annotations

import csv

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboard.embed import embed_view
from dashboard.selectors import (
    Cursor,
    bank_transaction_export,
    bank_transaction_get,
    bank_transaction_page,
    inferred_lines_for_match,
)
from dashboard.templatetags.dashboard import money, percent, platform_name
from dashboard.views import breakdown as B
from dashboard.views.common import TxnFilterForm, render_page
from ledger.models import BankTransactionStatus
from ledger.selectors import invoices_for_payout_items, payout_items_for_payouts, payout_platforms
from reconciliation.models import MatchStatus


@embed_view
@require_GET
def transactions_page(request, company):
    return transactions_render(request)


def transactions_render(request):
    embed = request.embed
    form = TxnFilterForm(request.GET, payout_platforms(company=embed.company))
    filters = form.filters()
    cursor = Cursor.parse(request.GET.get("after"))
    rows, nxt = bank_transaction_page(company=embed.company, filters=filters, cursor=cursor)
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("page", None)
    context = {"form": form, "rows": display_rows(rows, company=embed.company), "next": nxt,
               "query": query.urlencode()}
    target = request.headers.get("HX-Target", "")
    if request.htmx and target in ("txn-results", "load-more"):
        # Filtering swaps only the results; "load more" swaps only its own row.
        template = "dashboard/transactions/_rows.html" if cursor else "dashboard/transactions/_results.html"
        return render(request, template, {**context, "c": embed.company.public_id, "embed": embed})
    return render_page(request, "dashboard/transactions/page.html", context, tab="transactions")


STATUS_LABEL = dict(BankTransactionStatus.choices)


def display_rows(rows, *, company) -> list[dict]:
    """What each row shows, computed once in Python.

    Rendering 50 rows was most of a page's time (a per-row include, `{% url %}`, `date`, a
    prefetch `.all()` clone and filter calls per cell); plain strings render several times faster.
    """
    marker = 987654321
    bd_head, bd_tail = reverse("dashboard:breakdown", kwargs={"company": company.public_id, "pk": marker}).split(str(marker))
    out = []
    for t in rows:
        m = t.match
        row = {
            "pk": t.pk, "amount": t.amount, "amount_text": money(t.amount, t.currency), "negative": t.amount < 0,
            "pending": t.pending,
            "date": f"{t.date:%b} {t.date.day}, {t.date.year}", "name": t.merchant_name or t.name,
            "account": str(t.bank_account), "status": t.status, "status_label": STATUS_LABEL.get(t.status, t.status),
            "match": None,
        }
        if m is not None:
            links = m.links
            platforms = " + ".join(platform_name(link.payout.platform) for link in links)
            if m.is_inferred:
                platforms += " (from transactions)"
            row["match"] = {
                "platforms": platforms.strip(), "confidence": percent(m.confidence),
                "reasons": m.reasons or [], "reasons_text": "; ".join(m.reasons or []),
                "breakdown_url": f"{bd_head}{t.pk}{bd_tail}",
                "pk": m.pk, "applied": m.status == MatchStatus.APPLIED,
            }
        out.append(row)
    return out


@embed_view
@require_GET
def transaction_breakdown(request, company, pk: int):
    embed = request.embed
    deposit = bank_transaction_get(company=embed.company, pk=pk)
    if deposit is None:
        raise Http404("No such transaction.")
    match = deposit.match
    breakdown = None
    if match is not None:
        payout_ids = [link.payout_id for link in match.links]
        if not payout_ids and match.is_inferred:
            # An inferred suggestion has no payout row until accepted: open its grouped items.
            lines = inferred_lines_for_match(company=embed.company, match=match)
            invoices = invoices_for_payout_items(company=embed.company, item_ids=[i.pk for i in lines.items])
            breakdown = B.build_inferred(deposit=deposit, match=match, lines=lines, invoices=invoices)
        else:
            items = list(payout_items_for_payouts(company=embed.company, payout_ids=payout_ids))
            invoices = invoices_for_payout_items(company=embed.company, item_ids=[i.pk for i in items])
            breakdown = B.build(deposit=deposit, match=match, items=items, invoices=invoices)
    return render(request, "dashboard/transactions/_breakdown.html",
                  {"deposit": deposit, "match": match, "b": breakdown})


class _Echo:
    def write(self, value):
        return value


@embed_view
@require_GET
def transactions_csv(request, company):
    """Exactly what the filters show, streamed so a big export never sits in memory."""
    embed = request.embed
    form = TxnFilterForm(request.GET, payout_platforms(company=embed.company))
    rows = bank_transaction_export(company=embed.company, filters=form.filters())
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(["date", "description", "account", "amount", "currency", "status",
                               "platforms", "payouts", "confidence"])
        for r in rows:
            links = r.match.links if r.match else []
            yield writer.writerow([
                r.date.isoformat(), r.name, str(r.bank_account), f"{r.amount:.2f}", r.currency, r.status,
                " ".join(sorted({link.payout.platform for link in links})),
                " ".join(link.payout.external_id for link in links),
                f"{r.match.confidence:.2f}" if r.match else "",
            ])

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="transactions-{embed.company.public_id}.csv"'
    return response

