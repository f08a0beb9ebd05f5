"""Every page costs a fixed number of queries, whatever the number of rows (no N+1)."""

import datetime as dt
from decimal import Decimal

import pytest

from reconciliation.models import MatchStatus
from tests.dashboard.conftest import deposit_with_payout, headers, url

# Queries per request: token → company (1) + the page's own reads.
EXPECTED = {
    "transactions": 5,  # platforms, bank lines, matches, match payouts + payouts
    "review": 10,  # suggestions (+links) and their count, applied (+links), unmatched deposits and their count, rules, categorized lines
    # newest bank line (the window), rollup marks, item months (rollup + the marked months live), bank
    # months (rollup + marked months live), payouts by month; 2 fewer once refreshed (below)
    "overview": 8,
    "connections": 6,  # running syncs, connections, fee schedules, what was learned, the partner's own Rutter account (Link's public key)
    "close": 5,  # newest bank line (default month), accounts, sums per account, open lines
}


def _world(company, n):
    for i in range(n):
        status = MatchStatus.SUGGESTED if i % 3 == 0 else MatchStatus.APPLIED
        deposit_with_payout(company, day=dt.date(2025, 1, 1) + dt.timedelta(days=i * 3), status=status,
                            platform=("SHOPIFY", "AMAZON", "ETSY")[i % 3])
        from tests import factories as F

        F.BankTransactionFactory(company=company, amount=Decimal("12.34") + i, date=dt.date(2025, 2, 1))


@pytest.mark.parametrize("page", sorted(EXPECTED))
@pytest.mark.parametrize("rows", [2, 50])
def test_it_costs_a_fixed_number_of_queries(client, alice, django_assert_num_queries, page, rows):
    _world(alice.company, rows)
    auth = headers(alice)  # minting the session is not the page's cost
    with django_assert_num_queries(EXPECTED[page]):
        response = client.get(url(alice.company, page), **auth)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [2, 50])
def test_the_overview_reads_only_rollups_once_they_are_refreshed(client, alice, django_assert_num_queries, rows):
    from ledger.services.rollups import rollups_refresh

    _world(alice.company, rows)
    assert rollups_refresh(company=alice.company) > 0
    auth = headers(alice)
    with django_assert_num_queries(6):  # token, window, marks (none), item months, bank months, payouts
        response = client.get(url(alice.company, "overview"), **auth)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [2, 50])
def test_it_opens_a_deposit_in_a_fixed_number_of_queries(client, alice, django_assert_num_queries, rows):
    bank, _, _ = deposit_with_payout(alice.company, sales=[Decimal("10.00")] * rows)
    auth = headers(alice)  # minting the session is not the page's cost
    with django_assert_num_queries(7):  # company, bank line, matches, links+payouts, items, payments, refunds
        response = client.get(url(alice.company, "breakdown", pk=bank.pk), **auth)
    assert response.status_code == 200
