"""The two readings of a payout item (reconciliation/rows.py) value its money alike."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from reconciliation.engine.breakdown import breakdown_of
from reconciliation.rows import item_money, platform_item


@pytest.mark.parametrize("platform", ["SHOPIFY", "AMAZON", "ETSY"])
@pytest.mark.parametrize("kind, amount, fee", [("sale", "100.005", "3.2"), ("refund", "-20", "0"),
                                               ("fee", "-1.50", "0"), ("commission", "-7.125", "0")])
def test_the_money_read_alone_gives_the_breakdown_the_whole_item_gives(platform, kind, amount, fee):
    amount, fee = D(amount), D(fee)
    platforms = {"rutter:s": platform}
    whole = platform_item((None, "rutter:s", "t1", "", False, kind, "type", "success",
                           datetime(2025, 3, 5, tzinfo=UTC), date(2025, 3, 6), "USD", amount, fee,
                           amount - fee, ""), platforms)
    pk, money = item_money("rutter:s", (7, "t1", kind, amount, fee, amount - fee, "USD"), platforms)

    def of(item):
        return breakdown_of(payout_ref="p", connection_ref="rutter:s", currency="USD", amount=item.net,
                            items=[item], inferred=True)

    assert pk == 7 and money.ref == whole.ref
    assert of(money) == of(whole)
