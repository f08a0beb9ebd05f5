"""Rutter objects -> ledger rows: sign by meaning, Decimal major units, unknown types kept."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connections.mapping.common import MappingError
from connections.mapping.rutter import customer_row, order_row, payout_row, transaction_row

WORLD = json.loads((Path(__file__).parents[1] / "data" / "mission-example.world.json").read_text())
SRC = "rutter:c1"


def txn(type_, amount, fee=None, **extra):
    return {
        "id": f"t-{type_}",
        "type": type_,
        "amount": amount,
        "fee": fee,
        "status": "success",
        "iso_currency_code": "USD",
        "created_at": "2025-03-01T15:00:05.000Z",
        "order_id": "o1",
        **extra,
    }


def test_it_books_a_sale_as_positive_gross_with_its_processing_fee():
    row = transaction_row(txn("sale", 1000.0, 29.3), source=SRC)

    assert (row["kind"], row["amount"], row["fee"], row["net"]) == (
        "sale",
        Decimal("1000.00"),
        Decimal("29.30"),
        Decimal("970.70"),
    )
    assert row["currency"] == "USD" and row["order_external_id"] == "o1"
    assert row["occurred_at"] == datetime(2025, 3, 1, 15, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize("platform_amount", [32.8, -32.8])
def test_it_books_a_refund_as_negative_whatever_sign_the_platform_uses(platform_amount):
    row = transaction_row(txn("refund", platform_amount), source=SRC)
    assert (row["kind"], row["amount"], row["net"]) == (
        "refund",
        Decimal("-32.80"),
        Decimal("-32.80"),
    )


@pytest.mark.parametrize("platform_amount", [76, -76.0])
def test_it_books_a_fee_transaction_as_negative(platform_amount):
    row = transaction_row(txn("fee", platform_amount), source=SRC)
    assert (row["kind"], row["amount"], row["fee"]) == ("fee", Decimal("-76.00"), Decimal("0.00"))


def test_it_books_a_payout_transaction_as_money_leaving_the_balance():
    assert transaction_row(txn("payout", 3850.0), source=SRC)["amount"] == Decimal("-3850.00")
    # A negative payout (the platform debits the bank) puts money back on the balance.
    assert transaction_row(txn("payout", -120.0), source=SRC)["amount"] == Decimal("120.00")


def test_it_keeps_unknown_types_as_other_with_the_raw_type_and_platform_sign():
    row = transaction_row(txn("loyalty_points_redemption", -5.5), source=SRC)
    assert (row["kind"], row["provider_type"], row["amount"]) == (
        "other",
        "loyalty_points_redemption",
        Decimal("-5.50"),
    )
    row = transaction_row(txn("other", 12), source=SRC)
    assert (row["kind"], row["amount"]) == ("other", Decimal("12.00"))


def test_it_keeps_status_so_failed_transactions_are_visible_not_dropped():
    assert transaction_row(txn("sale", 10, status="failure"), source=SRC)["status"] == "failure"


def test_it_treats_a_null_amount_as_zero_and_falls_back_to_a_default_currency():
    row = transaction_row(
        txn("sale", None, iso_currency_code=None), source=SRC, default_currency="eur"
    )
    assert (row["amount"], row["currency"]) == (Decimal("0.00"), "EUR")
    assert str(row["amount"]) == "0.00"


def test_it_refuses_a_transaction_with_no_currency_at_all():
    with pytest.raises(MappingError):
        transaction_row(txn("sale", 1, iso_currency_code=None), source=SRC)


def test_it_uses_the_currency_minor_unit():
    row = transaction_row(txn("sale", 1500, 45.0, iso_currency_code="JPY"), source=SRC)
    assert (row["amount"], row["fee"]) == (Decimal("1500"), Decimal("45"))
    assert transaction_row(txn("sale", 1.2345, iso_currency_code="KWD"), source=SRC)[
        "amount"
    ] == Decimal("1.234")


@pytest.mark.parametrize("connection", WORLD["rutter"], ids=lambda c: c["platform"])
def test_it_makes_every_example_payout_balance_to_the_cent(connection):
    by_id = {t["id"]: t for t in connection["transactions"]}
    for payout in connection["payouts"]:
        expanded = {**payout, "transactions": [by_id[i] for i in payout["transaction_ids"]]}
        row = payout_row(expanded, source=f"rutter:{connection['connection_id']}")

        assert sum(item["net"] for item in row["items"]) == row["amount"]
        assert all(item["payout_external_id"] == payout["id"] for item in row["items"])
        assert row["transaction_external_ids"] == payout["transaction_ids"]


def test_it_keeps_transaction_ids_of_an_unexpanded_payout():
    payout = WORLD["rutter"][0]["payouts"][0]
    row = payout_row(payout, source=SRC)
    assert row["items"] == [] and row["transaction_external_ids"] == payout["transaction_ids"]
    assert row["amount"] == Decimal("3850.00") and row["status"] == "paid"
    assert row["arrived_at"] == datetime(2025, 3, 7, tzinfo=UTC)


def test_it_maps_an_order_with_its_lines():
    order = WORLD["rutter"][0]["orders"][0]
    row = order_row(order, source=SRC)

    assert row["external_id"] == "shp-ord-1001" and row["number"] == "1001"
    assert (row["total"], row["tax"], row["currency"]) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        "USD",
    )
    assert row["lines"] == [
        {
            "external_id": "shp-ord-1001-li1",
            "sku": "MUG-1",
            "title": "Ceramic mug set",
            "quantity": Decimal("1"),
            "unit_price": Decimal("1000.00"),
            "amount": Decimal("1000.00"),
        }
    ]
    assert row["customer_external_id"] is None and row["customer_name"] == ""


def test_it_maps_an_order_customer_and_a_customer_row():
    customer = {
        "id": "cu1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
    }
    order = {**WORLD["rutter"][0]["orders"][0], "customer": customer}

    assert order_row(order, source=SRC)["customer_name"] == "Ada Lovelace"
    assert customer_row(customer, source=SRC) == {
        "source": SRC,
        "external_id": "cu1",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "created_at": None,
        "updated_at": None,
    }
