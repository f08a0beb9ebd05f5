"""Close: the month-end report a bookkeeper signs off — per clearing and bank account, the
month's opening balance, money in and out, closing balance (in transit, for a clearing account),
and the bank lines still open; downloadable as CSV and printable."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard.embed import embed_view
from dashboard.views.common import render_page
from ledger.selectors import close_report, latest_bank_date

COLUMNS = ("account", "kind", "currency", "opening", "in", "out", "closing", "open_lines", "open_total")


def _month(request) -> dt.date:
    """The month asked for, else the month of the company's newest bank line (else the last one)."""
    raw = request.GET.get("month", "")
    try:
        return dt.date.fromisoformat(f"{raw}-01")
    except ValueError:
        newest = latest_bank_date(company=request.embed.company)
        if newest is not None:
            return newest.replace(day=1)
        return (timezone.now().date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@embed_view
@require_GET
def close_page(request, company):
    month = _month(request)
    last_day = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    context = {"rows": close_report(company=request.embed.company, month=month), "month": month,
               "last_day": last_day}
    return render_page(request, "dashboard/close/page.html", context, tab="close")


@embed_view
@require_GET
def close_csv(request, company):
    month = _month(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in close_report(company=request.embed.company, month=month):
        writer.writerow([r["account"].name, r["kind"], r["currency"], f"{r['opening']:.2f}", f"{r['in']:.2f}",
                         f"{r['out']:.2f}", f"{r['closing']:.2f}", r["open_lines"], f"{r['open_total']:.2f}"])
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = (f'attachment; filename="close-{request.embed.company.public_id}-'
                                       f'{month:%Y-%m}.csv"')
    return response
