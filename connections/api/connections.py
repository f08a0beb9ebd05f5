
"""A company's connections over the partner API: status, linking, syncing, disconnecting.

Linking takes the one-time token the provider's Link flow handed the partner's front end (Rutter,
Plaid) or starts Stripe's OAuth flow. Linking does not sync: POST …/sync/ (or wait for the
scheduled poll, which picks up every connection pending its initial sync).
"""

from urllib.parse import urlencode

from django.conf import settings
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from companies.api.base import CompanyApi, CompanyDetailApi, CompanyListApi
from companies.api.errors import ApiError, Conflict
from companies.api.output import RowOutput
from companies.api.schema import ErrorSerializer
from companies.api.tasks import queue_task
from connections.models import Connection, ConnectionStatus, Provider, SyncRun
from connections.providers.errors import AuthError, ProviderError
from connections.selectors import connection_get, connection_list_with_latest_sync, sync_run_list
from connections.services import (
    STRIPE_GO_PATH,
    LinkError,
    connection_disconnect,
    connection_link_plaid,
    connection_link_rutter,
    connection_link_stripe,
    connection_link_stripe_account,
    stripe_oauth_start_url,
    stripe_oauth_ticket,
    stripe_redirect_uri,
)

PROVIDER_ERRORS = {
    "400": OpenApiResponse(ErrorSerializer, description="invalid_public_token, or another refused link."),
    "502": OpenApiResponse(ErrorSerializer, description="provider_unavailable: the provider failed; retry."),
}


class SyncRunOutput(RowOutput):
    connection = serializers.IntegerField(source="connection_id", read_only=True)

    class Meta:
        model = SyncRun
        fields = ["id", "connection", "kind", "status", "started_at", "finished_at", "duration_ms",
                  "pages", "records", "deleted", "counts", "progress_entity", "errors"]


class ConnectionOutput(RowOutput):
    latest_sync = serializers.SerializerMethodField(help_text="The most recent sync run, if any.")

    class Meta:
        model = Connection
        fields = ["id", "provider", "platform", "display_name", "status", "created_at",
                  "last_synced_at", "last_error", "latest_sync"]

    @extend_schema_field(SyncRunOutput(allow_null=True))
    def get_latest_sync(self, connection):
        runs = getattr(connection, "latest_sync_runs", None)
        if runs is None:  # not read through connection_list_with_latest_sync (e.g. just linked)
            runs = sync_run_list(company=connection.company, connection_id=connection.pk).order_by("-started_at", "-id")[:1]
        return SyncRunOutput(runs[0]).data if runs else None


class ConnectionFilter(filters.FilterSet):
    provider = filters.ChoiceFilter(choices=Provider.choices)
    status = filters.ChoiceFilter(choices=ConnectionStatus.choices)

    class Meta:
        model = Connection
        fields = ["provider", "status"]


class ConnectionListApi(CompanyListApi):
    """The company's connections with their status and latest sync run."""

    selector = connection_list_with_latest_sync
    model = Connection
    ordering = ("id",)
    filterset_class = ConnectionFilter
    OutputSerializer = ConnectionOutput


class ConnectionDetailApi(CompanyDetailApi):
    selector = connection_list_with_latest_sync
    model = Connection
    lookup_url_kwarg = "connection_id"
    OutputSerializer = ConnectionOutput


class PublicTokenInput(serializers.Serializer):
    public_token = serializers.CharField(max_length=500, help_text="From the provider's Link flow.")


class _LinkApi(CompanyApi):
    link = None  # connection_link_rutter / connection_link_plaid

    def post(self, request, *args, **kwargs):
        data = _valid(PublicTokenInput, request.data)
        with provider_errors():
            connection = type(self).link(company=self.company, public_token=data["public_token"])
        return Response(ConnectionOutput(connection).data, status=status.HTTP_201_CREATED)


class RutterLinkApi(_LinkApi):
    """Link a store through Rutter with the `public_token` Rutter Link returned (re-linking repairs)."""

    link = staticmethod(connection_link_rutter)

    @extend_schema(request=PublicTokenInput, responses={201: ConnectionOutput, **PROVIDER_ERRORS})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class PlaidLinkApi(_LinkApi):
    """Link a bank item with the `public_token` Plaid Link returned; its bank accounts appear at once."""

    link = staticmethod(connection_link_plaid)

    @extend_schema(request=PublicTokenInput, responses={201: ConnectionOutput, **PROVIDER_ERRORS})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


STRIPE_CALLBACK_PATH = "/embed/connect/stripe/callback/"


class StripeOAuthStartApi(CompanyApi):
    """Where to send the user to link a Stripe account (Stripe Connect OAuth).

    Stripe sends the user back to the one redirect URI registered in the platform's Connect
    settings (`STRIPE_REDIRECT_URI`; by default this deployment's own callback
    `/embed/connect/stripe/callback/`, which links the account itself). If that is a page of
    yours instead, POST the `code` and `state` it receives to …/connections/stripe/.
    """

    class StripeOAuthStartInput(serializers.Serializer):
        redirect_uri = serializers.CharField(max_length=1000, required=False, help_text=(
            "Optional; if given it must be the registered redirect URI (Stripe accepts no other)."))

    class StripeOAuthStartOutput(serializers.Serializer):
        url = serializers.URLField(help_text="Open it in the user's browser: a one-time link (2 minutes) "
                                   "that goes on to Stripe's authorize page.")

    @extend_schema(request=StripeOAuthStartInput, responses={200: StripeOAuthStartOutput})
    def post(self, request, *args, **kwargs):
        asked = _valid(self.StripeOAuthStartInput, request.data).get("redirect_uri")
        registered = stripe_redirect_uri()
        if asked and asked != registered:
            raise serializers.ValidationError({"redirect_uri": [
                f"Stripe returns users only to the redirect URI registered for this deployment "
                f"({registered or 'the one in the Stripe Connect settings'}); omit redirect_uri."
            ]})
        with provider_errors():
            if registered and not registered.endswith(STRIPE_CALLBACK_PATH):
                # Your own page gets `code` and `state`, and POSTs them to …/connections/stripe/.
                url = stripe_oauth_start_url(company=self.company)
            else:
                # This deployment's callback finishes the link, in the browser that opened this
                # URL only: it first pins a nonce there (a one-time link), then goes to Stripe.
                ticket = stripe_oauth_ticket(company=self.company, extra={"p": "stripe"})
                base = settings.TIEOUT_PUBLIC_URL or request.build_absolute_uri("/")
                url = f"{base.rstrip('/')}{STRIPE_GO_PATH}?{urlencode({'t': ticket})}"
        return Response(self.StripeOAuthStartOutput({"url": url}).data)


class StripeLinkApi(CompanyApi):
    """Finish a Stripe link: the `code` and `state` Stripe sent to the registered redirect URI."""

    class StripeLinkInput(serializers.Serializer):
        code = serializers.CharField(max_length=500)
        state = serializers.CharField(max_length=2000)

    @extend_schema(request=StripeLinkInput, responses={201: ConnectionOutput, **PROVIDER_ERRORS})
    def post(self, request, *args, **kwargs):
        data = _valid(self.StripeLinkInput, request.data)
        with provider_errors():  # a state of another company: 400 state_company_mismatch
            connection = connection_link_stripe(company=self.company, state=data["state"], code=data["code"])
        return Response(ConnectionOutput(connection).data, status=status.HTTP_201_CREATED)


class StripeAccountLinkApi(CompanyApi):
    """Link a Stripe account already connected to your platform, by its id: for partners whose own
    Stripe integration connected it. Tieout first reads the account with your platform's key; an
    account your platform cannot read is refused (400 `stripe_account_not_accessible`)."""

    class StripeAccountInput(serializers.Serializer):
        account_id = serializers.RegexField(r"^acct_[A-Za-z0-9]{1,200}$", help_text="acct_…")

    @extend_schema(request=StripeAccountInput, responses={201: ConnectionOutput, **PROVIDER_ERRORS})
    def post(self, request, *args, **kwargs):
        data = _valid(self.StripeAccountInput, request.data)
        with provider_errors():
            connection = connection_link_stripe_account(company=self.company, account_id=data["account_id"])
        return Response(ConnectionOutput(connection).data, status=status.HTTP_201_CREATED)


class SyncStartOutput(serializers.Serializer):
    task_id = serializers.CharField(allow_null=True, help_text="The queued task (null only when it "
                                    "ran inline and failed).")
    sync_run = SyncRunOutput(allow_null=True, help_text="The run, when it already finished.")


class ConnectionSyncApi(CompanyApi):
    """Queue a sync of one connection (initial or incremental, from where it stands)."""

    @extend_schema(request=None, responses={202: SyncStartOutput, 409: OpenApiResponse(
        ErrorSerializer, description="connection_disabled: link it again first.")})
    def post(self, request, *args, **kwargs):
        connection = _connection(self)
        if connection.status == ConnectionStatus.DISABLED:
            raise Conflict("This connection is disconnected; link it again before syncing.",
                           code="connection_disabled")
        task_id, inline = queue_task("connections.tasks.sync_connection", connection.pk)
        run = None
        if inline:  # the queue ran it already (tests, single-process setups): show its run
            run = (sync_run_list(company=self.company, connection_id=connection.pk)
                   .filter(started_at__gte=inline).order_by("-id").first())
        return Response(SyncStartOutput({"task_id": task_id, "sync_run": run}).data,
                        status=status.HTTP_202_ACCEPTED)


class ConnectionDisconnectApi(CompanyApi):
    """Stop syncing: the connection is disabled and its access token erased. The books stay."""

    @extend_schema(request=None, responses={200: ConnectionOutput})
    def post(self, request, *args, **kwargs):
        connection = _connection(self)
        connection_disconnect(connection=connection)
        return Response(ConnectionOutput(_connection(self)).data)


class provider_errors:  # noqa: N801 - used as a context manager
    """Link and provider failures as the API's errors: 400 for what the caller sent, 502 for us."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, LinkError):
            raise ApiError(str(exc), code=exc.code) from exc
        if isinstance(exc, ProviderError):
            details = {"provider": exc.provider, "provider_code": exc.code or ""}
            if exc.retryable or isinstance(exc, AuthError) or (exc.status or 500) >= 500:
                raise ApiError(f"{exc.provider.title()} is unavailable or refused our credentials; retry later.",
                               code="provider_unavailable", details=details, status_code=502) from exc
            raise ApiError(f"{exc.provider.title()} refused the token: {exc.message or exc.code}.",
                           code="invalid_public_token", details=details) from exc
        return False


def _connection(view) -> Connection:
    from rest_framework.exceptions import NotFound

    connection = connection_get(company=view.company, connection_id=view.kwargs["connection_id"]) \
        if 0 < int(view.kwargs["connection_id"]) < 2**63 else None
    if connection is None:
        raise NotFound("No connection with this id.")
    return connection


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
