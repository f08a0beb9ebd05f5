"""Connections: status, last sync, live progress, and the three connect flows.

"Connect" asks the server (with the token) for a provider URL carrying a signed `state`; the user
follows it in a new window (Stripe's authorize page cannot be framed; Rutter Link and Plaid Link
stand-ins behave the same way). The provider sends the window back to `connect_callback`, which
trusts only that signed state, links through connections.services, queues the initial sync and
tells the dashboard (window.opener, same origin) to refresh.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from companies.models import Company
from connections.selectors import sync_progress
from dashboard.embed import embed_entry, embed_view, frame_ancestors, requires_write
from dashboard.views.common import render_page
from ledger.platforms import linkable_platforms

STATE_SALT = "tieout.embed.connect"
STATE_MAX_AGE = 15 * 60
PROVIDERS = ("rutter", "stripe", "plaid")


def _link_url(setting: str, base_setting: str, strip: str = "") -> str:
    explicit = getattr(settings, setting, "")
    if explicit:
        return explicit
    base = getattr(settings, base_setting).rstrip("/")
    return (base[: -len(strip)] if strip and base.endswith(strip) else base) + "/link"


@embed_view
@require_GET
def connections_page(request, company):
    c = request.embed.company
    rows = sync_progress(company=c)
    busy = any(r["syncing"] or r["status"] == "pending_initial_sync" for r in rows)
    context = {"rows": rows, "syncing": busy, "platforms": linkable_platforms()}
    if request.htmx and request.headers.get("HX-Target") == "connection-list":
        return render(request, "dashboard/connections/_list.html", {**context, "c": c.public_id})
    return render_page(request, "dashboard/connections/page.html", context, tab="connections")


@embed_view
@require_POST
@requires_write
def connect_start(request, company, provider: str):
    if provider not in PROVIDERS:
        raise Http404
    c = request.embed.company
    state = signing.dumps({"c": c.pk, "p": provider}, salt=STATE_SALT, compress=True)
    callback = request.build_absolute_uri(reverse("dashboard:connect_callback", args=[provider]))
    if provider == "stripe":
        from connections.services.linking import stripe_oauth_start_url

        # Stripe returns to the one registered redirect URI (this callback) with its own signed
        # state, bound to the company; what this view needs back rides inside it.
        url = stripe_oauth_start_url(company=c, extra={"p": "stripe"})
    elif provider == "rutter":
        platform = request.POST.get("platform", "")
        query = {"redirect_uri": callback, "state": state, **({"platform": platform} if platform else {})}
        url = _link_url("RUTTER_LINK_URL", "RUTTER_BASE_URL", "/versioned") + "?" + urlencode(query)
    else:
        url = _link_url("PLAID_LINK_URL", "PLAID_BASE_URL") + "?" + urlencode({"redirect_uri": callback, "state": state})
    return render(request, "dashboard/connections/_start.html", {"provider": provider, "url": url})


@embed_entry
@require_GET
def connect_callback(request, provider: str):
    """The provider's redirect back: our signed state says which company (and that it may write)."""
    from connections.services.linking import (
        LinkError,
        connection_link_plaid,
        connection_link_rutter,
        connection_link_stripe,
    )

    if provider == "stripe":
        from connections.services.linking import stripe_oauth_state_read

        try:
            stripe_state = stripe_oauth_state_read(request.GET.get("state", ""))
        except LinkError:
            return _done(request, None, error="This connect link has expired. Start again from the dashboard.", status=400)
        company, state = stripe_state["company"], stripe_state["extra"]
    else:
        try:
            state = signing.loads(request.GET.get("state") or "", salt=STATE_SALT, max_age=STATE_MAX_AGE)
        except signing.BadSignature:
            return _done(request, None, error="This connect link has expired. Start again from the dashboard.", status=400)
        company = Company.objects.select_related("partner").filter(pk=state.get("c")).first()
    if company is None or state.get("p") != provider:
        return _done(request, None, error="This connect link is not valid.", status=400)
    if request.GET.get("error"):
        return _done(request, company, error=request.GET.get("error_description") or "The connection was cancelled.")
    try:
        if provider == "rutter":
            connection = connection_link_rutter(company=company, public_token=request.GET.get("public_token", ""))
        elif provider == "plaid":
            connection = connection_link_plaid(company=company, public_token=request.GET.get("public_token", ""))
        else:
            connection = connection_link_stripe(company=company, state=request.GET.get("state", ""),
                                                code=request.GET.get("code", ""))
    except LinkError as exc:
        return _done(request, company, error=str(exc), status=400)
    except Exception as exc:  # the provider refused the token: say so, do not crash the window
        return _done(request, company, error=f"The provider refused the connection ({type(exc).__name__}).", status=502)
    from django_q.tasks import async_task

    async_task("connections.tasks.initial_sync", connection.pk)
    return _done(request, company, connection=connection)


def _done(request, company, *, connection=None, error=None, status=200):
    response = render(request, "dashboard/connections/done.html",
                      {"connection": connection, "error": error, "company": company}, status=status)
    # The window must keep its opener (the dashboard frame) to report back; Django's default
    # COOP same-origin would sever it, since the frame's top-level page is the partner's.
    response["Cross-Origin-Opener-Policy"] = "unsafe-none"
    if company is not None:
        response["Content-Security-Policy"] = frame_ancestors(company.partner)
        response.xframe_options_exempt = True
    return response
