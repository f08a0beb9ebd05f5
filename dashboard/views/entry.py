"""Ways into the dashboard: a partner's client secret, or a staff member from Django admin."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect, render
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
    """The frame's way in. The partner's `embed_url` carries the client secret in its fragment
    (`/embed/#client_secret=es_…`), which browsers never send: GET answers a page whose script
    takes the secret out of the address and POSTs it here, where it is redeemed and the first page
    rendered with a token. A secret in a query string would sit in every access log on the way:
    it is refused, and spent so it cannot be used from a log either."""
    if "client_secret" in request.GET:
        embed_secret_redeem(raw_secret=request.GET["client_secret"])
        request.embed_partner = None
        return refusal(400, "secret_in_url", "This link is not valid: reload the page to get a new one.")
    if request.method == "GET":
        response = render(request, "dashboard/enter.html")
        # It holds nothing but the script: any partner may frame it (the dashboard it loads is
        # framed by the partner's own origins only).
        response["Content-Security-Policy"] = "frame-ancestors *"
        response.xframe_options_exempt = True
        return response
    raw = request.POST.get("client_secret", "")
    session = embed_secret_redeem(raw_secret=raw)
    if session is None:
        known = embed_session_for_secret(raw_secret=raw)
        # A refusal can be shown inside the partner's frame only when we know whose frame it is.
        request.embed_partner = known.company.partner if known else None
        return refusal(401, "invalid_secret", "This link has expired or was already used. Reload the page to get a new one.")
    request.embed = embed_context_issue(session=session)
    page = PAGES.get(request.POST.get("page") or request.GET.get("page", ""), transactions_render)
    return page(request)


@embed_entry
@staff_member_required
def staff_open(request, company_id: int):
    """Staff open any company's dashboard exactly as its users see it, through a fresh session."""
    company = get_object_or_404(Company, pk=company_id)
    _, secret = embed_session_create(company=company, permissions=EmbedSession.PERMISSIONS)
    return redirect(reverse("dashboard:home") + "#" + urlencode({"client_secret": secret}))
