"""Review: accept or reject suggestions, tie a deposit to payouts by hand, unmatch.

Every change goes through reconciliation.services (which book it); the page updates in place.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from dashboard.embed import embed_view, requires_write
from dashboard.selectors import (
    SUGGESTION_SORTS,
    Cursor,
    applied_match_list,
    bank_transaction_get,
    categorization_list,
    category_rule_list,
    chosen_payouts,
    match_get,
    matched_payout_ids,
    suggestion_count,
    suggestion_list,
    unmatched_deposit_count,
    unmatched_deposit_page,
)
from dashboard.views.common import actor, parse_amount, render_page
from ledger.money import quantize
from ledger.selectors import payout_platforms, payout_search
from reconciliation.models import LineCategory, MatchStatus
from reconciliation.services import match_accept, match_manual, match_reject, match_undo
from reconciliation.services.errors import ReconciliationError


@embed_view
@require_GET
def review_page(request, company):
    return _review(request)


def _review(request, *, accepted=None, refused=None):
    c = request.embed.company
    before = Cursor.parse(request.GET.get("before"))
    unmatched, older = unmatched_deposit_page(company=c, before=before)
    if before is not None:  # "Show older": the next cards only
        return render(request, "dashboard/review/_unmatched.html",
                      {"unmatched": unmatched, "older": older, "c": c.public_id, "embed": request.embed,
                       "categories": LineCategory.choices})
    sort = request.GET.get("sort", "newest")
    context = {
        "suggestions": suggestion_list(company=c, sort=sort), "suggestion_count": suggestion_count(company=c),
        "sort": sort, "sorts": [(key, label) for key, (label, _) in SUGGESTION_SORTS.items()],
        "accepted": accepted or [], "refused": refused or [],
        "applied": applied_match_list(company=c),
        "unmatched": unmatched, "older": older, "unmatched_count": unmatched_deposit_count(company=c),
        "categories": LineCategory.choices, "rules": category_rule_list(company=c),
        "categorized": categorization_list(company=c),
    }
    return render_page(request, "dashboard/review/page.html", context, tab="review")


def _decide(request, pk: int, status: str, action) -> object:
    match = match_get(company=request.embed.company, pk=pk, status=status)
    if match is None:
        raise Http404("No such match.")
    error = None
    try:
        match = action(match=match, by=actor(request))
    except ReconciliationError as exc:
        error = exc.message
    c = request.embed.company
    return render(request, "dashboard/review/_decided.html", {
        "match": match, "error": error, "c": c.public_id, "origin": request.GET.get("from", ""),
        # The tab's counts, swapped in out of band: they move with every decision.
        "counts": {"suggestions": suggestion_count(company=c), "unmatched": unmatched_deposit_count(company=c)},
    })


def _reason(request, default: str) -> str:
    """The reason a person gave (htmx's hx-prompt sends it as HX-Prompt), or `default`."""
    return (request.headers.get("HX-Prompt") or request.POST.get("reason") or default).strip()[:500]


@embed_view
@require_POST
@requires_write
def suggestion_accept(request, company, pk: int):
    return _decide(request, pk, MatchStatus.SUGGESTED, match_accept)


@embed_view
@require_POST
@requires_write
def suggestion_reject(request, company, pk: int):
    return _decide(request, pk, MatchStatus.SUGGESTED,
                   lambda match, by: match_reject(match=match, by=by, reason=_reason(request, "")))


@embed_view
@require_POST
@requires_write
def match_unmatch(request, company, pk: int):
    return _decide(request, pk, MatchStatus.APPLIED,
                   lambda match, by: match_undo(match=match, by=by,
                                                reason=_reason(request, "unmatched in the dashboard")))


@embed_view
def manual_match(request, company, pk: int):
    """GET: search payouts for this deposit (amount/date/platform). POST: tie the chosen ones."""
    c = request.embed.company
    deposit = bank_transaction_get(company=c, pk=pk)
    if deposit is None:
        raise Http404("No such transaction.")
    error, chosen = None, []
    if request.method == "POST":
        if not request.embed.can_write:
            raise Http404
        chosen = [int(v) for v in request.POST.getlist("payout") if v.isdigit()]
        payouts = chosen_payouts(company=c, payout_ids=chosen)
        try:
            match = match_manual(company=c, bank_transaction=deposit, payouts=payouts, by=actor(request),
                                 note=request.POST.get("note", "")[:200])
        except ReconciliationError as exc:
            error = exc.message
        else:
            return render(request, "dashboard/review/_decided.html", {"match": match, "c": c.public_id})
    q = request.POST if request.method == "POST" else request.GET
    # The deposit's amount in its currency's precision (stored with 4 places: "431.1800" is not
    # what a person types).
    amount = parse_amount(q.get("amount")) if "amount" in q else quantize(deposit.amount, deposit.currency)
    date_to = _date(q.get("date_to")) or deposit.date
    date_from = _date(q.get("date_from")) or deposit.date - dt.timedelta(days=14)
    platform = q.get("platform", "")
    results = list(payout_search(company=c, amount=amount, date_from=date_from, date_to=date_to, platform=platform))
    response = render(request, "dashboard/review/_manual.html", {
        "deposit": deposit, "results": results, "platforms": payout_platforms(company=c), "error": error,
        "matched": matched_payout_ids(company=c, payout_ids=[p.pk for p in results]),
        "amount": amount, "date_from": date_from, "date_to": date_to, "platform": platform,
        "c": c.public_id, "embed": request.embed, "chosen": chosen,
    })
    if error:  # keep the search open and show why, instead of replacing the deposit card
        response["HX-Retarget"] = f"#manual-{deposit.pk}"
        response["HX-Reswap"] = "innerHTML"
    return response


def _date(raw):
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@embed_view
@require_POST
@requires_write
def suggestions_accept_many(request, company):
    """Accept every ticked suggestion: each through the service (booked only if it adds up)."""
    c, accepted, refused = request.embed.company, [], []
    for pk in [int(v) for v in request.POST.getlist("match") if v.isdigit()]:
        match = match_get(company=c, pk=pk, status=MatchStatus.SUGGESTED)
        if match is None:
            continue
        try:
            accepted.append(match_accept(match=match, by=actor(request)))
        except ReconciliationError as exc:
            refused.append(f"{match.bank_transaction.name[:60]}: {exc.message}")
    return _review(request, accepted=accepted, refused=refused)
