"""Connections in the dashboard: human names, Sync now and Disconnect, through the same services."""

from connections.models import Connection, SyncRun
from connections.services import connection_link_plaid
from reconciliation.services.learning import learned_behaviour_refresh
from tests import factories as F
from tests.connections.sync.conftest import ITEM, live_world, sync_world  # noqa: F401
from tests.dashboard.conftest import headers, url
from tests.reconciliation.services.test_learning import _weekly_shop


def test_a_bank_is_named_by_its_accounts_and_syncs_and_disconnects_from_the_dashboard(client, alice, live_world):  # noqa: F811
    live_world(sync_world())
    bank = connection_link_plaid(company=alice.company, public_token="public-sandbox-sync")
    assert bank.display_name == "Checking ••0001"

    page = client.get(url(alice.company, "connections"), **headers(alice)).content.decode()
    assert "Checking ••0001" in page and "Sync now" in page

    synced = client.post(url(alice.company, "connection_sync", pk=bank.pk), HTTP_HX_REQUEST="true", **headers(alice))
    assert synced.status_code == 200 and 'id="connection-list"' in synced.content.decode()
    assert SyncRun.objects.filter(connection=bank, status="succeeded").exists()

    read_only = client.post(url(alice.company, "connection_disconnect", pk=bank.pk), **headers(alice, ["read"]))
    assert read_only.status_code == 403
    gone = client.post(url(alice.company, "connection_disconnect", pk=bank.pk), HTTP_HX_REQUEST="true",
                       **headers(alice))
    assert gone.status_code == 200
    bank = Connection.objects.get(pk=bank.pk)
    assert bank.status == "disabled" and bank.access_token_encrypted == ""
    assert "Sync now" not in gone.content.decode()


def test_another_companys_connection_cannot_be_touched(client, alice, bob):
    theirs = F.ConnectionFactory(company=bob.company)
    for name in ("connection_sync", "connection_disconnect"):
        assert client.post(url(alice.company, name, pk=theirs.pk), **headers(alice)).status_code == 404
    assert Connection.objects.get(pk=theirs.pk).status == theirs.status


def test_an_orders_only_stores_fee_schedule_is_shown_and_forgotten_on_disconnect(client, alice, bob):
    from decimal import Decimal

    from django.utils.timezone import now

    from reconciliation.models import FeeSchedule
    from tests import factories as F

    store = F.ConnectionFactory(company=alice.company, platform="BIG_COMMERCE", display_name="Big store")
    FeeSchedule.objects.create(company=alice.company, connection=store, rate=Decimal("0.0259"),
                               fixed=Decimal("0.49"), currency="USD", source="person",
                               confirmed_by="alice@example.com", confirmed_at=now())
    theirs = F.ConnectionFactory(company=bob.company, platform="SQUARESPACE", display_name="Bob's")
    FeeSchedule.objects.create(company=bob.company, connection=theirs, rate=Decimal("0.07"),
                               fixed=Decimal("0.11"), source="learned", deposits=9)
    page = client.get(url(alice.company, "connections"), **headers(alice)).content.decode()
    assert "Gateway fees: 2.59% + 0.49 USD per order" in page and "confirmed by alice@example.com" in page
    assert "7.00%" not in page
    client.post(url(alice.company, "connection_disconnect", pk=store.pk), HTTP_HX_REQUEST="true", **headers(alice))
    assert not FeeSchedule.objects.filter(connection=store).exists()
    assert FeeSchedule.objects.filter(connection=theirs).exists()


def test_the_connections_page_shows_what_was_learned(client, alice, bob):
    shop = _weekly_shop(alice.company)
    new_shop = F.ConnectionFactory(company=alice.company, platform="ETSY", display_name="Etsy shop")
    F.ConnectionFactory(company=alice.company, provider="plaid", platform="", display_name="Checking ••0001")
    theirs = _weekly_shop(bob.company, weeks=5)
    learned_behaviour_refresh(company=alice.company)
    learned_behaviour_refresh(company=bob.company)
    page = client.get(url(alice.company, "connections"), **headers(alice)).content.decode()
    assert "Learned: paid out weekly on Mondays, lands +2 business days" in page
    assert "(from 6 deposits)" in page and "(from 5 deposits)" not in page
    assert page.count("Still learning (0 deposits)") == 1  # the new Etsy shop; the bank has none
    assert shop.pk != theirs.pk and new_shop.pk
