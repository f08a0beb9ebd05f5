"""POST /webhooks/<provider>: verify, store, answer; the work happens in a task."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from connections.services import webhook_receive


def _receive(provider: str, request) -> JsonResponse:
    received = webhook_receive(provider=provider, body=request.body, headers=dict(request.headers))
    if received.is_new:
        async_task("connections.tasks.process_webhook", received.event.pk)
    if received.status >= 400:
        return JsonResponse({"error": {"code": received.code, "message": "webhook rejected"}},
                            status=received.status)
    return JsonResponse({"status": received.code})


@csrf_exempt
@require_POST
def rutter(request):
    return _receive("rutter", request)


@csrf_exempt
@require_POST
def stripe(request):
    return _receive("stripe", request)


@csrf_exempt
@require_POST
def plaid(request):
    return _receive("plaid", request)
