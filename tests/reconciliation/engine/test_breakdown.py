from decimal import Decimal

from reconciliation.engine import reconcile

from .builders import bank, inputs, item, payout


def _breakdown(items, amount):
    result = reconcile(
        inputs(lines=[bank("b", amount)], payouts=[payout("p", amount)], items=items)
    )
    return next(b for b in result.breakdowns if b.payout_ref == "rutter:shop:p"), result


def test_it_splits_a_payout_into_gross_fees_refunds_and_other():
    items = [
        item("s", "200.00", fee="6.10", payout_ref="p"),
        item("c", "-30.00", payout_ref="p", kind="commission"),
        item("r", "-15.00", payout_ref="p", kind="refund"),
        item("cb", "-50.00", fee="15.00", payout_ref="p", kind="chargeback"),
        item("rh", "-10.00", payout_ref="p", kind="reserve_hold"),
        item("po", "-73.90", payout_ref="p", kind="payout"),  # the payout's own balance txn
    ]
    b, _ = _breakdown(items, "73.90")
    assert b.balanced
    assert (b.gross, b.processing_fees, b.marketplace_fees) == (
        Decimal("200.00"),
        Decimal("-21.10"),
        Decimal("-30.00"),
    )
    assert (b.fees, b.refunds, b.other, b.net) == (
        Decimal("-51.10"),
        Decimal("-15.00"),
        Decimal("-60.00"),
        Decimal("73.90"),
    )
    assert "rutter:shop:po" not in b.item_refs


def test_it_flags_a_payout_whose_items_do_not_add_up_instead_of_forcing_it():
    b, result = _breakdown([item("s", "100.00", fee="3.00", payout_ref="p")], "98.00")
    assert not b.balanced
    assert b.net == Decimal("97.00") and b.amount == Decimal("98.00")
    assert "98.00" in b.problems[0]
    # the deposit still matches the payout: the bank saw the payout's amount
    assert result.decision_for("plaid:b").status == "matched"


def test_it_puts_marketplace_fees_in_their_own_bucket():
    b, _ = _breakdown(
        [item("s", "100.00", fee="15.00", payout_ref="p", category="marketplace")], "85.00"
    )
    assert (b.processing_fees, b.marketplace_fees) == (Decimal("0.00"), Decimal("-15.00"))
