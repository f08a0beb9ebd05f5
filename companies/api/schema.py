"""OpenAPI generation (drf-spectacular): every operation documents the one error format."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from companies.api.idempotency import HEADER, MAX_KEY_LENGTH


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable, e.g. validation_error.")
    message = serializers.CharField(help_text="For humans; may change.")
    details = serializers.DictField(help_text="Per-field messages for validation errors, else context.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# Statuses any operation can answer besides its own success responses.
COMMON_ERRORS = {
    "400": "Invalid input (validation_error, malformed_request, invalid_cursor).",
    "401": "Missing, malformed, unknown or revoked API key.",
    "404": "No such object for this API key (other partners' objects are not found).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type (send JSON).",
    "429": "Rate limited; see Retry-After.",
    "500": "Server error; quote the Request-Id header.",
}
POST_ERRORS = {"409": "Idempotency-Key reused or in use, or the change conflicts with state."}


class TieoutAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.view.__module__.startswith("drf_spectacular"):
            return responses
        errors = dict(COMMON_ERRORS)
        if self.method in ("POST", "DELETE", "PUT", "PATCH"):
            errors.update(POST_ERRORS)
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code)
                responses[code]["description"] = description
        return responses

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method == "POST":
            params.append(OpenApiParameter(
                HEADER, str, OpenApiParameter.HEADER, required=False,
                description="Make retries safe: the same key and body return the first response.",
                pattern=f"^.{{1,{MAX_KEY_LENGTH}}}$",
            ))
        return params
