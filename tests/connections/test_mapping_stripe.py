"""Stripe objects -> ledger rows: integer minor units, zero/three-decimal currencies, kinds."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connections.mapping.common import MappingError
from connections.mapping.stripe import (
    balance_transaction_row,
    balance_transaction_rows,
    payout_row,
    stripe_amount,
)

SRC = "stripe:acct_1"


def bt(**fields):
    base = {
        "id": "txn_1",
        "object": "balance_transaction",
        "amount": 10000,
        "fee": 320,
        "net": 9680,
        "currency": "usd",
        "type": "charge",
        "reporting_category": "charge",
        "status": "available",
        "created": 1_740_000_000,
        "available_on": 1_740_200_000,
        "source": "ch_1",
        "description": "Order 7",
        "fee_details": [
            {
                "amount": 320,
                "currency": "usd",
                "type": "stripe_fee",
                "description": "Stripe processing fees",
            }
        ],
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    "minor, currency, expected",
    [
        (1234, "usd", Decimal("12.34")),
        (-1234, "eur", Decimal("-12.34")),
        (1500, "jpy", Decimal("1500")),
        (50000, "krw", Decimal("50000")),
        (1234, "kwd", Decimal("1.234")),
        (5120, "bhd", Decimal("5.120")),
        (
            500,
            "isk",
            Decimal("5"),
        ),  # Stripe keeps ISK two-decimal in its API; the ledger has whole krónur
        (0, "usd", Decimal("0.00")),
    ],
)
def test_it_converts_integer_minor_units_per_currency(minor, currency, expected):
    amount = stripe_amount(minor, currency)
    assert amount == expected and str(amount) == str(expected)


def test_it_refuses_non_integer_stripe_amounts():
    with pytest.raises(MappingError):
        stripe_amount(12.5, "usd")


def test_it_maps_a_charge_with_stripe_fee_and_net():
    row = balance_transaction_row(bt(), source=SRC, payout_external_id="po_1")

    assert (row["kind"], row["amount"], row["fee"], row["net"]) == (
        "sale",
        Decimal("100.00"),
        Decimal("3.20"),
        Decimal("96.80"),
    )
    assert (
        row["currency"] == "USD"
        and row["payout_external_id"] == "po_1"
        and row["source_object_id"] == "ch_1"
    )
    assert row["occurred_at"] == datetime.fromtimestamp(1_740_000_000, tz=UTC)
    assert row["fee_details"] == [
        {
            "type": "stripe_fee",
            "amount": Decimal("3.20"),
            "currency": "USD",
            "description": "Stripe processing fees",
        }
    ]


def test_it_keeps_stripe_signs_for_refunds_and_disputes():
    refund = balance_transaction_row(
        bt(type="refund", reporting_category="refund", amount=-2500, fee=0, net=-2500), source=SRC
    )
    dispute = balance_transaction_row(
        bt(type="adjustment", reporting_category="dispute", amount=-5000, fee=1500, net=-6500),
        source=SRC,
    )
    won = balance_transaction_row(
        bt(
            type="adjustment",
            reporting_category="dispute_reversal",
            amount=5000,
            fee=-1500,
            net=6500,
        ),
        source=SRC,
    )

    assert (refund["kind"], refund["amount"]) == ("refund", Decimal("-25.00"))
    assert (dispute["kind"], dispute["amount"], dispute["net"]) == (
        "chargeback",
        Decimal("-50.00"),
        Decimal("-65.00"),
    )
    assert (won["kind"], won["fee"], won["net"]) == (
        "chargeback_reversal",
        Decimal("-15.00"),
        Decimal("65.00"),
    )


def test_it_maps_zero_decimal_balance_transactions():
    row = balance_transaction_row(
        bt(currency="jpy", amount=1500, fee=54, net=1446, fee_details=[]), source=SRC
    )
    assert (row["amount"], row["fee"], row["net"], row["currency"]) == (
        Decimal("1500"),
        Decimal("54"),
        Decimal("1446"),
        "JPY",
    )


@pytest.mark.parametrize(
    "fields, kind",
    [
        ({"type": "payout", "reporting_category": "payout", "amount": -9680}, "payout"),
        ({"type": "stripe_fee", "reporting_category": "fee", "amount": -100}, "fee"),
        ({"type": "application_fee", "reporting_category": None, "amount": -100}, "commission"),
        (
            {"type": "reserve_transaction", "reporting_category": None, "amount": -100},
            "reserve_hold",
        ),
        (
            {"type": "reserve_transaction", "reporting_category": None, "amount": 100},
            "reserve_release",
        ),
        ({"type": "transfer", "reporting_category": "transfer", "amount": -100}, "transfer"),
        (
            {
                "type": "climate_order_purchase",
                "reporting_category": "climate_order",
                "amount": -100,
            },
            "other",
        ),
    ],
)
def test_it_derives_kind_from_reporting_category_then_type(fields, kind):
    row = balance_transaction_row(bt(**fields), source=SRC)
    assert row["kind"] == kind and row["provider_type"] == fields["type"]


def test_it_takes_the_world_payout_field_when_no_payout_is_given():
    assert (
        balance_transaction_row(bt(payout="po_world"), source=SRC)["payout_external_id"]
        == "po_world"
    )


def test_it_maps_a_payout():
    payout = {
        "id": "po_1",
        "object": "payout",
        "amount": 968000,
        "currency": "usd",
        "status": "paid",
        "automatic": True,
        "arrival_date": 1_740_300_000,
        "created": 1_740_100_000,
        "method": "standard",
        "balance_transaction": "txn_po",
        "failure_code": None,
        "description": "STRIPE PAYOUT",
    }
    row = payout_row(payout, source=SRC)

    assert (row["external_id"], row["amount"], row["currency"], row["status"]) == (
        "po_1",
        Decimal("9680.00"),
        "USD",
        "paid",
    )
    assert row["arrived_at"] == datetime.fromtimestamp(1_740_300_000, tz=UTC)
    assert row["balance_transaction_id"] == "txn_po" and row["automatic"] is True


def test_it_keeps_an_unknown_payout_status():
    row = payout_row(
        {"id": "po_2", "amount": -500, "currency": "eur", "status": "held_for_review"}, source=SRC
    )
    assert (row["status"], row["amount"]) == ("held_for_review", Decimal("-5.00"))


def test_it_books_an_instant_payouts_fee_as_a_row_of_its_own():
    own = bt(id="txn_po", type="payout", reporting_category="payout", amount=-9505, fee=145, net=-9650,
             source="po_instant", fee_details=[{"amount": 145, "currency": "usd", "type": "stripe_fee",
                                                "description": "Instant Payout fee"}])
    payout_itself, fee = balance_transaction_rows(own, source=SRC)
    assert (payout_itself["kind"], payout_itself["amount"], payout_itself["fee"]) == ("payout", Decimal("-95.05"), Decimal("1.45"))
    assert fee["external_id"] == "txn_po:fee" and fee["kind"] == "fee"
    assert (fee["amount"], fee["fee"], fee["net"]) == (Decimal("-1.45"), Decimal("0.00"), Decimal("-1.45"))
    assert fee["description"] == "Instant Payout fee" and fee["source_object_id"] == "po_instant"
    # A payout without a fee is one row, as before.
    assert len(balance_transaction_rows(bt(type="payout", reporting_category="payout", amount=-500, fee=0,
                                           net=-500, fee_details=[]), source=SRC)) == 1


def test_it_maps_a_failed_payouts_returned_money_as_released_and_its_debit_as_held():
    back = bt(id="txn_fail", type="payout_failure", reporting_category="payout_reversal", amount=5766,
              fee=0, net=5766, source="po_failed", fee_details=[])
    returned, debit = balance_transaction_rows(back, source=SRC, payout_external_id="po_next")
    assert (returned["kind"], returned["amount"], returned["payout_external_id"]) == (
        "reserve_release", Decimal("57.66"), "po_next")
    assert (debit["external_id"], debit["kind"], debit["amount"], debit["net"]) == (
        "txn_fail:payout", "reserve_hold", Decimal("-57.66"), Decimal("-57.66"))
    assert debit["payout_external_id"] is None
    for type_, amount, kind in (("payout_cancel", 100, "reserve_release"),
                                ("payout_minimum_balance_hold", -100, "reserve_hold"),
                                ("payout_minimum_balance_release", 100, "reserve_release")):
        row = balance_transaction_row(bt(type=type_, reporting_category="payout", amount=amount, fee=0,
                                         net=amount), source=SRC)
        assert row["kind"] == kind, type_
