"""A partner's own provider accounts over the partner API: /api/v1/provider-settings/<provider>/.

GET shows the settings masked (never a secret: only its hint); PUT sets them (every secret the
provider needs), PATCH changes some (send only a new secret to rotate it); both are checked with
the provider before anything is saved. DELETE goes back to the deployment's account.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from companies.api.base import PartnerApi
from companies.api.errors import ApiError, Conflict
from companies.api.schema import ErrorSerializer
from connections.credentials import partner_account
from connections.models import Provider, ProviderAccount
from connections.providers.errors import ProviderError
from connections.services.linking import stripe_redirect_uri
from connections.services.provider_accounts import (
    ProviderAccountInUse,
    ProviderKeysRefused,
    ProviderSettingsInvalid,
    provider_account_clear,
    provider_account_set,
)

# The secret fields of each provider's input, in the API's words -> the service's arguments.
SECRET_FIELDS = {"rutter": {"secret": "secret"}, "plaid": {"secret": "secret"},
                 "stripe": {"secret_key": "secret", "webhook_secret": "webhook_secret"}}


# Provider credentials are printable ASCII without spaces.
TOKEN = r"^[\x21-\x7e]+$"


def _secret(help_text: str):
    return serializers.RegexField(TOKEN, max_length=500, write_only=True, required=False,
                                  help_text=help_text + " Write-only: never returned.")


def _public(help_text: str = "", **kwargs):
    return serializers.RegexField(TOKEN, max_length=255, help_text=help_text, **kwargs)


class RutterSettingsInput(serializers.Serializer):
    client_id = _public("Rutter dashboard → API Keys.")
    secret = _secret("The organization's client secret (it also signs Rutter's webhooks).")
    public_key = _public("Rutter Link's public key (for the embedded dashboard).", required=False)
    environment = serializers.ChoiceField(choices=["sandbox", "production"])


class StripeSettingsInput(serializers.Serializer):
    client_id = _public("Connect client id, ca_….")
    secret_key = _secret("The platform's secret key, sk_… (or restricted rk_…).")
    webhook_secret = _secret("The signing secret (whsec_…) of the Connect webhook endpoint you "
                             "registered at /webhooks/stripe/<your partner id>.")
    environment = serializers.ChoiceField(choices=["test", "live"], help_text="The key's mode.")


class PlaidSettingsInput(serializers.Serializer):
    client_id = _public("Plaid dashboard → Team settings → Keys.")
    secret = _secret("The secret of the chosen environment.")
    environment = serializers.ChoiceField(choices=["sandbox", "production"])


INPUTS = {"rutter": RutterSettingsInput, "stripe": StripeSettingsInput, "plaid": PlaidSettingsInput}


class ProviderSettingsOutput(serializers.Serializer):
    provider = serializers.CharField()
    source = serializers.ChoiceField(choices=["partner", "deployment"], help_text=(
        "partner: your own account is used; deployment: you have none, the deployment's is used."))
    client_id = serializers.CharField(allow_null=True)
    environment = serializers.CharField(allow_null=True)
    public_key = serializers.CharField(allow_null=True, required=False)
    secret_hint = serializers.CharField(allow_null=True, help_text="The secret, masked (sk_test_…7x2Q).")
    webhook_secret_hint = serializers.CharField(allow_null=True, required=False)
    platform_account = serializers.CharField(allow_null=True, required=False,
                                             help_text="Stripe: your platform's own account id.")
    webhook_url = serializers.CharField(help_text="Register this URL with the provider.")
    redirect_uri = serializers.CharField(allow_null=True, required=False,
                                         help_text="Stripe: the redirect URI to register for Connect OAuth.")
    validated_at = serializers.DateTimeField(allow_null=True)


def settings_output(*, provider: str, partner, account: ProviderAccount | None, base: str) -> dict:
    own = account is not None
    out = {
        "provider": provider, "source": "partner" if own else "deployment",
        "client_id": account.client_id if own else None, "environment": account.environment if own else None,
        "secret_hint": account.secret_hint if own else None,
        "validated_at": account.validated_at if own else None,
        "webhook_url": f"{base}/webhooks/{provider}/{partner.public_id}",
    }
    if provider == "rutter":
        out["public_key"] = account.public_key if own else None
    if provider == "stripe":
        out["webhook_secret_hint"] = (account.webhook_secret_hint or None) if own else None
        out["platform_account"] = (account.platform_account or None) if own else None
        out["redirect_uri"] = stripe_redirect_uri() or None
    return out


class ProviderSettingsApi(PartnerApi):
    """Your own Rutter organization, Stripe platform or Plaid team (one subclass per provider)."""

    provider = ""

    def _provider(self) -> str:
        return self.provider

    def _out(self, provider: str) -> Response:
        base = (settings.TIEOUT_PUBLIC_URL or self.request.build_absolute_uri("/")).rstrip("/")
        account = partner_account(partner_id=self.partner.pk, provider=provider)
        return Response(settings_output(provider=provider, partner=self.partner, account=account, base=base))

    @extend_schema(responses={200: ProviderSettingsOutput})
    def get(self, request, *args, **kwargs):
        return self._out(self._provider())

    def _save(self, request, *, partial: bool) -> Response:
        provider = self._provider()
        serializer = INPUTS[provider](data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        current = partner_account(partner_id=self.partner.pk, provider=provider)
        if partial and current is None:
            raise NotFound(f"No {provider} settings yet: PUT them first.")
        secrets = {arg: data.pop(name) for name, arg in SECRET_FIELDS[provider].items() if name in data}
        try:
            provider_account_set(
                partner=self.partner, provider=provider,
                client_id=data.get("client_id", current.client_id if current else ""),
                environment=data.get("environment", current.environment if current else ""),
                public_key=data.get("public_key"), **secrets)
        except ProviderSettingsInvalid as exc:
            raise ApiError(f"Invalid input. {exc.field}: {exc}", code="validation_error",
                           details={exc.field: [str(exc)]}) from exc
        except ProviderKeysRefused as exc:
            raise ApiError(f"{provider.title()} refused these keys: {exc}", code="provider_keys_refused",
                           details={"provider": provider, "provider_code": exc.provider_code}) from exc
        except ProviderAccountInUse as exc:
            raise Conflict(str(exc), code="provider_account_in_use") from exc
        except ProviderError as exc:
            raise ApiError(f"{provider.title()} could not be reached to check the keys; retry later.",
                           code="provider_unavailable", status_code=502,
                           details={"provider": provider, "provider_code": exc.code or ""}) from exc
        return self._out(provider)

    @extend_schema(responses={
        200: ProviderSettingsOutput, 400: OpenApiResponse(ErrorSerializer, description=(
            "validation_error, or provider_keys_refused: the provider refused the keys (nothing saved).")),
        409: OpenApiResponse(ErrorSerializer, description="provider_account_in_use"),
        502: OpenApiResponse(ErrorSerializer, description="provider_unavailable: the provider could not "
                             "be reached to check the keys (nothing saved); retry.")})
    def put(self, request, *args, **kwargs):
        return self._save(request, partial=False)

    @extend_schema(responses={200: ProviderSettingsOutput, 400: OpenApiResponse(ErrorSerializer),
                              404: OpenApiResponse(ErrorSerializer), 409: OpenApiResponse(ErrorSerializer),
                              502: OpenApiResponse(ErrorSerializer)})
    def patch(self, request, *args, **kwargs):
        return self._save(request, partial=True)

    @extend_schema(request=None, responses={200: ProviderSettingsOutput, 409: OpenApiResponse(
        ErrorSerializer, description="provider_account_in_use: disconnect its connections first.")})
    def delete(self, request, *args, **kwargs):
        provider = self._provider()
        try:
            provider_account_clear(partner=self.partner, provider=provider)
        except ProviderAccountInUse as exc:
            raise Conflict(str(exc), code="provider_account_in_use") from exc
        return self._out(provider)


class RutterSettingsApi(ProviderSettingsApi):
    """Your own Rutter organization: client id, secret, Link public key, environment."""

    provider = "rutter"
    serializer_class = RutterSettingsInput  # the request body of PUT/PATCH in the schema


class StripeSettingsApi(ProviderSettingsApi):
    """Your own Stripe platform: Connect client id, secret key, webhook signing secret, mode."""

    provider = "stripe"
    serializer_class = StripeSettingsInput


class PlaidSettingsApi(ProviderSettingsApi):
    """Your own Plaid team: client id, secret, environment."""

    provider = "plaid"
    serializer_class = PlaidSettingsInput


class ProviderSettingsListApi(PartnerApi):
    """The settings of every provider, masked."""

    @extend_schema(responses={200: ProviderSettingsOutput(many=True)})
    def get(self, request, *args, **kwargs):
        base = (settings.TIEOUT_PUBLIC_URL or request.build_absolute_uri("/")).rstrip("/")
        rows = [settings_output(provider=p, partner=self.partner, base=base,
                                account=partner_account(partner_id=self.partner.pk, provider=p))
                for p in Provider.values]
        return Response(rows, status=status.HTTP_200_OK)
