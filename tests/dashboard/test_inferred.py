"""An inferred suggestion (platform transactions grouped by the engine, no payout object yet)
opens into its lines like an explicit payout, and the lines add up to the deposit."""

import re
from decimal import Decimal

import pytest

from ledger.models import PayoutItem
from reconciliation.models import Match, MatchStatus
from tests import factories as F
from tests.dashboard.conftest import headers, inferred_suggestion, url


def _subtotals(response) -> list[Decimal]:
    return [Decimal(v.decode()) for v in re.findall(rb'data-subtotal="([-\d.]+)"', response.content)]


def test_it_opens_an_inferred_suggestion_into_its_lines(client, alice):
    bank, items, _ = inferred_suggestion(alice.company)
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    assert response.status_code == 200
    assert sum(_subtotals(response)) == bank.amount
    assert b"Adds up to the deposit" in response.content
    assert b"Etsy transactions" in response.content and b"grouped from 3 transactions" in response.content
    for label in (b"Orders paid", b"Refunds", b"Processing fees", b"Order order-0", b"Order order-1"):
        assert label in response.content


def test_it_shows_an_fx_difference_of_an_inferred_suggestion(client, alice):
    bank, _, match = inferred_suggestion(alice.company)
    Match.objects.filter(pk=match.pk).update(fx_difference=Decimal("-1.25"))
    bank.amount -= Decimal("1.25")
    bank.save()
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    assert sum(_subtotals(response)) == bank.amount
    assert b"Currency conversion difference" in response.content


def test_it_never_shows_another_companys_items_with_the_same_refs(client, alice, bob):
    bank, items, match = inferred_suggestion(alice.company)
    # Bob's items under the same source and ids must not leak into alice's breakdown.
    for item in items:
        F.PayoutItemFactory(company=bob.company, payout=None, source=item.source, external_id=item.external_id,
                            kind="sale", amount=Decimal("9999.00"), fee=Decimal("0"))
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    assert b"9,999.00" not in response.content
    assert sum(_subtotals(response)) == bank.amount


def test_it_says_so_when_an_inferred_item_is_gone(client, alice):
    bank, items, _ = inferred_suggestion(alice.company)
    PayoutItem.objects.filter(pk=items[0].pk).delete()
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    assert response.status_code == 200
    assert b"Does not add up to the deposit" in response.content


@pytest.mark.parametrize("n", [2, 50])
def test_it_opens_an_inferred_suggestion_in_a_fixed_number_of_queries(client, alice, django_assert_num_queries, n):
    bank, _, _ = inferred_suggestion(alice.company, sales=[Decimal("10.00")] * n)
    # company, bank line, matches, links (none), connection platform, items, payments, refunds
    auth = headers(alice)  # minting the session is not the page's cost
    with django_assert_num_queries(8):
        response = client.get(url(alice.company, "breakdown", pk=bank.pk), **auth)
    assert response.status_code == 200


def test_the_review_card_opens_the_same_lines(client, alice):
    bank, _, match = inferred_suggestion(alice.company)
    response = client.get(url(alice.company, "review"), **headers(alice))
    card = re.search(rf'<article class="card" id="match-{match.pk}".*?</article>'.encode(), response.content, re.S)
    assert card and b"3 platform transactions" in card.group(0)
    assert url(alice.company, "breakdown", pk=bank.pk).encode() in card.group(0)


def test_the_transactions_row_of_an_inferred_suggestion_expands(client, alice):
    bank, _, _ = inferred_suggestion(alice.company)
    response = client.get(url(alice.company, "transactions"), **headers(alice))
    row = re.search(rf'<tr id="txn-{bank.pk}".*?</tr>'.encode(), response.content, re.S).group(0)
    assert b'class="expand"' in row and b"(from transactions)" in row
    assert url(alice.company, "breakdown", pk=bank.pk).encode() in row


def test_it_still_adds_up_once_the_inferred_suggestion_is_accepted(client, alice):
    bank, _, match = inferred_suggestion(alice.company)
    accepted = client.post(url(alice.company, "accept", pk=match.pk), **headers(alice))
    assert b"Matched and booked" in accepted.content, accepted.content
    assert Match.objects.get(pk=match.pk).status == MatchStatus.APPLIED
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    assert sum(_subtotals(response)) == bank.amount
    assert b"Adds up to the deposit" in response.content
