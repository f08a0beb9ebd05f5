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


def test_it_covers_the_twelve_months_to_the_newest_line_and_counts_only_open_deposits(client, alice):
    """A year of monthly figures, read with the database's own month function (Django's
    TruncMonth is a Python call per row on SQLite: seconds at a million lines). A categorized line
    is explained: it used to be counted as unreconciled."""
    import datetime as dt

    F.BankTransactionFactory(company=alice.company, amount=Decimal("70.00"), date=dt.date(2025, 6, 30),
                             status="unreconciled")
    F.BankTransactionFactory(company=alice.company, amount=Decimal("12.00"), date=dt.date(2025, 2, 3),
                             status="categorized")
    F.BankTransactionFactory(company=alice.company, amount=Decimal("9.00"), date=dt.date(2024, 6, 30),
                             status="unreconciled")  # before the window
    page = client.get(url(alice.company, "overview"), **headers(alice)).content.decode()
    assert "Unreconciled deposits since Jul 2024" in page
    assert "2025-06" in page and "2025-02" in page and "2024-06" not in page
    stat = page.split("Unreconciled deposits since Jul 2024", 1)[1].split("</div>", 1)[0]
    assert '<span class="value">1</span>' in stat and "70.00 USD" in stat
