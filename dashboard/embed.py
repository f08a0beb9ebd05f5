"""Embedded-dashboard authentication, modelled on Stripe Connect embedded components.

1. The partner's backend mints an EmbedSession (companies.services.embed_session_create) and
   hands its single-use `client_secret` to its front end.
2. The iframe opens `/embed/#client_secret=…` (in the fragment, which no server or log sees); the
   page there POSTs it, and `embed_secret_redeem` swaps it — once, before it
   expires — for a short-lived signed token (django.core.signing: company, permissions, expiry).
3. htmx sends the token as the `X-Embed-Token` header on every request (`hx-headers` on <body>),
   so no (third-party) cookie is needed, and no ambient credential exists for CSRF to abuse.

`EmbedAuthMiddleware` fails closed: every view of the dashboard URLconf (app_name "dashboard")
needs a valid token unless it is explicitly marked `@embed_entry` (the redeem page, the staff
entry, the connect callbacks, which authenticate by other means). Read-only tokens cannot use an
unsafe method. Embed responses carry `Content-Security-Policy: frame-ancestors <partner origins>`
instead of the site-wide `X-Frame-Options: DENY`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.utils.timezone import now
from django.views.decorators.csrf import csrf_exempt

from companies.models import Company, EmbedSession
from companies.tokens import hash_secret

TOKEN_HEADER = "HTTP_X_EMBED_TOKEN"
TOKEN_SALT = "tieout.embed.token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def token_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "EMBED_TOKEN_TTL", 30 * 60))


@dataclass(frozen=True)
class EmbedContext:
    """What one request of the embedded dashboard may see and do."""

    company: Company
    permissions: tuple[str, ...]
    expires_at: int  # unix seconds
    token: str

    @property
    def can_write(self) -> bool:
        return EmbedSession.WRITE in self.permissions

    @property
    def partner(self):
        return self.company.partner


# --- secrets and tokens ---------------------------------------------------------------------------


def embed_secret_redeem(*, raw_secret: str) -> EmbedSession | None:
    """Spend a client secret: the session if it was unused and unexpired, else None.

    One conditional UPDATE does the check and the spend, so two concurrent redeems of the same
    secret cannot both win (the database serialises the row update; the loser updates 0 rows).
    """
    if not isinstance(raw_secret, str) or not raw_secret.startswith("es_"):
        return None
    moment = now()
    secret_hash = hash_secret(raw_secret)
    spent = EmbedSession.objects.filter(
        secret_hash=secret_hash, used_at__isnull=True, expires_at__gt=moment
    ).update(used_at=moment)
    if spent != 1:
        return None
    return EmbedSession.objects.select_related("company__partner").get(secret_hash=secret_hash)


def embed_session_for_secret(*, raw_secret: str) -> EmbedSession | None:
    """The session a secret names, spent or not (to know whose frame-ancestors a refusal gets)."""
    if not isinstance(raw_secret, str):
        return None
    return EmbedSession.objects.select_related("company__partner").filter(
        secret_hash=hash_secret(raw_secret)
    ).first()


def embed_token_issue(*, company: Company, permissions, session: EmbedSession,
                      ttl: timedelta | None = None) -> str:
    expires = int((now() + (ttl if ttl is not None else token_ttl())).timestamp())
    payload = {"c": company.pk, "s": session.pk, "p": sorted(set(permissions)), "e": expires}
    return signing.dumps(payload, salt=TOKEN_SALT, compress=False)


def embed_token_read(token: str) -> dict | None:
    """The token's payload if its signature is ours and it has not expired, else None."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not {"c", "p", "e"} <= payload.keys():
        return None
    if payload["e"] <= now().timestamp():
        return None
    return payload


def embed_context_for_token(token: str) -> EmbedContext | None:
    """The context of a token that is ours, unexpired, and whose session still stands: not revoked,
    and not minted by an API key since revoked (one query, the same one that loads the company)."""
    payload = embed_token_read(token)
    if payload is None or "s" not in payload:
        return None
    session = (EmbedSession.objects.select_related("company__partner")
               .filter(pk=payload["s"], company_id=payload["c"], revoked_at__isnull=True)
               .exclude(api_key__revoked_at__isnull=False).first())
    if session is None:
        return None
    return EmbedContext(company=session.company, permissions=tuple(payload["p"]), expires_at=payload["e"],
                        token=token)


def embed_context_issue(*, session: EmbedSession) -> EmbedContext:
    token = embed_token_issue(company=session.company, permissions=session.permissions, session=session)
    return embed_context_for_token(token)


# --- view markers -----------------------------------------------------------------------------------


def embed_view(view):
    """A dashboard view: authenticated by the token header, so CSRF cookies play no part."""
    view = csrf_exempt(view)
    view.embed_view = True
    return view


def embed_entry(view):
    """A dashboard view that authenticates by other means (secret, staff login, signed state)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    wrapper = csrf_exempt(wrapper)
    wrapper.embed_entry = True
    return wrapper


def requires_write(view):
    """Belt and braces for views that change the books (the middleware already refuses POSTs)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.embed.can_write:
            return refusal(403, "read_only", "This session is read-only.")
        return view(request, *args, **kwargs)

    return wrapper


def refusal(status: int, code: str, message: str) -> HttpResponse:
    response = HttpResponse(
        f'<div class="refusal" role="alert" data-code="{code}"><strong>{message}</strong></div>',
        status=status,
    )
    response["X-Embed-Error"] = code
    if status == 401:
        # htmx fires this event; embed.js tells the partner page the session is over.
        response["HX-Trigger"] = "tieout-session-expired"
    return response


def frame_ancestors(partner) -> str:
    origins = [o for o in (partner.allowed_origins if partner else []) if o]
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")


# --- middleware -------------------------------------------------------------------------------------


class EmbedAuthMiddleware:
    """Resolve the company of every dashboard request from its token, or refuse it."""

    APP_NAME = "dashboard"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        embed = getattr(request, "embed", None)
        partner = getattr(request, "embed_partner", None) or (embed.partner if embed else None)
        if partner is not None:
            response["Content-Security-Policy"] = frame_ancestors(partner)
            response.xframe_options_exempt = True
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.embed = None
        match = getattr(request, "resolver_match", None)
        if match is None or match.app_name != self.APP_NAME:
            return None
        if getattr(view_func, "embed_entry", False):
            return None
        if not getattr(view_func, "embed_view", False):
            # Fail closed: a dashboard view nobody marked is a bug, not a public page.
            return refusal(500, "unmarked_view", "This page is not available.")
        token = request.META.get(TOKEN_HEADER)  # never from a URL: URLs end up in logs
        context = embed_context_for_token(token) if token else None
        if context is None:
            return refusal(401, "session_expired", "Your session has expired. Reload to continue.")
        # Dashboard URLs name their company, so a token can be checked against it here, once.
        claimed = view_kwargs.get("company")
        if claimed is None or str(claimed) != str(context.company.public_id):
            return refusal(403, "wrong_company", "This session belongs to another company.")
        request.embed = context
        if request.method not in SAFE_METHODS and not context.can_write:
            return refusal(403, "read_only", "This session is read-only.")
        return None
