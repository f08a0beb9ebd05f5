"""Review → "Not platform money…": categorize a bank line (booked to the account of its category,
undoable), optionally remembered as a rule that later runs apply; the rules, listed and removable."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dashboard.embed import embed_view, requires_write
from dashboard.selectors import (
    bank_transaction_get,
    categorization_get,
    category_rule_get,
    unmatched_deposit_count,
)
from dashboard.views.common import actor
from reconciliation.models import LineCategory
from reconciliation.services.categories import (
    bank_line_categorization_undo,
    bank_line_categorize,
    category_rule_delete,
)
from reconciliation.services.errors import ReconciliationError


def _card(request, line, *, categorization=None, error="", undone=False, status=200):
    return render(request, "dashboard/review/_categorized.html", {
        "line": line, "categorization": categorization, "error": error, "undone": undone,
        "c": request.embed.company.public_id, "embed": request.embed,
        "unmatched_count": unmatched_deposit_count(company=request.embed.company),
    }, status=status)


@embed_view
@require_POST
@requires_write
def line_categorize(request, company, pk: int):
    c = request.embed.company
    line = bank_transaction_get(company=c, pk=pk)
    if line is None:
        raise Http404("No such transaction.")
    remember = request.POST.get("contains", "") if request.POST.get("remember") else ""
    try:
        done = bank_line_categorize(company=c, bank_transaction=line, category=request.POST.get("category", ""),
                                    by=actor(request), note=request.POST.get("note", ""), remember=remember)
    except ReconciliationError as exc:
        return _card(request, line, error=exc.message, status=400)
    return _card(request, line, categorization=done)


@embed_view
@require_POST
@requires_write
def categorization_undo(request, company, pk: int):
    done = categorization_get(company=request.embed.company, pk=pk)
    if done is None:
        raise Http404("No such categorization.")
    try:
        done = bank_line_categorization_undo(categorization=done, by=actor(request))
    except ReconciliationError as exc:
        return _card(request, done.bank_transaction, categorization=done, error=exc.message, status=400)
    return _card(request, done.bank_transaction, undone=True)


@embed_view
@require_POST
@requires_write
def rule_delete(request, company, pk: int):
    rule = category_rule_get(company=request.embed.company, pk=pk)
    if rule is None:
        raise Http404("No such rule.")
    category_rule_delete(rule=rule)
    return render(request, "dashboard/review/_rule_removed.html", {"rule": rule})


CATEGORIES = LineCategory.choices
