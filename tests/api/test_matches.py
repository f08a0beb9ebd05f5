"""Matches and reconciliation runs over the API: review suggestions, match by hand, run the engine."""

from decimal import Decimal

from ledger.models import BankTransactionStatus, JournalEntry
from reconciliation.models import Match, MatchStatus, ReconciliationRun
from tests import factories as f
from tests.api.conftest import v1


def _url(books, rest=""):
    return v1(books.company, f"matches/{rest}")


def test_it_lists_and_filters_matches(alice, alice_api, alice_books):
    rows = alice_api.get(_url(alice_books)).json()["results"]
    assert [m["id"] for m in rows] == [alice_books.match.pk]
    assert rows[0]["status"] == "suggested" and rows[0]["payouts"] == [alice_books.suggested_payout.pk]
    assert rows[0]["confidence"] == "0.8000" and rows[0]["fx_difference"] == "0.00"
    assert alice_api.get(_url(alice_books), status="applied").json()["results"] == []
    by_bank = alice_api.get(_url(alice_books), bank_transaction=alice_books.deposit.pk).json()["results"]
    assert len(by_bank) == 1
    bad = alice_api.get(_url(alice_books), status="maybe")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["details"]


def test_it_shows_a_match_with_its_bank_line_and_payouts(alice, alice_api, alice_books):
    detail = alice_api.get(_url(alice_books, f"{alice_books.match.pk}/")).json()
    assert detail["bank_transaction_detail"]["amount"] == "1200.00"
    assert [p["id"] for p in detail["payout_details"]] == [alice_books.suggested_payout.pk]
    assert detail["reasons"] == ["amount equals payout net"] and detail["engine_version"] == "test"
    assert detail["run"] == alice_books.run.pk


def test_it_accepts_a_suggestion_and_books_it(alice, alice_api, alice_books):
    entries = JournalEntry.objects.filter(company=alice.company).count()
    response = alice_api.post(_url(alice_books, f"{alice_books.match.pk}/accept/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "applied" and body["decided_by"] == f"api:{alice.api_key.prefix}"
    assert body["decided_at"]
    assert JournalEntry.objects.filter(company=alice.company).count() > entries
    alice_books.deposit.refresh_from_db()
    assert alice_books.deposit.status == BankTransactionStatus.RECONCILED
    again = alice_api.post(_url(alice_books, f"{alice_books.match.pk}/accept/"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_suggested"


def test_it_rejects_a_suggestion_with_a_reason(alice, alice_api, alice_books):
    response = alice_api.post(_url(alice_books, f"{alice_books.match.pk}/reject/"), {"reason": "not ours"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected" and response.json()["note"] == "not ours"
    conflict = alice_api.post(_url(alice_books, f"{alice_books.match.pk}/unmatch/"))
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "not_applied"
    too_long = alice_api.post(_url(alice_books, f"{alice_books.match.pk}/reject/"), {"reason": "x" * 501})
    assert too_long.status_code == 400 and "reason" in too_long.json()["error"]["details"]


def test_it_unmatches_an_applied_match(alice, alice_api, alice_books):
    alice_api.post(_url(alice_books, f"{alice_books.match.pk}/accept/"))
    response = alice_api.post(_url(alice_books, f"{alice_books.match.pk}/unmatch/"), {"reason": "wrong store"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "undone" and response.json()["undone_by"].startswith("api:")
    alice_books.deposit.refresh_from_db()
    assert alice_books.deposit.status == BankTransactionStatus.UNRECONCILED


def test_it_matches_by_hand(alice, alice_api, alice_books):
    bank = f.BankTransactionFactory(company=alice.company, bank_account=alice_books.bank_account,
                                    amount=Decimal("75.50"))
    payouts = [f.PayoutFactory(company=alice.company, amount=Decimal(a)) for a in ("50.00", "25.50")]
    body = {"bank_transaction": bank.pk, "payouts": [p.pk for p in payouts], "note": "two payouts"}
    response = alice_api.post(_url(alice_books), body, {"Idempotency-Key": "manual-1"})
    assert response.status_code == 201, response.content
    match = response.json()
    assert match["status"] == "applied" and sorted(match["payouts"]) == sorted(p.pk for p in payouts)
    assert match["engine_version"] == "manual" and match["created_by"] == f"api:{alice.api_key.prefix}"
    replay = alice_api.post(_url(alice_books), body, {"Idempotency-Key": "manual-1"})
    assert replay.json() == match and replay["Idempotent-Replayed"] == "true"
    assert Match.objects.filter(bank_transaction=bank).count() == 1
    # The same bank line again, with a new key: a state conflict.
    again = alice_api.post(_url(alice_books), body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "bank_line_matched"


def test_it_refuses_a_manual_match_that_does_not_add_up(alice, alice_api, alice_books):
    body = {"bank_transaction": alice_books.bank_transaction.pk, "payouts": [alice_books.suggested_payout.pk]}
    response = alice_api.post(_url(alice_books), body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "amount_mismatch"
    assert "1200.00" in response.json()["error"]["message"]


def test_it_refuses_a_pending_bank_line(alice, alice_api, alice_books):
    bank = f.BankTransactionFactory(company=alice.company, bank_account=alice_books.bank_account, pending=True)
    response = alice_api.post(_url(alice_books), {"bank_transaction": bank.pk, "payouts": [alice_books.payout.pk]})
    assert response.status_code == 422 and response.json()["error"]["code"] == "pending_bank_line"


def test_it_refuses_a_payout_matched_elsewhere(alice, alice_api, alice_books):
    alice_api.post(_url(alice_books, f"{alice_books.match.pk}/accept/"))
    bank = f.BankTransactionFactory(company=alice.company, bank_account=alice_books.bank_account,
                                    amount=Decimal("1200.00"))
    response = alice_api.post(_url(alice_books), {"bank_transaction": bank.pk,
                                                  "payouts": [alice_books.suggested_payout.pk]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "payout_matched"


def test_it_validates_a_manual_match(alice, alice_api, alice_books):
    response = alice_api.post(_url(alice_books), {"bank_transaction": alice_books.bank_transaction.pk, "payouts": []})
    assert response.status_code == 400 and "payouts" in response.json()["error"]["details"]
    response = alice_api.post(_url(alice_books), {"payouts": ["x"]})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"bank_transaction", "payouts"}


def test_it_answers_404_for_another_companys_bank_line_or_payout(alice, alice_api, alice_books, bob_books):
    theirs_bank = {"bank_transaction": bob_books.bank_transaction.pk, "payouts": [alice_books.payout.pk]}
    response = alice_api.post(_url(alice_books), theirs_bank)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    theirs_payout = {"bank_transaction": alice_books.bank_transaction.pk,
                     "payouts": [alice_books.payout.pk, bob_books.payout.pk]}
    response = alice_api.post(_url(alice_books), theirs_payout)
    assert response.status_code == 404 and response.json()["error"]["details"] == {"payouts": [bob_books.payout.pk]}
    assert not Match.objects.filter(company=alice.company, status=MatchStatus.APPLIED).exists()


def test_it_runs_reconciliation_and_lists_runs(alice, alice_api, alice_books):
    response = alice_api.post(v1(alice.company, "reconciliation-runs/"), None, {"Idempotency-Key": "run-1"})
    assert response.status_code == 202, response.content
    run = response.json()["run"]
    assert response.json()["task_id"] and run["status"] == "succeeded" and run["stats"]
    assert run["engine_version"] and run["finished_at"]
    replay = alice_api.post(v1(alice.company, "reconciliation-runs/"), None, {"Idempotency-Key": "run-1"})
    assert replay.json() == response.json()
    assert ReconciliationRun.objects.filter(company=alice.company).count() == 2  # books' + this one
    listed = alice_api.get(v1(alice.company, "reconciliation-runs/")).json()["results"]
    assert [r["id"] for r in listed] == [run["id"], alice_books.run.pk]
    assert alice_api.get(v1(alice.company, f"reconciliation-runs/{run['id']}/")).json() == run


def test_it_goes_from_linked_connections_to_reviewed_matches(alice, alice_api):
    for provider, token in (("rutter", "pub-api-shop"), ("plaid", "public-sandbox-api")):
        connection = alice_api.post(v1(alice.company, f"connections/{provider}/"), {"public_token": token}).json()
        assert alice_api.post(v1(alice.company, f"connections/{connection['id']}/sync/")).status_code == 202
    run = alice_api.post(v1(alice.company, "reconciliation-runs/")).json()["run"]
    assert run["status"] == "succeeded"
    matches = alice_api.get(v1(alice.company, "matches/")).json()["results"]
    assert len(matches) == 1 and matches[0]["status"] in ("applied", "suggested")
    if matches[0]["status"] == "suggested":
        accepted = alice_api.post(v1(alice.company, f"matches/{matches[0]['id']}/accept/"))
        assert accepted.json()["status"] == "applied"


def test_it_refuses_to_accept_a_suggestion_that_does_not_add_up(alice, alice_api, alice_books, client):
    """Through the API and the dashboard alike: refused with the reason, nothing written."""
    from tests.dashboard.conftest import headers as embed_headers
    from tests.dashboard.conftest import url as embed_url

    off = f.BankTransactionFactory(company=alice.company, bank_account=alice_books.deposit.bank_account,
                                   amount=Decimal("1234.56"), status="suggested")
    wrong = f.MatchFactory(company=alice.company, bank_transaction=off, run=alice_books.run)
    f.MatchPayoutFactory(company=alice.company, match=wrong, payout=alice_books.suggested_payout)  # 1,200.00
    entries = JournalEntry.objects.filter(company=alice.company).count()

    api = alice_api.post(_url(alice_books, f"{wrong.pk}/accept/"))
    board = client.post(embed_url(alice.company, "accept", pk=wrong.pk), HTTP_HX_REQUEST="true",
                        **embed_headers(alice))

    assert api.status_code in (400, 409) and api.json()["error"]["code"] == "does_not_add_up"
    assert b"do not add up to the deposit" in board.content
    assert JournalEntry.objects.filter(company=alice.company).count() == entries
    assert Match.objects.get(pk=wrong.pk).status == MatchStatus.SUGGESTED
