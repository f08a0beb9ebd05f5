"""What was learned about a store connection, read-only over the partner API."""

from reconciliation.services.learning import learned_behaviour_refresh
from tests import factories as F
from tests.api.conftest import v1
from tests.reconciliation.services.test_learning import _weekly_shop


def test_it_shows_what_was_learned_about_a_store(alice, bob, alice_api):
    shop = _weekly_shop(alice.company)
    learned_behaviour_refresh(company=alice.company)
    body = alice_api.get(v1(alice.company, f"connections/{shop.pk}/learned/")).json()
    assert body["summary"].startswith("Learned: paid out weekly on Mondays, lands +2 business days")
    assert (body["connection"], body["deposits"], body["cadence"], body["weekday"], body["lag_days"]) == (
        shop.pk, 6, "weekly", 0, 2)
    assert body["tokens"] == ["SHOPIFY", "PAYMENTS", "DES", "TRANSFER"] and body["since"] is None


def test_a_new_store_is_still_learning_and_others_are_not_found(alice, bob, alice_api):
    new_shop = F.ConnectionFactory(company=alice.company, platform="ETSY")
    body = alice_api.get(v1(alice.company, f"connections/{new_shop.pk}/learned/")).json()
    assert (body["summary"], body["deposits"], body["cadence"]) == ("Still learning (0 deposits)", 0, "")
    bank = F.ConnectionFactory(company=alice.company, provider="plaid", platform="")
    theirs = _weekly_shop(bob.company)
    for pk in (bank.pk, theirs.pk, 2**63):
        assert alice_api.get(v1(alice.company, f"connections/{pk}/learned/")).status_code == 404
    assert alice_api.post(v1(alice.company, f"connections/{new_shop.pk}/learned/")).status_code == 405
