"""Linking, token encryption, the sync and setup_schedules commands, selectors."""

import io

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from connections import selectors
from connections.models import Connection
from connections.services import LinkError, connection_link_stripe, stripe_oauth_start_url
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
        connection_link_stripe(state="forged-state", code="ac_sync_code")
    assert err.value.code == "state_invalid"
    url = stripe_oauth_start_url(company=alice.company, redirect_uri="http://127.0.0.1/cb")
    assert url.startswith("http://127.0.0.1:") and "state=" in url
    assert not Connection.objects.exists()


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
    assert (schedule.func, schedule.minutes) == ("connections.tasks.poll_connections", 5)


def test_it_shows_only_the_companys_connections(alice, bob, live_world):
    world = sync_world()
    live_world(world)
    link_all(bob.company, world)
    assert not selectors.connection_list(company=alice.company).exists()
    assert len(selectors.sync_progress(company=bob.company)) == 4
