"""Base views and routing for the partner API. Scoping fails closed:

- every view under /api/v1/ is a `PartnerApi` (API key auth, throttle, idempotent POSTs);
  `config/api_urls.py` refuses to start if one is not;
- a view under `companies/<company_id>/` is a `CompanyApi`: the company is resolved once, from the
  partner's own companies, before any handler runs (someone else's company is a 404), and handlers
  read `self.company`;
- list/detail views declare a `@scoped` selector instead of a queryset, and may not override
  `get_queryset`, so the only rows they can reach are that company's.
"""

from django.core.exceptions import ImproperlyConfigured
from django.urls import path
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import idempotency
from companies.api.auth import ApiKeyAuthentication, ApiKeyThrottle, HasApiKey
from companies.api.errors import exception_handler
from companies.api.pagination import KeysetPagination
from companies.api.parsers import StrictJSONParser
from companies.selectors import company_get_for_partner

COMPANY_KWARG = "company_id"
COMPANY_PREFIX = f"companies/<uuid:{COMPANY_KWARG}>/"
MAX_ID = 2**63 - 1


class PartnerApi(APIView):
    """An endpoint a partner calls with its API key. `self.partner` is the caller."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [StrictJSONParser]
    _idempotency = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticate, permit, throttle
        self.partner = request.user
        self.resolve_scope(request, kwargs)
        key = request.headers.get(idempotency.HEADER)
        if request.method == "POST" and key is not None:
            self._idempotency = idempotency.idempotency_begin(
                api_key=request.auth, key=key, method=request.method, path=request.path,
                body=request._request.body,
            )

    def resolve_scope(self, request, kwargs) -> None:
        """Hook for narrower scopes (see CompanyApi)."""

    def get_exception_handler(self):
        return exception_handler  # the one error format, whatever the project defaults say

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        record, self._idempotency = self._idempotency, None
        if record is not None:
            idempotency.idempotency_finish(
                record=record, status_code=response.status_code, data=getattr(response, "data", None)
            )
        return super().finalize_response(request, response, *args, **kwargs)


class CompanyApi(PartnerApi):
    """An endpoint under /companies/<company_id>/: `self.company` is the partner's own company."""

    def resolve_scope(self, request, kwargs) -> None:
        if COMPANY_KWARG not in kwargs:
            raise ImproperlyConfigured(f"{type(self).__name__} must be mounted with company_path()")
        company = company_get_for_partner(partner=self.partner, public_id=kwargs[COMPANY_KWARG])
        if company is None:
            raise exceptions.NotFound("No company with this id.")
        self.company = company


class QueryFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the query string names none of the filters (the common case:
    building and validating the filter form is a sixth of a list request's CPU)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class _ScopedRows(CompanyApi, GenericAPIView):
    """Rows of one company from a `@scoped` selector (set as `selector = some_selector`)."""

    selector = None
    model = None  # only for schema generation, where there is no company

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or "queryset" in cls.__dict__:
            raise ImproperlyConfigured(f"{cls.__name__}: declare a @scoped `selector`, not a queryset")
        fn = cls.__dict__.get("selector")
        if fn is not None:
            if not getattr(fn, "is_scoped", False):
                raise ImproperlyConfigured(f"{cls.__name__}.selector must be a @scoped selector")
            cls.selector = staticmethod(fn)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.selector(company=self.company)

    def get_serializer_class(self):
        return self.OutputSerializer


class CompanyListApi(ListModelMixin, _ScopedRows):
    """GET a keyset-paginated, filterable list. Set `ordering` (ending with id) and `filterset_class`.

    (ListModelMixin only tells the schema generator this is a list; `get` does the work.)
    """

    pagination_class = KeysetPagination
    filter_backends = [QueryFilterBackend]
    ordering = ("-id",)

    def get(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.OutputSerializer(rows, many=True).data)


class CompanyDetailApi(_ScopedRows):
    """GET one row by the id in `lookup_url_kwarg`, looked up inside the company's rows."""

    lookup_url_kwarg = None  # e.g. "payout_id", the <int:…> of the route
    filter_backends = []

    def get_object(self):
        pk = self.kwargs[self.lookup_url_kwarg]
        row = None
        if 0 < int(pk) <= MAX_ID:  # larger ids cannot exist (and overflow SQLite's INTEGER)
            row = self.get_queryset().filter(pk=pk).first()
        if row is None:
            raise exceptions.NotFound("Not found.")
        return row

    def get(self, request, *args, **kwargs):
        return Response(self.OutputSerializer(self.get_object()).data)


def partner_path(route: str, view, name: str):
    if not issubclass(view, PartnerApi) or issubclass(view, CompanyApi):
        raise ImproperlyConfigured(f"{view.__name__} must be a PartnerApi (not a CompanyApi)")
    return path(route, view.as_view(), name=name)


def company_path(route: str, view, name: str):
    """Mount a CompanyApi under companies/<uuid:company_id>/ (the only way to mount one)."""
    if not issubclass(view, CompanyApi):
        raise ImproperlyConfigured(f"{view.__name__} must be a CompanyApi to be mounted per company")
    return path(COMPANY_PREFIX + route, view.as_view(), name=name)
