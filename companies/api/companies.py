"""Companies (the partner's businesses) and the embed sessions that open their dashboard."""

from datetime import timedelta

from django.conf import settings
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from companies.api.base import CompanyApi, PartnerApi, QueryFilterBackend
from companies.api.errors import Conflict
from companies.api.output import RowOutput
from companies.api.pagination import KeysetPagination
from companies.models import Company, EmbedSession, validate_timezone
from companies.selectors import company_list_for_partner
from companies.services import (
    CompanyHasBooks,
    company_create,
    company_delete,
    company_update,
    embed_session_create,
    embed_sessions_revoke,
)

# Where the embedded dashboard starts a session (served by the dashboard app).
EMBED_PATH = "/embed/"


class CompanyOutput(RowOutput):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Company
        fields = ["id", "name", "base_currency", "timezone", "external_id", "created_at"]


class CompanyFilter(filters.FilterSet):
    external_id = filters.CharFilter(help_text="The partner's own id for the business.")

    class Meta:
        model = Company
        fields = ["external_id"]


class CompanyListApi(PartnerApi, ListModelMixin, GenericAPIView):
    """The partner's companies (GET) and a new company (POST)."""

    pagination_class = KeysetPagination
    filter_backends = [QueryFilterBackend]
    filterset_class = CompanyFilter
    ordering = ("name", "id")
    serializer_class = CompanyOutput

    class CompanyCreateInput(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        base_currency = serializers.RegexField(
            r"^[A-Za-z]{3}$", default="USD",
            error_messages={"invalid": "Use an ISO 4217 code like USD."},
        )
        timezone = serializers.CharField(max_length=64, default="UTC", validators=[validate_timezone])
        external_id = serializers.CharField(max_length=200, default="", allow_blank=True)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Company.objects.none()
        return company_list_for_partner(partner=self.partner)

    def get(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CompanyOutput(rows, many=True).data)

    @extend_schema(request=CompanyCreateInput, responses={201: CompanyOutput})
    def post(self, request, *args, **kwargs):
        data = _valid(self.CompanyCreateInput, request.data)
        _check_external_id(self.partner, data["external_id"])
        company = company_create(partner=self.partner, **data)
        return Response(CompanyOutput(company).data, status=status.HTTP_201_CREATED)


class CompanyDetailApi(CompanyApi):
    """One company: read, change its profile, or delete it while it has no books."""

    http_method_names = ["get", "patch", "delete", "options"]

    class CompanyUpdateInput(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
        external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(responses=CompanyOutput)
    def get(self, request, *args, **kwargs):
        return Response(CompanyOutput(self.company).data)

    @extend_schema(request=CompanyUpdateInput, responses=CompanyOutput)
    def patch(self, request, *args, **kwargs):
        data = _valid(self.CompanyUpdateInput, request.data)
        if data.get("external_id"):
            _check_external_id(self.partner, data["external_id"], exclude=self.company)
        return Response(CompanyOutput(company_update(company=self.company, **data)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, *args, **kwargs):
        try:
            company_delete(company=self.company)
        except CompanyHasBooks as exc:
            raise Conflict(
                "This company has books (synced data, entries or connections) and cannot be "
                "deleted.", code="company_has_books", details={"held_by": str(exc).split(", ")},
            ) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmbedSessionCreateApi(CompanyApi):
    """Mint a single-use client secret that opens this company's embedded dashboard."""

    class EmbedSessionInput(serializers.Serializer):
        permissions = serializers.ListField(
            child=serializers.ChoiceField(choices=EmbedSession.PERMISSIONS),
            default=[EmbedSession.READ], min_length=1, max_length=2,
        )
        ttl_seconds = serializers.IntegerField(min_value=60, max_value=3600, default=600)

    class EmbedSessionOutput(serializers.Serializer):
        id = serializers.UUIDField(source="session.public_id")
        client_secret = serializers.CharField(help_text="Single use; shown once.")
        expires_at = serializers.DateTimeField(source="session.expires_at")
        permissions = serializers.ListField(child=serializers.CharField(), source="session.permissions")
        embed_url = serializers.CharField(help_text="Open in an iframe on an allowed origin.")

    @extend_schema(request=EmbedSessionInput, responses={201: EmbedSessionOutput})
    def post(self, request, *args, **kwargs):
        data = _valid(self.EmbedSessionInput, request.data)
        session, secret = embed_session_create(
            company=self.company, permissions=data["permissions"],
            ttl=timedelta(seconds=data["ttl_seconds"]), api_key=request.auth,
        )
        base = getattr(settings, "TIEOUT_PUBLIC_URL", "") or request.build_absolute_uri("/")
        # In the fragment: browsers never send it, so no access log on the way holds the secret.
        embed_url = f"{base.rstrip('/')}{EMBED_PATH}#client_secret={secret}"
        payload = {"session": session, "client_secret": secret, "embed_url": embed_url}
        return Response(self.EmbedSessionOutput(payload).data, status=status.HTTP_201_CREATED)


class EmbedSessionRevokeApi(CompanyApi):
    """Revoke one embed session: the dashboard it opened stops at its next request."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        if not embed_sessions_revoke(company=self.company, public_id=kwargs["session_id"]):
            raise exceptions.NotFound("No live embed session with this id.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmbedSessionRevokeAllApi(CompanyApi):
    """Revoke every embed session of the company (say, when a user leaves it). Revoking an API
    key also ends every session that key minted."""

    class RevokedOutput(serializers.Serializer):
        revoked = serializers.IntegerField()

    @extend_schema(request=None, responses={200: RevokedOutput})
    def post(self, request, *args, **kwargs):
        return Response({"revoked": embed_sessions_revoke(company=self.company)})


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _check_external_id(partner, external_id: str, exclude=None) -> None:
    if not external_id:
        return
    taken = company_list_for_partner(partner=partner).filter(external_id=external_id)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise serializers.ValidationError(
            {"external_id": ["You already have a company with this external_id."]}
        )
