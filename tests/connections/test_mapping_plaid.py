"""Plaid objects -> bank rows: Plaid's positive = money out becomes our positive = deposit."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connections.mapping.common import MappingError
from connections.mapping.plaid import (
    bank_account_row,
    bank_transaction_row,
    removed_row,
    unofficial_currency,
)

WORLD = json.loads((Path(__file__).parents[1] / "data" / "mission-example.world.json").read_text())
SRC = "plaid:item-1"


def test_it_turns_a_plaid_negative_amount_into_a_deposit():
    txn = WORLD["plaid"][0]["transactions"][0]  # the Shopify payout landing: -3850.0 in Plaid terms
    row = bank_transaction_row(txn, source=SRC)

    assert row["amount"] == Decimal("3850.00")
    assert (row["external_id"], row["account_external_id"], row["date"]) == (
        "bank-txn-1",
        "bank-acc-1",
        date(2025, 3, 7),
    )
    assert row["currency"] == "USD" and row["pending"] is False


def test_it_turns_a_plaid_positive_amount_into_a_withdrawal():
    row = bank_transaction_row(
        {
            "transaction_id": "t",
            "account_id": "a",
            "amount": 12.5,
            "iso_currency_code": "USD",
            "date": "2025-03-02",
        },
        source=SRC,
    )
    assert row["amount"] == Decimal("-12.50")


def test_it_never_produces_a_negative_zero():
    row = bank_transaction_row(
        {"transaction_id": "t", "amount": 0, "iso_currency_code": "USD", "date": "2025-03-02"},
        source=SRC,
    )
    assert str(row["amount"]) == "0.00"


def test_it_carries_the_pending_transaction_a_posted_one_replaces():
    row = bank_transaction_row(
        {
            "transaction_id": "posted",
            "pending_transaction_id": "pend",
            "pending": False,
            "amount": -10,
            "iso_currency_code": "usd",
            "date": "2025-03-03",
            "personal_finance_category": {"primary": "INCOME", "detailed": "INCOME_OTHER"},
        },
        source=SRC,
    )
    assert row["pending_transaction_external_id"] == "pend" and row["category"] == "INCOME"


@pytest.mark.parametrize("code", ["USDC", "BTC"])  # BTC looks like ISO 4217 but is not money we book
def test_it_refuses_an_unofficial_currency_rather_than_booking_it_as_another(code):
    txn = {
        "transaction_id": "t",
        "amount": -1,
        "iso_currency_code": None,
        "unofficial_currency_code": code,
        "date": "2025-03-02",
    }
    assert unofficial_currency(txn) == code
    with pytest.raises(MappingError):
        bank_transaction_row(txn, source=SRC, default_currency="USD")
    with pytest.raises(MappingError):
        bank_account_row({"account_id": "a", "balances": {**txn, "current": 1}}, source=SRC)


def test_it_maps_removed_transactions_and_accounts():
    assert removed_row({"transaction_id": "t9", "account_id": "a1"}, source=SRC) == {
        "source": SRC,
        "external_id": "t9",
        "account_external_id": "a1",
    }
    account = bank_account_row(WORLD["plaid"][0]["accounts"][0], source=SRC)
    assert (
        account["external_id"],
        account["mask"],
        account["current_balance"],
        account["currency"],
    ) == ("bank-acc-1", "6789", Decimal("30000.00"), "USD")
