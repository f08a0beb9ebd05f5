"""Linking a bank through Plaid Link: Tieout creates the link token server-side (with the item's
webhook URL), Link hands back a public_token for the chosen item, linking exchanges it."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import override_settings

from connections.models import Connection
from connections.providers.errors import AuthError
from connections.services import connection_link_plaid, plaid_link_token_create
from tests.connections.sync.conftest import ITEM, sync_world


def _sent(live, token: str):
    return live.server.state.plaid_link_tokens[token]


def test_it_creates_a_link_token_naming_the_company_and_the_webhook(alice, bob, live_world):
    live = live_world(sync_world())
    with override_settings(TIEOUT_PUBLIC_URL="https://tieout.example/"):
        token = plaid_link_token_create(company=alice.company)
    sent = _sent(live, token)
    assert token.startswith("link-sandbox-")
    assert sent.client_user_id == str(alice.company.public_id) and sent.products == ("transactions",)
    assert sent.webhook == "https://tieout.example/webhooks/plaid" and sent.item_id is None
    assert _sent(live, plaid_link_token_create(company=bob.company)).client_user_id == str(bob.company.public_id)

    with override_settings(TIEOUT_PUBLIC_URL=""):  # no public URL: no webhook (polling only)
        assert _sent(live, plaid_link_token_create(company=alice.company)).webhook is None


def test_it_links_the_item_chosen_in_link_with_its_webhook(alice, live_world):
    live = live_world(sync_world())
    with override_settings(TIEOUT_PUBLIC_URL="https://tieout.example"):
        token = plaid_link_token_create(company=alice.company)
    resp = httpx.post(live.server.plaid_base_url + "/link",
                      data={"token": token, "item": ITEM, "redirect_uri": "http://app.test/cb"})
    public_token = parse_qs(urlsplit(resp.headers["location"]).query)["public_token"][0]
    connection = connection_link_plaid(company=alice.company, public_token=public_token)
    assert (connection.company_id, connection.external_id) == (alice.company.pk, ITEM)
    assert live.server.state.plaid[ITEM].webhook == "https://tieout.example/webhooks/plaid"
    assert not Connection.objects.exclude(company=alice.company).exists()


def test_it_reports_bad_plaid_credentials_when_creating_a_link_token(alice, live_world):
    live_world(sync_world(), sync_settings={"PLAID_SECRET": "wrong"})
    with pytest.raises(AuthError) as caught:
        plaid_link_token_create(company=alice.company)
    assert caught.value.code == "INVALID_API_KEYS"
