"""The mission example through the whole product: sandbox → clients → books → reconcile → export."""

from decimal import Decimal

from django.core.management import call_command

from ledger.models import BankTransaction, Expense, Invoice, InvoiceStatus, JournalEntry
from ledger.selectors import books_balanced
from reconciliation.models import Match, MatchStatus
from reconciliation.selectors.export import reconciliation_export
from reconciliation.services import reconcile_company
from sandbox.scoring import score
from tests.reconciliation.services.conftest import DATA, load_json

SHOPIFY = "rutter:11111111-1111-4111-8111-111111111111"
AMAZON = "rutter:22222222-2222-4222-8222-222222222222"


def test_it_matches_both_deposits_and_leaves_the_look_alike_alone(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    export = reconciliation_export(company=company)
    rows = {row["bank"]: row for row in export["deposits"]}
    assert rows["plaid:bank-txn-1"]["status"] == "matched"
    assert rows["plaid:bank-txn-1"]["payouts"] == [f"{SHOPIFY}:shp-po-3001"]
    assert rows["plaid:bank-txn-2"]["payouts"] == [f"{AMAZON}:amz-po-9001"]
    assert rows["plaid:bank-txn-4"]["status"] == "unmatched"  # the $2,100.00 wholesale credit
    assert rows["plaid:bank-txn-3"]["status"] == "unmatched"  # payroll going out
    report = score(export=export, truth=load_json("mission-example.truth.json"))
    assert (report["precision"], report["recall"]) == (1.0, 1.0)


def test_it_books_fees_per_connection_and_keeps_every_entry_balanced(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    fees = {}
    for expense in Expense.objects.filter(company=company):
        fees[expense.source] = fees.get(expense.source, Decimal(0)) + expense.amount
    assert fees == {SHOPIFY: Decimal("117.20"), AMAZON: Decimal("460.00")}
    assert books_balanced(company=company)
    export = reconciliation_export(company=company)
    assert export["ledger"]["balanced"] and export["ledger"]["entries"] == 4
    assert all(p["balanced"] for p in export["payouts"])
    shopify = next(p for p in export["payouts"] if p["payout"].endswith("shp-po-3001"))
    assert (shopify["gross"], shopify["fees"], shopify["refunds"], shopify["net"]) == ("4000.00", "-117.20", "-32.80", "3850.00")


def test_it_marks_the_invoices_paid(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    statuses = dict(Invoice.objects.filter(company=company).values_list("external_id", "status"))
    assert statuses["shp-ord-1001"] == InvoiceStatus.PAID
    assert set(statuses.values()) == {InvoiceStatus.PAID}


def test_it_changes_nothing_when_run_again(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    before = (
        list(JournalEntry.objects.filter(company=company).values_list("pk", "reference")),
        list(Match.objects.filter(company=company).values_list("pk", "status")),
        list(BankTransaction.objects.filter(company=company).values_list("pk", "status")),
    )
    run = reconcile_company(company=company)
    after = (
        list(JournalEntry.objects.filter(company=company).values_list("pk", "reference")),
        list(Match.objects.filter(company=company).values_list("pk", "status")),
        list(BankTransaction.objects.filter(company=company).values_list("pk", "status")),
    )
    assert before == after
    assert run.stats["applied"] == 0 and run.stats["items_booked"] == 0


def test_it_keeps_tenants_apart(synced_world, alice, bob):
    synced_world(tenant=bob)
    company = synced_world(tenant=alice)
    reconcile_company(company=company)
    assert not Match.objects.filter(company=bob.company).exists()
    assert not JournalEntry.objects.filter(company=bob.company).exists()
    assert Match.objects.filter(company=company, status=MatchStatus.APPLIED).count() == 2
    reconcile_company(company=bob.company)
    assert {m.bank_transaction.company_id for m in Match.objects.filter(company=bob.company)} == {bob.company.pk}


def test_run_world_and_score_world_commands(tmp_path, db, capsys):
    export = tmp_path / "export.json"
    call_command("run_world", str(DATA / "mission-example.world.json"), export=str(export))
    call_command("score_world", str(export), str(DATA / "mission-example.truth.json"))
    out = capsys.readouterr().out
    assert "precision 1.0000  recall 1.0000" in out
    assert "fees equal truth per connection: True" in out
