"""Linking, token encryption, the sync and setup_schedules commands, selectors."""

import io
import time
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_q.models import Schedule

from connections import selectors
from connections.models import Connection
from connections.services import (
    LinkError,
    connection_link_stripe,
    stripe_oauth_start_url,
    stripe_oauth_state_read,
    stripe_redirect_uri,
)
from connections.services.linking import STRIPE_STATE_MAX_AGE
from ledger import models as L
from tests.connections.sync.conftest import link_all, sync_world


def test_it_stores_access_tokens_encrypted(alice, live_world):
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    shop = Connection.objects.get(company=alice.company, platform="SHOPIFY")
    assert shop.access_token == "tok-shop"
    assert "tok-shop" not in shop.access_token_encrypted and shop.access_token_encrypted
    assert L.Account.objects.filter(company=alice.company, role="clearing", source=shop.ref).exists()
    bank = L.BankAccount.objects.get(company=alice.company)
    assert bank.ledger_account.role == "bank" and bank.ledger_account.source == bank.ref


def test_it_relinks_without_duplicating(alice, live_world):
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    link_all(alice.company, world)
    assert Connection.objects.filter(company=alice.company).count() == 4


def test_it_refuses_a_forged_stripe_state(alice, live_world):
    live_world(sync_world())
    with pytest.raises(LinkError) as err:
        connection_link_stripe(company=alice.company, state="forged-state", code="ac_sync_code")
    assert err.value.code == "state_invalid"
    url = stripe_oauth_start_url(company=alice.company)
    assert url.startswith("http://127.0.0.1:") and "state=" in url
    assert not Connection.objects.exists()


def _state(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_it_sends_stripe_the_one_registered_redirect_uri_and_carries_its_data_in_state(alice, live_world):
    live = live_world(sync_world())
    query = _state(stripe_oauth_start_url(company=alice.company, extra={"p": "stripe", "s": "embed-1"}))
    registered = live.server.credentials.stripe_redirect_uri
    assert query["redirect_uri"] == registered  # exactly: no query of ours appended
    assert (query["scope"], query["response_type"]) == ("read_write", "code")
    read = stripe_oauth_state_read(query["state"])
    assert read == {"company": alice.company, "extra": {"p": "stripe", "s": "embed-1"}}
    with override_settings(STRIPE_REDIRECT_URI="", TIEOUT_PUBLIC_URL="https://books.example/"):
        assert stripe_redirect_uri() == "https://books.example/embed/connect/stripe/callback/"
    with override_settings(STRIPE_REDIRECT_URI="", TIEOUT_PUBLIC_URL=""):
        # Nothing configured: leave it out, Stripe then uses the one registered.
        assert "redirect_uri" not in _state(stripe_oauth_start_url(company=alice.company))


def test_it_refuses_an_expired_stripe_state(alice, live_world):
    live_world(sync_world())
    state = _state(stripe_oauth_start_url(company=alice.company))["state"]
    with patch("django.core.signing.time.time", return_value=time.time() + STRIPE_STATE_MAX_AGE + 5), \
            pytest.raises(LinkError) as err:
        stripe_oauth_state_read(state)
    assert err.value.code == "state_expired"


def test_it_never_links_a_stripe_account_into_a_company_the_state_does_not_name(alice, bob, live_world):
    live = live_world(sync_world())
    bobs_state = _state(stripe_oauth_start_url(company=bob.company))["state"]
    with pytest.raises(LinkError) as err:
        connection_link_stripe(company=alice.company, state=bobs_state, code="ac_sync_code")
    assert err.value.code == "state_company_mismatch"
    assert not Connection.objects.exists()
    assert live.server.oauth_codes_spent == []  # refused before the single-use code was spent
    linked = connection_link_stripe(company=bob.company, state=bobs_state, code="ac_sync_code")
    assert live.server.oauth_codes_spent == ["ac_sync_code"]
    assert linked.company_id == bob.company.pk


def test_it_syncs_from_the_command_with_progress(alice, bob, live_world):
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    out, err = io.StringIO(), io.StringIO()
    call_command("sync", company=alice.company.pk, stdout=out, stderr=err)
    assert out.getvalue().count("succeeded") == 4
    assert L.PayoutItem.objects.filter(company=alice.company).count() > 0
    assert not L.PayoutItem.objects.filter(company=bob.company).exists()


def test_it_sets_up_schedules_idempotently(db):
    call_command("setup_schedules", stdout=io.StringIO())
    call_command("setup_schedules", minutes=5, stdout=io.StringIO())
    schedule = Schedule.objects.get()
    # The poll runs each minute and queues the connections whose minute it is (every 5 min each).
    assert (schedule.func, schedule.minutes, schedule.args) == ("connections.tasks.poll_connections", 1, "(5,)")


def test_it_shows_only_the_companys_connections(alice, bob, live_world):
    world = sync_world()
    live_world(world)
    link_all(bob.company, world)
    assert not selectors.connection_list(company=alice.company).exists()
    assert len(selectors.sync_progress(company=bob.company)) == 4
