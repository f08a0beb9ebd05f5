"""POST /webhooks/<provider>[/<partner id>]: verify, store, answer; the work happens in a task.

/webhooks/<provider> is the deployment's own endpoint (verified with the deployment's secrets, for
partners without their own provider account); /webhooks/<provider>/<partner id> is a partner's,
registered in its own Rutter/Stripe dashboards (or set per Plaid item), verified with its secrets,
and reaching only its companies' connections. An unknown partner id is a 404, unread and unstored.

Nobody needs to sign in to POST here, so what a stranger can make us do is bounded: a body over
WEBHOOK_MAX_BYTES is refused unread (413), and a client whose deliveries keep failing
verification is answered 429 for the rest of the minute (WEBHOOK_REJECTIONS_PER_MINUTE, counted in
Django's cache, shared by every worker when the cache is Redis) without being verified or stored.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from companies.models import Partner
from connections.services import webhook_receive


def _error(code: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": "webhook rejected"}}, status=status)


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _receive(provider: str, request, partner_public_id=None) -> JsonResponse:
    limit = settings.WEBHOOK_MAX_BYTES
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return _error("too_large", 413)
    strikes = f"webhook-rejections:{provider}:{_client(request)}"
    if (cache.get(strikes) or 0) >= settings.WEBHOOK_REJECTIONS_PER_MINUTE:
        return _error("rate_limited", 429)
    partner_id = None
    if partner_public_id is not None:
        partner_id = Partner.objects.filter(public_id=partner_public_id).values_list("pk", flat=True).first()
        if partner_id is None:
            return _error("unknown_partner", 404)
    received = webhook_receive(provider=provider, body=request.body, headers=dict(request.headers),
                               partner_id=partner_id)
    if received.is_new:
        async_task("connections.tasks.process_webhook", received.event.pk)
    if received.status >= 400:
        if received.status < 500:
            cache.add(strikes, 0, timeout=60)
            cache.incr(strikes)
        return _error(received.code, received.status)
    return JsonResponse({"status": received.code})


@csrf_exempt
@require_POST
def rutter(request, partner_id=None):
    return _receive("rutter", request, partner_id)


@csrf_exempt
@require_POST
def stripe(request, partner_id=None):
    return _receive("stripe", request, partner_id)


@csrf_exempt
@require_POST
def plaid(request, partner_id=None):
    return _receive("plaid", request, partner_id)
