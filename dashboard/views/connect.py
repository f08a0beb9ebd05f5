"""Connections: status, last sync, live progress, and the three connect flows, each the way its
provider documents it.

- Rutter Link and Plaid Link run in the browser (their JS, or the sandbox's stand-ins with the same
  interface): the frame opens them, their `onSuccess` hands over a public token, and the frame
  posts it here (`connection_link`), authenticated by the embed token like every other write.
  Plaid Link first needs a `link_token` the server creates (`plaid_link_token`).
- Stripe Connect OAuth cannot be framed: `connect_start` gives a one-time link for a new window;
  that window (`connect_go`) first pins a random nonce in a cookie of its own, then goes to
  Stripe's authorize URL (one fixed, registered redirect URI; our data, with the nonce's digest,
  rides in Stripe's signed `state`). Stripe sends the window to `connect_callback`, which links only
  if the state's nonce is the browser's own: a leaked or replayed state, completed in another
  browser, links nothing anywhere. It then tells the frame (its opener).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from connections.credentials import credentials_for
from connections.selectors import connection_get, sync_progress
from connections.services.linking import (
    STRIPE_STATE_MAX_AGE,
    LinkError,
    connection_disconnect,
    connection_link_plaid,
    connection_link_rutter,
    connection_link_stripe,
    plaid_link_token_create,
    stripe_oauth_browser_check,
    stripe_oauth_state_read,
    stripe_oauth_ticket,
    stripe_oauth_ticket_spend,
)
from dashboard.embed import embed_entry, embed_view, frame_ancestors, requires_write
from dashboard.views.common import render_page
from ledger.platforms import linkable_platforms
from reconciliation.engine.learned import describe
from reconciliation.selectors.learned import learned_sentences
from reconciliation.selectors.matches import fee_schedule_map

LINKERS = {"rutter": connection_link_rutter, "plaid": connection_link_plaid}


def _link_config(company) -> dict:
    # Rutter Link opens with the public key of the organization the partner's calls use.
    public_key = credentials_for(partner_id=company.partner_id, provider="rutter").public_key
    return {"rutter": {"publicKey": public_key, "js": settings.RUTTER_LINK_JS_URL},
            "plaid": {"js": settings.PLAID_LINK_JS_URL}}


def _list(request, *, force_list: bool = False):
    c = request.embed.company
    rows = sync_progress(company=c)
    fees = fee_schedule_map(company=c)
    learned = learned_sentences(company=c)
    for r in rows:  # what the store's confirmed deposits showed (a bank has no such thing)
        r["fee_schedule"] = fees.get(r["connection_id"])
        r["learned"] = "" if r["ref"].startswith("plaid:") else learned.get(r["connection_id"]) or describe(None)
    busy = any(r["syncing"] or r["status"] == "pending_initial_sync" for r in rows)
    context = {"rows": rows, "syncing": busy, "platforms": linkable_platforms(), "link": _link_config(c)}
    if force_list or (request.htmx and request.headers.get("HX-Target") == "connection-list"):
        return render(request, "dashboard/connections/_list.html", {**context, "c": c.public_id, "embed": request.embed})
    return render_page(request, "dashboard/connections/page.html", context, tab="connections")


@embed_view
@require_GET
def connections_page(request, company):
    return _list(request)


@embed_view
@require_POST
@requires_write
def connection_sync_now(request, company, pk: int):
    connection = connection_get(company=request.embed.company, connection_id=pk)
    if connection is None:
        raise Http404("No such connection.")
    if connection.status != "disabled":
        async_task("connections.tasks.sync_connection", connection.pk)
    return _list(request, force_list=True)


@embed_view
@require_POST
@requires_write
def connection_disconnect_now(request, company, pk: int):
    connection = connection_get(company=request.embed.company, connection_id=pk)
    if connection is None:
        raise Http404("No such connection.")
    connection_disconnect(connection=connection, reason="disconnected in the dashboard")
    return _list(request, force_list=True)


def _linked(request, connection=None, error: str = "", status: int = 200):
    if connection is not None:
        async_task("connections.tasks.initial_sync", connection.pk)
    response = render(request, "dashboard/connections/_linked.html",
                      {"connection": connection, "error": error}, status=status)
    if connection is not None:
        response["HX-Trigger"] = "tieout-connected"
    return response


@embed_view
@require_POST
@requires_write
def connection_link(request, company, provider: str):
    """A public token from Rutter Link's or Plaid Link's onSuccess, exchanged and linked."""
    linker = LINKERS.get(provider)
    if linker is None:
        raise Http404
    public_token = request.POST.get("public_token", "")
    if not public_token:
        return _linked(request, error="The connection was not completed.", status=400)
    try:
        connection = linker(company=request.embed.company, public_token=public_token)
    except LinkError as exc:
        return _linked(request, error=str(exc), status=400)
    except Exception as exc:  # the provider refused the token: say so
        return _linked(request, error=f"The provider refused the connection ({type(exc).__name__}).", status=502)
    return _linked(request, connection)


@embed_view
@require_POST
@requires_write
def plaid_link_token(request, company):
    """Plaid Link needs a link_token made for this company (products, webhook URL)."""
    try:
        token = plaid_link_token_create(company=request.embed.company)
    except Exception as exc:
        return JsonResponse({"error": f"The bank connection could not start ({type(exc).__name__})."}, status=502)
    return JsonResponse({"link_token": token})


BROWSER_COOKIE = "tieout_stripe_browser"
CALLBACK_PATH = "/embed/connect/stripe/"


@embed_view
@require_POST
@requires_write
def connect_start(request, company, provider: str):
    if provider != "stripe":
        raise Http404
    ticket = stripe_oauth_ticket(company=request.embed.company, extra={"p": "stripe"})
    go = reverse("dashboard:connect_go") + "?" + urlencode({"t": ticket})
    return render(request, "dashboard/connections/_start.html", {"provider": provider, "url": go})


@embed_entry
@require_GET
def connect_go(request):
    """The Stripe window's first stop: the browser keeps the ticket's nonce, then goes to Stripe.
    A ticket works once (a copy of the link, say from a log, is worth nothing)."""
    try:
        stripe_url, nonce = stripe_oauth_ticket_spend(request.GET.get("t", ""))
    except LinkError as exc:
        return _done(request, None, error=str(exc), status=400)
    response = redirect(stripe_url)
    response["Cross-Origin-Opener-Policy"] = "unsafe-none"  # the window keeps its opener (see _done)
    response.set_cookie(BROWSER_COOKIE, nonce, max_age=STRIPE_STATE_MAX_AGE, path=CALLBACK_PATH,
                        secure=request.is_secure(), httponly=True, samesite="Lax")
    return response


@embed_entry
@require_GET
def connect_callback(request, provider: str):
    """Stripe's redirect back: its signed state says which company; linked only for that one."""
    if provider != "stripe":
        raise Http404
    try:
        state = stripe_oauth_state_read(request.GET.get("state", ""))
    except LinkError:
        return _done(request, None, error="This connect link has expired. Start again from the dashboard.", status=400)
    company = state["company"]
    if state["extra"].get("p") != "stripe":
        return _done(request, None, error="This connect link is not valid.", status=400)
    try:
        # Before the code is spent or anything saved: a state that left the browser that started
        # it (leaked, replayed) must not link an account into its company.
        stripe_oauth_browser_check(state=state, nonce=request.COOKIES.get(BROWSER_COOKIE, ""))
    except LinkError as exc:
        return _done(request, company, error=str(exc), status=400)
    if request.GET.get("error"):
        return _done(request, company, error=request.GET.get("error_description") or "The connection was cancelled.")
    try:
        connection = connection_link_stripe(company=company, state=request.GET.get("state", ""),
                                            code=request.GET.get("code", ""))
    except LinkError as exc:
        return _done(request, company, error=str(exc), status=400)
    except Exception as exc:  # Stripe refused the code: say so, do not crash the window
        return _done(request, company, error=f"Stripe refused the connection ({type(exc).__name__}).", status=502)
    async_task("connections.tasks.initial_sync", connection.pk)
    response = _done(request, company, connection=connection)
    response.delete_cookie(BROWSER_COOKIE, path=CALLBACK_PATH)
    return response


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
