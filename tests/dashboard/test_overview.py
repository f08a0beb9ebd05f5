"""The Overview never adds money across currencies: figures per currency, each with its code."""

from decimal import Decimal

from tests import factories as F
from tests.dashboard.conftest import deposit_with_payout, headers, url


def test_it_shows_figures_per_currency_and_no_cross_currency_sum(client, alice):
    deposit_with_payout(alice.company, platform="SHOPIFY")  # USD: sales 1,250.00
    cad = F.PayoutFactory(company=alice.company, platform="SHOPIFY", currency="CAD", amount=Decimal("500.00"))
    F.PayoutItemFactory(company=alice.company, payout=cad, kind="sale", amount=Decimal("500.00"),
                        fee=Decimal("0"), currency="CAD")
    F.BankTransactionFactory(company=alice.company, amount=Decimal("360.00"), currency="CAD", status="unreconciled")

    page = client.get(url(alice.company, "overview"), **headers(alice)).content.decode()

    assert 'data-currency="USD"' in page and 'data-currency="CAD"' in page
    assert "Gross sales (CAD)" in page and "500.00 CAD" in page
    assert "1,250.00 USD" in page
    assert "1,750.00" not in page  # the cross-currency sum it used to show
    assert "Bank deposits (CAD)" in page and "Platform payouts (USD)" in page
