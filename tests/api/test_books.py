"""Books endpoints: money as decimal strings with currency, ISO dates, filters, nested lines/items."""

import datetime as dt
from decimal import Decimal

from tests import factories as f
from tests.api.conftest import v1


def test_it_filters_bank_transactions_by_status_dates_amounts_and_text(alice, alice_api):
    account = f.BankAccountFactory(company=alice.company)
    make = lambda **kw: f.BankTransactionFactory(company=alice.company, bank_account=account, **kw)  # noqa: E731
    deposit = make(date=dt.date(2025, 3, 7), amount=Decimal("3850.00"), name="SHOPIFY PAYOUT")
    make(date=dt.date(2025, 2, 1), amount=Decimal("3850.00"), name="SHOPIFY PAYOUT")
    make(date=dt.date(2025, 3, 8), amount=Decimal("-12.50"), name="COFFEE", status="reconciled")
    url = v1(alice.company, "bank-transactions/")
    ids = lambda **q: [r["id"] for r in alice_api.get(url, **q).json()["results"]]  # noqa: E731
    assert ids(status="unreconciled", date_from="2025-03-01", amount_min="0", search="shopify") == [deposit.pk]
    assert ids(amount_max="-1") != [] and ids(status="reconciled", date_to="2025-03-07") == []


def test_it_explains_a_bad_filter_value(alice, alice_api):
    response = alice_api.get(v1(alice.company, "bank-transactions/"), date_from="07/03/2025", status="lost")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"date_from", "status"}


def test_it_writes_money_as_decimal_strings_in_the_currency_precision(alice, alice_api):
    f.BankTransactionFactory(company=alice.company, amount=Decimal("3850.5"), currency="USD")
    f.BankTransactionFactory(company=alice.company, amount=Decimal("1200"), currency="JPY")
    rows = alice_api.get(v1(alice.company, "bank-transactions/")).json()["results"]
    assert sorted((r["amount"], r["currency"]) for r in rows) == [("1200", "JPY"), ("3850.50", "USD")]
    assert rows[0]["date"] == "2025-03-07"


def test_it_shows_a_payout_with_its_items(alice, alice_api, alice_books):
    body = alice_api.get(v1(alice.company, f"payouts/{alice_books.payout.pk}/")).json()
    assert body["amount"] == "3850.00" and body["currency"] == "USD"
    assert [i["id"] for i in body["items"]] == [i.pk for i in alice_books.payout_items]
    assert body["items"][0] | {"id": 0} == body["items"][0] | {
        "id": 0, "kind": "sale", "amount": "1000.00", "fee": "29.30", "net": "970.70"}


def test_it_filters_payouts_by_platform_status_and_arrival(alice, alice_api):
    keep = f.PayoutFactory(company=alice.company, platform="AMAZON", arrival_date=dt.date(2025, 3, 9))
    f.PayoutFactory(company=alice.company, platform="SHOPIFY", arrival_date=dt.date(2025, 3, 9))
    f.PayoutFactory(company=alice.company, platform="AMAZON", status="failed", arrival_date=dt.date(2025, 3, 9))
    f.PayoutFactory(company=alice.company, platform="AMAZON", arrival_date=dt.date(2025, 1, 9))
    rows = alice_api.get(v1(alice.company, "payouts/"), platform="amazon", status="paid",
                         date_from="2025-03-01", date_to="2025-03-31").json()["results"]
    assert [r["id"] for r in rows] == [keep.pk]


def test_it_shows_invoices_with_lines_and_journal_entries_with_lines(alice, alice_api, alice_books):
    invoice = alice_api.get(v1(alice.company, f"invoices/{alice_books.invoice.pk}/")).json()
    assert invoice["total"] == "100.00" and invoice["lines"][0]["unit_price"] == "100.00"
    assert invoice["lines"][0]["quantity"] == "1.0000"
    assert invoice["issued_at"].startswith("2025-03-01T")
    entries = alice_api.get(v1(alice.company, "journal-entries/")).json()["results"]
    assert entries[0]["lines"][0]["debit"] == "10.00" and entries[0]["lines"][0]["account_code"]


def test_it_lists_expenses_and_bank_accounts(alice, alice_api, alice_books):
    expenses = alice_api.get(v1(alice.company, "expenses/"), payout=alice_books.payout.pk).json()["results"]
    assert [(e["id"], e["amount"]) for e in expenses] == [(alice_books.expense.pk, "29.30")]
    accounts = alice_api.get(v1(alice.company, "bank-accounts/")).json()["results"]
    assert accounts[0]["mask"] == "6789" and accounts[0]["current_balance"] == "0.00"


def test_it_answers_404_for_ids_that_cannot_exist(alice, alice_api):
    response = alice_api.get(v1(alice.company, f"payouts/{2**70}/"))
    assert response.status_code == 404
