"""One error format for every 4xx/5xx of the API: {"error": {"code", "message", "details"}}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger("tieout.api")


class ApiError(exceptions.APIException):
    """An API failure with a stable machine-readable code (what partners branch on)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details=None, status_code=None):
        super().__init__(detail=message, code=code or self.default_code)
        self.code = code or self.default_code
        self.details = details or {}
        if status_code:
            self.status_code = status_code


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


# DRF exception class -> our code. Anything unlisted keeps DRF's own default_code.
_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.AuthenticationFailed: "invalid_api_key",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _first_message(details, path=()) -> str:
    """The first leaf message of a nested error dict, prefixed with where it is."""
    if isinstance(details, dict):
        for key, value in details.items():
            return _first_message(value, (*path, str(key)))
    if isinstance(details, list) and details:
        if all(isinstance(item, str) for item in details):
            where = ".".join(p for p in path if p != "non_field_errors")
            return f"{where}: {details[0]}" if where else str(details[0])
        for index, item in enumerate(details):
            if item:
                return _first_message(item, (*path, str(index)))
    return str(details)


def _validation(details) -> tuple[str, dict]:
    if not isinstance(details, dict):
        details = {"non_field_errors": details if isinstance(details, list) else [details]}
    return f"Invalid input. {_first_message(details)}", details


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view becomes the one format."""
    headers = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )

    if isinstance(exc, ApiError):
        body = error_body(exc.code, str(exc.detail), exc.details)
    elif isinstance(exc, exceptions.ValidationError):
        message, details = _validation(exc.detail)
        body = error_body("validation_error", message, details)
    elif isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), exc.default_code)
        details = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details = {"retry_after": int(exc.wait) + 1}
            headers["Retry-After"] = str(details["retry_after"])
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        body = error_body(code, str(exc.detail), details)
    else:
        request = context.get("request")
        logger.exception(
            "unhandled API error (request id %s)", getattr(request, "request_id", "-"), exc_info=exc
        )
        return Response(_server_error_body(), status=500)
    return Response(body, status=exc.status_code, headers=headers)


def _server_error_body() -> dict:
    return error_body("internal_error", "Something went wrong on our side; retry later or "
                      "contact support with the Request-Id header of this response.")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


@csrf_exempt  # API auth is a bearer key, not a cookie: an unknown path is a 404, never a CSRF 403
def not_found(request, *args, **kwargs):
    """The last route under /api/: unknown paths get the JSON format even with DEBUG on."""
    message = f"No API route matches {request.path}."
    if not request.path.endswith("/"):
        try:
            resolved = resolve(request.path + "/")
            if resolved.func is not not_found:
                message += f" Did you mean {request.path}/ ?"
        except Resolver404:
            pass
    return JsonResponse(error_body("not_found", message), status=404)


def handler404(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return JsonResponse(_server_error_body(), status=500)
    return defaults.server_error(request)
