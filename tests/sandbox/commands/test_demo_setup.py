from django.core.management import call_command

from companies.models import ApiKey, Company
from connections.models import Connection, ConnectionStatus
from ledger.models import BankTransaction, BankTransactionStatus
from ledger.selectors import books_balanced


def test_it_sets_up_a_linked_synced_reconciled_demo(db, tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo_setup", "--days", "21", "--seed", "3", "--no-serve")
    out = capsys.readouterr().out
    company = Company.objects.get(name="Demo Goods LLC")
    connections = Connection.objects.filter(company=company)
    assert {c.provider for c in connections} == {"rutter", "stripe", "plaid"}
    assert all(c.status == ConnectionStatus.READY for c in connections)
    assert BankTransaction.objects.filter(company=company, status=BankTransactionStatus.RECONCILED).exists()
    assert books_balanced(company=company)
    assert "failed" not in out
    key_line = next(line for line in out.splitlines() if "Partner API key:" in line)
    assert ApiKey.objects.filter(prefix=key_line.split("tk_")[1].split("_")[0]).exists()
    assert "http://127.0.0.1:8001" in out
