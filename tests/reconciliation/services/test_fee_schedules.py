"""Orders-only stores through the database (issue 15): invoices -> engine -> booked sweeps, the
per-connection fee schedule learned, confirmed by a person, shown, and forgotten on disconnect."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from companies.services import company_create, partner_create
from connections.models import Connection, ConnectionStatus
from connections.services import connection_disconnect
from dashboard.selectors import inferred_lines_for_match
from ledger.models import BankAccount, BankTransaction, Expense, Invoice, PayoutItem
from ledger.selectors import books_balanced, invoices_for_payout_items
from reconciliation.engine import FeeSchedule as Sched
from reconciliation.engine.orders import order_fee
from reconciliation.models import FeeSchedule, Match, MatchStatus
from reconciliation.selectors.export import reconciliation_export
from reconciliation.services.matches import match_accept
from reconciliation.services.runs import reconcile_company

pytestmark = pytest.mark.django_db
D = Decimal
RATE = Sched("c", D("0.0259"), D("0.49"))  # BigCommerce's PayPal-powered-by-Braintree card
TOTALS = [["41.50", "120.00", "77.77"], ["19.99", "250.10"], ["63.40", "88.00", "15.25", "42.42"],
          ["99.95", "31.00"]]


def _company(name="orders"):
    company = company_create(partner=partner_create(name=name), name=name)
    conn = Connection.objects.create(company=company, provider="rutter", external_id="big",
                                     platform="BIG_COMMERCE", status=ConnectionStatus.READY)
    account = BankAccount.objects.create(company=company, source="plaid:item", external_id="acc",
                                         name="Checking", currency="USD")
    return company, conn, account


def _store(company, account, days):
    """Orders on day 3 + d, each day's swept and deposited the next day: truth per bank line."""
    truth = {}
    n = 0
    for d, totals in enumerate(TOTALS[:days]):
        refs, net = [], D(0)
        for total in totals:
            n += 1
            Invoice.objects.create(company=company, source="rutter:big", external_id=f"o{n}",
                                   currency="USD", total=D(total), subtotal=D(total),
                                   issued_at=datetime(2025, 3, 3 + d, 9, n, tzinfo=UTC),
                                   platform_status="paid")
            refs.append(f"rutter:big:o{n}")
            net += D(total) - order_fee(D(total), RATE, "USD")
        BankTransaction.objects.create(company=company, source="plaid:item", external_id=f"dep{d}",
                                       bank_account=account, date=date(2025, 3, 4 + d), amount=net,
                                       currency="USD", name="BRAINTREE DES:DEPOSIT ID:12345")
        truth[f"dep{d}"] = sorted(refs)
    return truth


def test_it_books_orders_only_sweeps_and_learns_the_schedule():
    company, conn, account = _company()
    other, _, other_account = _company("bob")  # a second tenant with the same store ids
    _store(other, other_account, 1)
    truth = _store(company, account, 4)
    reconcile_company(company=company)
    applied = {m.bank_transaction.external_id: m for m in Match.objects.filter(
        company=company, status=MatchStatus.APPLIED).select_related("bank_transaction")}
    assert {k: sorted(m.inferred_items) for k, m in applied.items()} == truth
    schedule = FeeSchedule.objects.get(company=company)
    assert (schedule.rate, schedule.fixed, schedule.source) == (D("0.0259"), D("0.49"), "learned")
    assert schedule.deposits == 4 and schedule.confirmed
    assert not FeeSchedule.objects.filter(company=other).exists()
    fees = sum(order_fee(D(t), RATE, "USD") for day in TOTALS for t in day)
    assert sum(e.amount for e in Expense.objects.filter(company=company)) == fees
    assert books_balanced(company=company)
    export = reconciliation_export(company=company)
    rows = [p for p in export["payouts"] if p.get("inferred")]
    assert len(rows) == 4 and all(p["balanced"] for p in rows)
    assert sum(-D(p["fees"]) for p in rows) == fees
    # Re-running changes nothing; the orders are payout items now, each once.
    reconcile_company(company=company)
    assert Match.objects.filter(company=company, status=MatchStatus.APPLIED).count() == 4
    assert PayoutItem.objects.filter(company=company, source="rutter:big").count() == 11
    connection_disconnect(connection=conn)
    assert not FeeSchedule.objects.filter(company=company).exists()


def test_a_person_accepting_a_suggested_sweep_confirms_the_schedule():
    company, _, account = _company()
    truth = _store(company, account, 1)  # one deposit: nothing confirms the rate card
    reconcile_company(company=company)
    match = Match.objects.get(company=company, bank_transaction__external_id="dep0")
    assert match.status == MatchStatus.SUGGESTED and sorted(match.inferred_items) == truth["dep0"]
    assert match.fee_schedule["rate"] == "0.0259"
    assert not FeeSchedule.objects.filter(company=company).exists()
    # The dashboard opens the suggestion into its orders, each with the fee it was priced with.
    lines = inferred_lines_for_match(company=company, match=match)
    assert [(i.external_id, i.amount, i.fee) for i in lines.items] == [
        (f"o{n + 1}", D(t), order_fee(D(t), RATE, "USD")) for n, t in enumerate(TOTALS[0])]
    assert invoices_for_payout_items(company=company, item_ids=[i.pk for i in lines.items]) is not None
    match_accept(match=match, by="alice@example.com")
    schedule = FeeSchedule.objects.get(company=company)
    assert (schedule.source, schedule.confirmed_by) == ("person", "alice@example.com")
    assert books_balanced(company=company)
    assert sum(e.amount for e in Expense.objects.filter(company=company)) == sum(
        order_fee(D(t), RATE, "USD") for t in TOTALS[0])
