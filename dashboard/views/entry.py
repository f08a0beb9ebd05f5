"""Ways into the dashboard: a partner's client secret, or a staff member from Django admin."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from companies.models import Company, EmbedSession
from companies.services import embed_session_create
from dashboard.embed import (
    embed_context_issue,
    embed_entry,
    embed_secret_redeem,
    embed_session_for_secret,
    refusal,
)
from dashboard.views.overview import overview_render
from dashboard.views.transactions import transactions_render

PAGES = {"overview": overview_render, "transactions": transactions_render}


@embed_entry
@require_http_methods(["GET", "POST"])
def embed_home(request):
    """Redeem a client secret (query string or form body) and render the first page with a token."""
    raw = request.POST.get("client_secret") or request.GET.get("client_secret", "")
    session = embed_secret_redeem(raw_secret=raw)
    if session is None:
        known = embed_session_for_secret(raw_secret=raw)
        # A refusal can be shown inside the partner's frame only when we know whose frame it is.
        request.embed_partner = known.company.partner if known else None
        return refusal(401, "invalid_secret", "This link has expired or was already used. Reload the page to get a new one.")
    request.embed = embed_context_issue(session=session)
    page = PAGES.get(request.GET.get("page", ""), transactions_render)
    return page(request)


@embed_entry
@staff_member_required
def staff_open(request, company_id: int):
    """Staff open any company's dashboard exactly as its users see it, through a fresh session."""
    company = get_object_or_404(Company, pk=company_id)
    _, secret = embed_session_create(company=company, permissions=EmbedSession.PERMISSIONS)
    return redirect(reverse("dashboard:home") + "?" + urlencode({"client_secret": secret}))
