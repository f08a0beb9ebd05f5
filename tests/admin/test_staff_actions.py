"""Staff change reconciliation only through the services: accept, reject, unmatch and re-run as
admin actions (nothing that does not add up is booked), no raw delete of matches or connections."""

from decimal import Decimal

import pytest

from ledger.models import JournalEntry
from reconciliation.models import Match, MatchStatus, ReconciliationRun
from tests import factories as F
from tests.dashboard.conftest import deposit_with_payout


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(user)
    return client


def _act(staff, model: str, action: str, ids):
    return staff.post(f"/admin/{model}/", {"action": action, "_selected_action": [str(i) for i in ids]}, follow=True)


def test_staff_accept_and_unmatch_through_the_services(staff, alice):
    _, _, match = deposit_with_payout(alice.company, status=MatchStatus.SUGGESTED)
    response = _act(staff, "reconciliation/match", "accept", [match.pk])
    assert response.status_code == 200 and "Accepted 1 match" in response.content.decode()
    match.refresh_from_db()
    assert match.status == MatchStatus.APPLIED and match.decided_by == "staff:ops"
    assert JournalEntry.objects.filter(company=alice.company, reference__startswith=f"match:{match.pk}:").exists()
    _act(staff, "reconciliation/match", "unmatch", [match.pk])
    assert Match.objects.get(pk=match.pk).status == MatchStatus.UNDONE


def test_staff_cannot_book_what_does_not_add_up_or_delete(staff, alice):
    bank = F.BankTransactionFactory(company=alice.company, amount=Decimal("999.99"), status="suggested")
    payout = F.PayoutFactory(company=alice.company, amount=Decimal("10.00"))
    wrong = F.MatchFactory(company=alice.company, bank_transaction=bank)
    F.MatchPayoutFactory(company=alice.company, match=wrong, payout=payout)
    response = _act(staff, "reconciliation/match", "accept", [wrong.pk]).content.decode()
    assert "do not add up to the deposit" in response
    assert Match.objects.get(pk=wrong.pk).status == MatchStatus.SUGGESTED
    assert not JournalEntry.objects.filter(company=alice.company).exists()
    assert staff.post(f"/admin/reconciliation/match/{wrong.pk}/delete/", {"post": "yes"}).status_code == 403
    connection = F.ConnectionFactory(company=alice.company)
    assert staff.post(f"/admin/connections/connection/{connection.pk}/delete/", {"post": "yes"}).status_code == 403


def test_staff_reconcile_a_company_again(staff, alice):
    run = F.ReconciliationRunFactory(company=alice.company)
    _act(staff, "reconciliation/reconciliationrun", "run_again", [run.pk])
    assert ReconciliationRun.objects.filter(company=alice.company, triggered_by="staff:ops").exists()
