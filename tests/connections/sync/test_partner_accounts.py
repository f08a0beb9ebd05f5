"""Two partners, each with its own Rutter organization, Stripe platform and Plaid team, served by
one sandbox at once: each links, syncs, receives webhooks and reconciles through its own keys,
and nothing signed or keyed for one ever touches the other's connections."""

from __future__ import annotations

import base64
import json
import time

import pytest

from connections.models import Connection, SyncRun, WebhookEvent
from connections.webhook_signatures import rutter_signature, stripe_signature
from ledger import models as L
from reconciliation.models import Match
from reconciliation.services.runs import reconcile_company
from sandbox.state import Credentials
from sandbox.world import world_from_dict
from tests.api.conftest import ApiClient
from tests.connections.sync.conftest import ACCT, ITEM, SHOP, WOO, link_all, sync_all, sync_world

EMPTY_WORLD = {"format": "tieout.world/1", "company": {"name": "Deployment"}, "rutter": [], "stripe": [],
               "plaid": [], "events": []}
# Each partner's world names its own connections (Rutter and Stripe ids are global at the provider).
RENAMED = (SHOP, WOO, "tok-shop", "pub-shop", "tok-woo", "pub-woo", ACCT, "ac_sync_code", ITEM,
           "access-sandbox-sync", "public-sandbox-sync")


def partner_world(tag: str) -> dict:
    world = sync_world()
    # Deposits for one Stripe payout and one Shopify payout, so reconciliation has work to do.
    world["plaid"][0]["transactions"] += [
        {"transaction_id": "dep-stripe", "account_id": "acc-1", "amount": -282.30, "iso_currency_code": "USD",
         "date": "2025-03-03", "name": "STRIPE TRANSFER", "pending": False, "pending_transaction_id": None},
        {"transaction_id": "dep-shop", "account_id": "acc-1", "amount": -368.65, "iso_currency_code": "USD",
         "date": "2025-03-05", "name": "SHOPIFY PAYOUT", "pending": False, "pending_transaction_id": None}]
    text = json.dumps(world)
    for value in RENAMED:
        text = text.replace(f'"{value}"', f'"{renamed(value, tag)}"')
    return json.loads(text)


def renamed(value: str, tag: str) -> str:
    if value in (SHOP, WOO):  # Rutter connection ids are UUIDs
        return tag * 8 + value[8:]
    return f"{value}{tag.upper()}" if value.startswith("acct_") else f"{value}-{tag}"


def credentials(tag: str) -> Credentials:
    return Credentials(
        rutter_client_id=f"rutter_org_{tag}", rutter_client_secret=f"rutter_secret_{tag}_" + "r" * 24,
        rutter_public_key=f"rutter_pk_{tag}", stripe_secret_key=f"sk_test_platform_{tag}_" + "s" * 24,
        stripe_client_id=f"ca_platform_{tag}", stripe_webhook_secret=f"whsec_{tag}_" + "w" * 24,
        stripe_platform_account=f"acct_1Platform{tag.upper()}", plaid_client_id=f"plaid_team_{tag}",
        plaid_secret=f"plaid_secret_{tag}_" + "p" * 24)


def configure(api: ApiClient, c: Credentials) -> dict:
    """The partner sends its keys through the API; each PUT is checked with the provider first."""
    out = {}
    for provider, body in (
            ("rutter", {"client_id": c.rutter_client_id, "secret": c.rutter_client_secret,
                        "public_key": c.rutter_public_key, "environment": "sandbox"}),
            ("stripe", {"client_id": c.stripe_client_id, "secret_key": c.stripe_secret_key,
                        "webhook_secret": c.stripe_webhook_secret, "environment": "test"}),
            ("plaid", {"client_id": c.plaid_client_id, "secret": c.plaid_secret, "environment": "sandbox"})):
        response = api.request("put", f"/api/v1/provider-settings/{provider}/", body)
        assert response.status_code == 200, response.content
        out[provider] = response.json()
    return out


class KeyLog:
    """A sandbox observer: which credentials came with each request naming a connection."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []  # (connection named, credential presented)

    def __call__(self, provider, req, resp):
        if provider == "rutter" and req.query.get("access_token"):
            user = base64.b64decode(req.header("authorization")[6:]).decode().split(":")[0]
            self.seen.append((req.query["access_token"], user))
        elif provider == "stripe" and req.header("stripe-account"):
            self.seen.append((req.header("stripe-account"), req.bearer() or ""))
        elif provider == "plaid" and (req.json() or {}).get("access_token"):
            self.seen.append((req.json()["access_token"], req.json()["client_id"]))


@pytest.fixture
def two_platforms(alice, bob, live_world, live_server):
    """The deployment's own accounts (an empty world) plus alice's and bob's partner accounts."""
    live = live_world(EMPTY_WORLD)
    worlds, platforms = {}, {}
    for tenant, tag in ((alice, "a"), (bob, "b")):
        worlds[tag] = partner_world(tag)
        platforms[tag] = live.server.add_platform(
            world_from_dict(worlds[tag]), credentials=credentials(tag),
            webhook_url=f"{live_server.url}/webhooks", webhook_suffix=f"/{tenant.partner.public_id}")
    log = KeyLog()
    live.server.observers.append(log)
    return live, worlds, platforms, log


def _quietly(platform, work):
    # Link-time webhooks are not under test here (on SQLite the live server shares the test's
    # in-memory database connection): keep them out while linking and the first sync.
    url, platform.webhook_url = platform.webhook_url, None
    work()
    platform.webhook_url = url


def test_two_partners_link_sync_receive_webhooks_and_reconcile_through_their_own_accounts(
        alice, bob, two_platforms):
    live, worlds, platforms, log = two_platforms
    tenants = {"a": alice, "b": bob}
    for tag, tenant in tenants.items():
        shown = configure(ApiClient(tenant.raw_key), credentials(tag))
        assert shown["stripe"]["platform_account"] == f"acct_1Platform{tag.upper()}"
        _quietly(platforms[tag], lambda t=tenant, w=worlds[tag]: (link_all(t.company, w), sync_all(t.company)))

    for tag, tenant in tenants.items():
        refs = set(Connection.objects.filter(company=tenant.company).values_list("external_id", flat=True))
        assert refs == {renamed(v, tag) for v in (SHOP, WOO, ACCT, ITEM)}
        assert not Connection.objects.filter(company=tenant.company).exclude(status="ready").exists()
        assert L.Payout.objects.filter(company=tenant.company, external_id="po_0").exists()
        assert L.Invoice.objects.filter(company=tenant.company, external_id="o1").exists()

    # Webhooks: each platform signs with its own secrets and posts to its partner's own URLs.
    for platform in platforms.values():
        platform.apply_events()
        assert platform.flush_webhooks(timeout=60)
    for tenant in tenants.values():
        c = tenant.company
        assert L.PayoutItem.objects.get(company=c, external_id="t900").payout.external_id == "p9"
        assert L.Payout.objects.get(company=c, external_id="po_2").status == "failed"
        assert L.BankTransaction.objects.filter(company=c, external_id="post-1").exists()
        events = WebhookEvent.objects.filter(company=c)
        assert set(events.values_list("status", flat=True)) == {"processed"}
        assert set(events.values_list("partner", flat=True)) == {tenant.partner.pk}
    assert not WebhookEvent.objects.filter(status="rejected").exists()

    for tenant in tenants.values():
        run = reconcile_company(company=tenant.company)
        assert run.status == "succeeded", run.error
        matched = set(Match.objects.filter(company=tenant.company).values_list(
            "bank_transaction__external_id", flat=True))
        assert {"dep-stripe", "dep-shop"} <= matched, matched

    # Every request naming a connection carried its own partner's credential, never the other's.
    own = {}
    for tag in tenants:
        c, w = credentials(tag), worlds[tag]
        own |= {r["access_token"]: c.rutter_client_id for r in w["rutter"]}
        own |= {s["account_id"]: c.stripe_secret_key for s in w["stripe"]}
        own |= {p["access_token"]: c.plaid_client_id for p in w["plaid"]}
    assert log.seen and {named for named, _ in log.seen} == set(own)
    wrong = [(named, key[:14]) for named, key in log.seen if own[named] != key]
    assert not wrong, wrong


def _stripe_event(account: str) -> dict:
    return {"id": f"evt_forged_{account}", "object": "event", "type": "payout.paid", "account": account,
            "created": int(time.time()), "data": {"object": {"id": "po_0", "object": "payout"}}}


def test_a_webhook_signed_with_one_partners_secret_for_anothers_account_is_refused_with_nothing_stored(
        client, alice, bob, two_platforms):
    live, worlds, platforms, _ = two_platforms
    for tag, tenant in (("a", alice), ("b", bob)):
        configure(ApiClient(tenant.raw_key), credentials(tag))
        _quietly(platforms[tag], lambda t=tenant, w=worlds[tag]: (link_all(t.company, w), sync_all(t.company)))
    bob_account, bob_shop = renamed(ACCT, "b"), renamed(SHOP, "b")
    runs, events = SyncRun.objects.count(), WebhookEvent.objects.count()
    a = credentials("a")

    stripe_body = json.dumps(_stripe_event(bob_account)).encode()
    stripe_sig = stripe_signature(stripe_body, a.stripe_webhook_secret, timestamp=int(time.time()))
    rutter_body = json.dumps({"type": "CONNECTION", "code": "CONNECTION_NEEDS_UPDATE",
                              "connection_id": bob_shop}).encode()
    rutter_sig = rutter_signature(rutter_body, a.rutter_client_secret)

    def post(provider, partner, body, **headers):
        where = f"/webhooks/{provider}" + (f"/{partner.public_id}" if partner else "")
        return client.post(where, data=body, content_type="application/json", **headers)

    # On bob's URLs: verified with bob's secrets, so alice's signature fails.
    refused = post("stripe", bob.partner, stripe_body, HTTP_STRIPE_SIGNATURE=stripe_sig)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_signature"
    assert post("rutter", bob.partner, rutter_body, HTTP_X_RUTTER_SIGNATURE=rutter_sig).status_code == 400
    # On the deployment's URLs: verified with the deployment's secrets; fails too.
    assert post("stripe", None, stripe_body, HTTP_STRIPE_SIGNATURE=stripe_sig).status_code == 400
    assert post("rutter", None, rutter_body, HTTP_X_RUTTER_SIGNATURE=rutter_sig).status_code == 400
    # On alice's URLs the signature holds, but bob's connections are not alice's: answered, dropped.
    dropped = post("stripe", alice.partner, stripe_body, HTTP_STRIPE_SIGNATURE=stripe_sig)
    assert dropped.status_code == 200 and dropped.json() == {"status": "ignored"}
    assert post("rutter", alice.partner, rutter_body, HTTP_X_RUTTER_SIGNATURE=rutter_sig).json() == {
        "status": "ignored"}

    new = WebhookEvent.objects.order_by("id")[events:]
    assert [e.status for e in new] == ["rejected"] * 4  # evidence of the forgeries only
    assert all(bytes(e.body) == b"" and e.company_id is None and e.connection_id is None for e in new)
    assert SyncRun.objects.count() == runs
    assert set(Connection.objects.filter(company=bob.company).values_list("status", flat=True)) == {"ready"}
    assert b"whsec_" not in b"".join(str(e.headers).encode() + e.error.encode() for e in new)


def test_a_partner_without_its_own_accounts_keeps_the_deployments(alice, bob, two_platforms):
    """Bob brings keys, alice does not: alice's calls go to the deployment's accounts (whose world
    is empty: her link is refused there), bob's to his own."""
    live, worlds, platforms, _ = two_platforms
    configure(ApiClient(bob.raw_key), credentials("b"))
    _quietly(platforms["b"], lambda: link_all(bob.company, worlds["b"]))
    from connections.providers.errors import ProviderError
    from connections.services import connection_link_rutter

    with pytest.raises(ProviderError):  # pub-shop-b exists only in bob's organization
        connection_link_rutter(company=alice.company, public_token="pub-shop-b")
    assert not Connection.objects.filter(company=alice.company).exists()
    assert Connection.objects.filter(company=bob.company).count() == 4
