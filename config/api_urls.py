"""The partner API, mounted at /api/ by config/urls.py.

To add an app's endpoints: give it `<app>/api/urls.py` with `company_path(...)` routes (see
companies/api/base.py) and add one line to V1 below. Every route under v1/ must be a PartnerApi
view; this module refuses to load otherwise, and tests/api/test_tenant_isolation.py walks every
route automatically.
"""

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from companies.api.base import PartnerApi
from companies.api.errors import not_found

V1 = [
    path("", include("companies.api.urls")),
    path("", include("ledger.api.urls")),
    path("", include("connections.api.urls")),
    path("", include("reconciliation.api.urls")),
]


def _assert_partner_views(patterns, prefix="v1/"):
    """Fail closed: a view mounted under v1/ that is not a PartnerApi has no auth or scoping."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _assert_partner_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None)
            if view_class is None or not issubclass(view_class, PartnerApi):
                raise ImproperlyConfigured(f"/api/{prefix}{pattern.pattern} is not a PartnerApi view")


_assert_partner_views(V1)

urlpatterns = [
    path("v1/", include(V1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(r"^.*$", not_found),
]
