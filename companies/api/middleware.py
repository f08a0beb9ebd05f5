"""A request id on every response, so a partner's support ticket points at our log lines."""

import re
import uuid

# Ids we accept from a caller's X-Request-Id (they are echoed into headers and logs).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else f"req_{uuid.uuid4().hex}"
        response = self.get_response(request)
        response["Request-Id"] = request.request_id
        return response
