"""Linking a company's Rutter connections, Stripe accounts and Plaid items.

Each link exchanges the one-time token the provider's Link/OAuth flow handed the browser, stores
the connection with its access token encrypted, and creates its accounts in the books (a clearing
account per store connection, a ledger bank account per Plaid account). Linking again is
idempotent: the same connection is updated, never duplicated.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction

from companies.models import Company
from connections.models import Connection, ConnectionStatus, Provider
from connections.services.clients import client_for
from connections.services.sync import connection_set_status
from connections.services.tokens import token_encrypt
from connections.signals import connection_reset
from ledger.models import BankAccount
from ledger.services import chart_of_accounts_create, clearing_account_for

STRIPE_STATE_SALT = "tieout.connections.stripe-oauth"
STRIPE_STATE_MAX_AGE = 600  # seconds a user may spend on Stripe's authorize page
STRIPE_CALLBACK_PATH = "/embed/connect/stripe/callback/"  # the dashboard's callback (dashboard/urls.py)


class LinkError(ValueError):
    """A link attempt we refuse (bad or expired state, …); `code` is machine-readable."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


@transaction.atomic
def _connection_save(*, company: Company, provider: str, external_id: str, platform: str,
                     display_name: str, access_token: str, status: str) -> Connection:
    chart_of_accounts_create(company=company)
    connection, created = Connection.objects.select_for_update().get_or_create(
        company=company, provider=provider, external_id=external_id,
        defaults={"platform": platform, "display_name": display_name, "status": status},
    )
    connection.platform = platform or connection.platform
    connection.display_name = display_name or connection.display_name
    if access_token:
        connection.access_token_encrypted = token_encrypt(access_token)
    if not created and connection.status in (ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.ERROR,
                                             ConnectionStatus.DISABLED):
        connection.status = status  # re-linking is how a user repairs a connection
    connection.save()
    if provider != Provider.PLAID:
        clearing_account_for(company=company, source=connection.ref,
                             name=connection.display_name or connection.ref)
        if not created:  # a relink starts over: what was learned about the store is reset
            connection_reset.send(sender=Connection, company_id=company.pk, connection_id=connection.pk,
                                  reason="relinked")
    return connection


def connection_link_rutter(*, company: Company, public_token: str) -> Connection:
    with client_for("rutter", partner_id=company.partner_id) as client:
        result = client.exchange_public_token(public_token)
    platform = result.get("platform") or ""
    return _connection_save(
        company=company, provider=Provider.RUTTER, external_id=result["connection_id"],
        platform=platform, display_name=result.get("store_unique_name") or result.get("store_name") or platform,
        access_token=result["access_token"], status=ConnectionStatus.PENDING_INITIAL_SYNC,
    )


def stripe_redirect_uri() -> str:
    """The one redirect URI registered with Stripe: `STRIPE_REDIRECT_URI`, else this deployment's
    own callback under `TIEOUT_PUBLIC_URL`, else "" (Stripe then uses the one registered)."""
    explicit = getattr(settings, "STRIPE_REDIRECT_URI", "")
    public = getattr(settings, "TIEOUT_PUBLIC_URL", "")
    return explicit or (public.rstrip("/") + STRIPE_CALLBACK_PATH if public else "")


def stripe_oauth_start_url(*, company: Company, extra: dict | None = None) -> str:
    """Where to send the user to link a Stripe account.

    Stripe sends the user back to the one registered redirect URI (an exact match is required,
    so it carries no query of ours); everything Tieout needs back rides in Stripe's `state`,
    signed and bound to `company`: `extra` is the caller's own data (say, the dashboard's), handed
    back by `stripe_oauth_state_read`.
    """
    payload = {"company": company.pk, **({"extra": extra} if extra else {})}
    state = signing.dumps(payload, salt=STRIPE_STATE_SALT, compress=True)
    with client_for("stripe", partner_id=company.partner_id) as client:  # the partner's own platform
        return client.oauth_authorize_url(state=state, redirect_uri=stripe_redirect_uri() or None,
                                          scope="read_write")


STRIPE_GO_SALT = "tieout.connections.stripe-go"
STRIPE_GO_MAX_AGE = 120  # seconds between asking for the link and the user's window opening it
STRIPE_GO_PATH = "/embed/connect/stripe/go/"  # the dashboard's view that spends a ticket


def stripe_browser_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def stripe_oauth_ticket(*, company: Company, extra: dict | None = None) -> str:
    """A one-time ticket for the user's window: Tieout's go page pins a random nonce in that
    browser (a cookie) and sends it to Stripe with the nonce's digest in the signed state; the
    callback links only in the browser holding the nonce, so a state that leaks from it (or is
    replayed elsewhere) links nothing into any company."""
    nonce = secrets.token_urlsafe(24)
    url = stripe_oauth_start_url(company=company, extra={**(extra or {}), "b": stripe_browser_digest(nonce)})
    return signing.dumps({"u": url, "n": nonce}, salt=STRIPE_GO_SALT, compress=True)


def stripe_oauth_ticket_spend(ticket: str) -> tuple[str, str]:
    """(Stripe's authorize URL, the browser nonce) of a ticket, once and for STRIPE_GO_MAX_AGE."""
    try:
        payload = signing.loads(ticket, salt=STRIPE_GO_SALT, max_age=STRIPE_GO_MAX_AGE)
    except signing.BadSignature as exc:
        raise LinkError("ticket_invalid", "This connect link has expired. Start again.") from exc
    if not cache.add(f"stripe-go:{stripe_browser_digest(payload['n'])}", 1, timeout=STRIPE_GO_MAX_AGE * 2):
        raise LinkError("ticket_used", "This connect link was already used. Start again.")
    return payload["u"], payload["n"]


def stripe_oauth_browser_check(*, state: dict, nonce: str) -> None:
    """Refuse (LinkError `state_elsewhere`) a state completed in another browser than its own."""
    expected = str(state["extra"].get("b", ""))
    if not nonce or not expected or not hmac.compare_digest(stripe_browser_digest(nonce), expected):
        raise LinkError("state_elsewhere", "This Stripe link was started in another browser. Start again.")


def stripe_oauth_state_read(state: str) -> dict:
    """Verify a `state` Stripe handed back: {"company": Company, "extra": dict}.

    Raises LinkError `state_expired` (older than STRIPE_STATE_MAX_AGE) or `state_invalid`.
    """
    try:
        payload = signing.loads(state, salt=STRIPE_STATE_SALT, max_age=STRIPE_STATE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkError("state_expired", "the Stripe link took too long; start again") from exc
    except signing.BadSignature as exc:
        raise LinkError("state_invalid", "the Stripe link state is not ours") from exc
    company = Company.objects.select_related("partner").filter(pk=payload.get("company")).first()
    if company is None:
        raise LinkError("state_invalid", "the Stripe link state names no company")
    extra = payload.get("extra")
    return {"company": company, "extra": extra if isinstance(extra, dict) else {}}


def connection_link_stripe(*, company: Company, state: str, code: str) -> Connection:
    """The OAuth callback: verify our signed state names `company`, then spend the single-use code.

    A state started for another company (leaked, or replayed by someone else) is refused before
    the code is spent or anything saved: it must never link an account into `company`.
    """
    if stripe_oauth_state_read(state)["company"].pk != company.pk:
        raise LinkError("state_company_mismatch", "This Stripe link was started for another company.")
    with client_for("stripe", partner_id=company.partner_id) as client:
        result = client.oauth_exchange_code(code)
        account_id = result["stripe_user_id"]
        try:
            account = client.account(account_id)
        except Exception:  # the display name is a nicety; the link stands without it
            account = {}
    return _stripe_connection_save(company=company, account_id=account_id, account=account)


def _stripe_connection_save(*, company: Company, account_id: str, account: dict) -> Connection:
    name = (account.get("business_profile") or {}).get("name") or account.get("email") or account_id
    # Calls use the platform key with Stripe-Account, so no per-account token is stored.
    return _connection_save(
        company=company, provider=Provider.STRIPE, external_id=account_id, platform="STRIPE",
        display_name=name, access_token="", status=ConnectionStatus.READY,
    )


STRIPE_ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]{1,200}$")


def connection_link_stripe_account(*, company: Company, account_id: str) -> Connection:
    """Link an account already connected to the partner's Stripe platform, by its `acct_…` id.

    The account is first retrieved with the partner's own key (GET /v1/accounts/{id}): an account
    the platform cannot read — not connected to it, deauthorized, or another platform's — is
    refused (LinkError `stripe_account_not_accessible`) and nothing is saved.
    """
    from connections.providers.errors import NeedsReauth, ProviderError

    if not STRIPE_ACCOUNT_ID.match(account_id or ""):
        raise LinkError("invalid_account_id", "A Stripe account id looks like acct_1A2b3C….")
    with client_for("stripe", partner_id=company.partner_id) as client:
        try:
            account = client.retrieve_account(account_id)
        except ProviderError as exc:
            if isinstance(exc, NeedsReauth) or exc.status in (403, 404):  # 401: our key, not the account
                raise LinkError("stripe_account_not_accessible", f"Your Stripe platform cannot read "
                                f"{account_id}: it is not connected to the platform whose key Tieout "
                                "holds for you (or access was revoked).") from exc
            raise
    if account.get("id") != account_id:
        raise LinkError("stripe_account_not_accessible", f"Stripe did not return {account_id}.")
    return _stripe_connection_save(company=company, account_id=account_id, account=account)


def plaid_webhook_url(company: Company | None = None) -> str | None:
    """Where Plaid sends an item's webhooks: <TIEOUT_PUBLIC_URL>/webhooks/plaid, or
    …/webhooks/plaid/<partner id> for a partner with its own Plaid team (verified with its keys)."""
    from connections.credentials import partner_account

    public = (getattr(settings, "TIEOUT_PUBLIC_URL", "") or "").rstrip("/")
    if not public:
        return None
    if company is not None and partner_account(partner_id=company.partner_id, provider="plaid"):
        return f"{public}/webhooks/plaid/{company.partner.public_id}"
    return f"{public}/webhooks/plaid"


def plaid_link_token_create(*, company: Company) -> str:
    """A Plaid `link_token` to open Link with for `company` (valid 4 hours).

    Plaid Link cannot open without one (https://plaid.com/docs/link/web/). The token asks for
    the `transactions` product, names the company only by its opaque public id
    (`user.client_user_id`, which Plaid says must not be PII) and carries the item's webhook URL
    when TIEOUT_PUBLIC_URL is set, so Plaid's SYNC_UPDATES_AVAILABLE reaches /webhooks/plaid.
    """
    with client_for("plaid", partner_id=company.partner_id) as client:
        result = client.link_token_create(
            client_name=settings.PLAID_CLIENT_NAME, language=settings.PLAID_LANGUAGE,
            country_codes=list(settings.PLAID_COUNTRY_CODES), client_user_id=str(company.public_id),
            products=["transactions"], webhook=plaid_webhook_url(company),
            redirect_uri=settings.PLAID_REDIRECT_URI or None,
        )
    return result["link_token"]


def connection_link_plaid(*, company: Company, public_token: str) -> Connection:
    from connections.services.context import SyncContext
    from connections.services.plaid_sync import plaid_accounts_sync

    with client_for("plaid", partner_id=company.partner_id) as client:
        result = client.exchange_public_token(public_token)
        connection = _connection_save(
            company=company, provider=Provider.PLAID, external_id=result["item_id"], platform="PLAID",
            display_name="", access_token=result["access_token"],
            status=ConnectionStatus.PENDING_INITIAL_SYNC,
        )
        # Bank accounts (and their ledger accounts) exist as soon as the item is linked.
        plaid_accounts_sync(SyncContext(connection=connection, run=None, client=client))
    if not connection.display_name:  # a name a person recognizes: "Checking ••0001, Savings ••4321"
        accounts = BankAccount.objects.filter(company=company, source=connection.ref).order_by("pk")
        name = ", ".join(f"{a.name or 'Account'} ••{a.mask}" if a.mask else (a.name or "Account") for a in accounts)
        if name:
            Connection.objects.filter(pk=connection.pk).update(display_name=name[:200])
            connection.display_name = name[:200]
    return connection


@transaction.atomic
def connection_disconnect(*, connection: Connection, reason: str = "disconnected by partner") -> None:
    """Stop syncing a connection: disabled, its access token erased. Its books stay as they are."""
    connection_set_status(connection=connection, status=ConnectionStatus.DISABLED, error=reason)
    Connection.objects.filter(pk=connection.pk, company_id=connection.company_id).update(access_token_encrypted="")
    connection_reset.send(sender=Connection, company_id=connection.company_id, connection_id=connection.pk,
                          reason="disconnected")
