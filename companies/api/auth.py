"""Partner API keys over `Authorization: Bearer <key>`, one permission, one throttle per key."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.settings import api_settings

from companies.models import ApiKey
from companies.services import api_key_authenticate

BEARER = "Bearer"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`request.user` is the Partner, `request.auth` the ApiKey.

    A missing header is not an error here (the permission answers 401 with "unauthenticated");
    a present but malformed, unknown or revoked key is always 401 "invalid_api_key", with the
    same message so the reason cannot be probed.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != BEARER.lower() or not raw.strip():
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header; send `Authorization: Bearer <api key>`."
            )
        api_key = api_key_authenticate(raw_key=raw.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid, unknown or revoked API key.")
        return api_key.partner, api_key

    def authenticate_header(self, request):
        # Having a header makes DRF answer 401 (not 403) to unauthenticated requests.
        return f'{BEARER} realm="api"'


class HasApiKey(permissions.BasePermission):
    message = "Authentication required; send `Authorization: Bearer <api key>`."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey)


class ApiKeyThrottle(throttling.SimpleRateThrottle):
    """A rate per API key (by its public prefix), shared by all workers through the cache."""

    scope = "api_key"

    def get_rate(self):
        # Read at request time (not class definition) so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer",
            "description": "A partner API key (`tk_…`), created with `manage.py partner_create`.",
        }
