"""Property: applying matches and undoing them leaves every account balance as it was."""

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companies.services import company_create, partner_create
from connections.models import Connection, ConnectionStatus
from ledger.models import BankAccount, BankTransaction, Payout, PayoutItem
from ledger.selectors import account_balances, books_balanced
from reconciliation.services import match_manual, match_undo
from reconciliation.services.booking import items_book

CURRENCIES = {"USD": Decimal("0.01"), "JPY": Decimal("1"), "KWD": Decimal("0.001")}

payout_spec = st.tuples(
    st.sampled_from(sorted(CURRENCIES)),
    st.lists(st.integers(min_value=-50_000, max_value=500_000).filter(bool), min_size=1, max_size=5),
    st.integers(min_value=0, max_value=3_000),
    st.booleans(),  # converted into USD by the bank (FX)
)


def _books(specs):
    partner = partner_create(name="prop")
    company = company_create(partner=partner, name="prop")
    Connection.objects.create(company=company, provider="rutter", external_id="c1", platform="SHOPIFY",
                              status=ConnectionStatus.READY)
    account = BankAccount.objects.create(company=company, source="plaid:i", external_id="a", name="Checking",
                                         currency="USD")
    pairs = []
    for n, (currency, grosses, fee_units, converted) in enumerate(specs):
        unit = CURRENCIES[currency]
        payout = Payout.objects.create(company=company, source="rutter:c1", external_id=f"p{n}",
                                       platform="SHOPIFY", currency=currency, amount=0,
                                       arrival_date=date(2025, 3, 7))
        net = Decimal(0)
        for k, units in enumerate(grosses):
            gross, fee = Decimal(units) * unit, Decimal(fee_units) * unit if units > 0 else Decimal(0)
            PayoutItem.objects.create(
                company=company, source="rutter:c1", external_id=f"p{n}i{k}", payout=payout,
                kind="sale" if units > 0 else "refund", status="success", currency=currency,
                occurred_at=datetime(2025, 3, 5, tzinfo=UTC), amount=gross, fee=fee, net=gross - fee,
            )
            net += gross - fee
        payout.amount = net
        payout.save(update_fields=["amount"])
        bank_currency, bank_amount = (("USD", (net * Decimal("1.0817")).quantize(Decimal("0.01")))
                                      if converted and currency != "USD" else (currency, net))
        bank = BankTransaction.objects.create(company=company, source="plaid:i", external_id=f"b{n}",
                                              bank_account=account, date=date(2025, 3, 7),
                                              currency=bank_currency, amount=bank_amount, name="DEPOSIT")
        pairs.append((bank, payout))
    return company, pairs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(payout_spec, min_size=1, max_size=4))
def test_it_restores_every_balance_after_apply_and_undo(db, specs):
    company, pairs = _books(specs)
    items_book(company=company, by="test")
    before = account_balances(company=company)
    matches = [match_manual(company=company, bank_transaction=bank, payouts=[payout], by="prop")
               for bank, payout in pairs]
    assert books_balanced(company=company)
    for match in matches:
        match_undo(match=match, by="prop")
    after = {key: value for key, value in account_balances(company=company).items() if value or key in before}
    assert after == before
    assert books_balanced(company=company)


def test_it_matches_a_payout_that_nets_to_zero_without_an_empty_entry(db):
    company, [(bank, payout)] = _books([("USD", [100], 100, False)])  # a $1 sale, $1 fee
    items_book(company=company, by="test")
    before = account_balances(company=company)
    match = match_manual(company=company, bank_transaction=bank, payouts=[payout], by="prop")
    assert account_balances(company=company) == before
    match_undo(match=match, by="prop")
    assert account_balances(company=company) == before
