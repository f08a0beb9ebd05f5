"""Accept, reject, undo and manual match: books, statuses and refusals."""

from decimal import Decimal

import pytest

from ledger.models import Account, BankTransaction, BankTransactionStatus, Payout
from ledger.selectors import account_balances, books_balanced
from reconciliation.models import Match, MatchStatus
from reconciliation.services import (
    ReconciliationError,
    match_accept,
    match_manual,
    match_reject,
    match_undo,
    reconcile_company,
)
from reconciliation.services.matches import match_create
from tests.reconciliation.services.test_mission_example import AMAZON, SHOPIFY


def _bank(company, ref):
    return BankTransaction.objects.select_related("bank_account").get(company=company, external_id=ref)


def _payout(company, ext):
    return Payout.objects.get(company=company, external_id=ext)


def _applied(company, bank_ref):
    return Match.objects.get(company=company, bank_transaction__external_id=bank_ref, status=MatchStatus.APPLIED)


def test_it_restores_the_books_when_a_match_is_undone(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    match = _applied(company, "bank-txn-1")
    with_match = account_balances(company=company)
    match_undo(match=match, by="user:ann", reason="wrong")
    without = account_balances(company=company)
    assert with_match != without
    match_manual(company=company, bank_transaction=_bank(company, "bank-txn-1"),
                 payouts=[_payout(company, "shp-po-3001")], by="user:ann")
    assert account_balances(company=company) == with_match
    assert books_balanced(company=company)


def test_it_records_who_undid_and_leaves_the_line_unreconciled(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    match = match_undo(match=_applied(company, "bank-txn-1"), by="user:ann", reason="wrong deposit")
    assert (match.status, match.undone_by, match.note) == (MatchStatus.UNDONE, "user:ann", "wrong deposit")
    assert _bank(company, "bank-txn-1").status == BankTransactionStatus.UNRECONCILED
    with pytest.raises(ReconciliationError) as err:
        match_undo(match=match, by="user:ann")
    assert err.value.code == "not_applied"


def test_an_undone_match_stays_undone(synced_world):
    """Unmatch sticks: the next automatic run does not apply the same answer again."""
    company = synced_world()
    reconcile_company(company=company)
    match_undo(match=_applied(company, "bank-txn-1"), by="user:ann")
    reconcile_company(company=company)
    reconcile_company(company=company)
    assert not Match.objects.filter(company=company, bank_transaction__external_id="bank-txn-1",
                                    status=MatchStatus.APPLIED).exists()
    assert _bank(company, "bank-txn-1").status == BankTransactionStatus.UNRECONCILED
    assert books_balanced(company=company)


def test_a_suggestion_that_does_not_add_up_cannot_be_accepted(synced_world):
    """A same-currency suggestion whose payouts are not the deposit is refused, and nothing is
    booked (it was once booked as Dr Bank / Cr FX gain/loss)."""
    company = synced_world()
    bank = _bank(company, "bank-txn-1")  # 3,850.00 from Shopify
    before = account_balances(company=company)
    suggestion = match_create(company=company, bank_transaction=bank, status=MatchStatus.SUGGESTED,
                              payouts=[_payout(company, "amz-po-9001")], confidence=0.6)  # 2,100.00
    with pytest.raises(ReconciliationError) as err:
        match_accept(match=suggestion, by="user:ann")
    assert err.value.code == "does_not_add_up"
    suggestion.refresh_from_db()
    assert suggestion.status == MatchStatus.SUGGESTED
    assert account_balances(company=company) == before
    nothing = match_create(company=company, bank_transaction=bank, status=MatchStatus.SUGGESTED, confidence=0.6)
    with pytest.raises(ReconciliationError):
        match_accept(match=nothing, by="user:ann")


def test_it_accepts_a_suggestion_and_books_it(synced_world):
    company = synced_world()
    bank = _bank(company, "bank-txn-1")
    suggestion = match_create(company=company, bank_transaction=bank, status=MatchStatus.SUGGESTED,
                              payouts=[_payout(company, "shp-po-3001")], confidence=0.7, reasons=["test"])
    match_accept(match=suggestion, by="user:ann")
    suggestion.refresh_from_db()
    assert suggestion.status == MatchStatus.APPLIED and suggestion.decided_by == "user:ann"
    assert _bank(company, "bank-txn-1").status == BankTransactionStatus.RECONCILED
    bank_code = bank.bank_account.ledger_account.code
    balances = account_balances(company=company)
    assert balances[(bank_code, "USD")] == Decimal("3850.00")
    # Settled items were booked on the way (accrual): Shopify's clearing is emptied by the deposit,
    # Amazon's still holds its 2,100.00 payout that no bank line has been matched to yet.
    clearing = {Account.objects.get(company=company, code=code).source: v
                for (code, _), v in balances.items() if code.startswith("15")}
    assert clearing == {SHOPIFY: Decimal("0"), AMAZON: Decimal("2100.00")}
    assert balances[("6000", "USD")] == Decimal("117.20")
    assert balances[("6010", "USD")] == Decimal("460.00")


def test_it_remembers_a_rejection(synced_world):
    company = synced_world()
    bank = _bank(company, "bank-txn-4")  # the look-alike
    suggestion = match_create(company=company, bank_transaction=bank, status=MatchStatus.SUGGESTED,
                              payouts=[_payout(company, "amz-po-9001")], confidence=0.6)
    match_reject(match=suggestion, by="user:ann", reason="wholesale customer")
    reconcile_company(company=company)
    assert not Match.objects.filter(bank_transaction=bank, status__in=[MatchStatus.SUGGESTED, MatchStatus.APPLIED]).exists()
    with pytest.raises(ReconciliationError):
        match_accept(match=suggestion, by="user:ann")


def test_it_refuses_a_manual_match_whose_amounts_differ(synced_world):
    company = synced_world()
    with pytest.raises(ReconciliationError) as err:
        match_manual(company=company, bank_transaction=_bank(company, "bank-txn-1"),
                     payouts=[_payout(company, "amz-po-9001")], by="user:ann")
    assert err.value.code == "amount_mismatch"
    assert not Match.objects.filter(company=company).exists()


def test_it_refuses_to_match_a_payout_twice(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    with pytest.raises(ReconciliationError) as err:
        match_manual(company=company, bank_transaction=_bank(company, "bank-txn-4"),
                     payouts=[_payout(company, "amz-po-9001")], by="user:ann")
    assert err.value.code == "payout_matched"


def test_it_refuses_another_companys_bank_line(synced_world, alice, bob):
    company = synced_world(tenant=alice)
    bobs = synced_world(tenant=bob)
    with pytest.raises(ReconciliationError) as err:
        match_manual(company=company, bank_transaction=_bank(bobs, "bank-txn-1"),
                     payouts=[_payout(company, "shp-po-3001")], by="user:ann")
    assert err.value.code == "not_found"


def test_a_company_with_nothing_to_reconcile_reconciles(alice):
    """A store connected before any bank (no decisions at all) once failed every run."""
    run = reconcile_company(company=alice.company)
    assert run.status == "succeeded" and run.stats["applied"] == 0
