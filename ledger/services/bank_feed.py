"""Bulk upserts of the bank feed: bank accounts and bank transactions, keyed on
(company, source, external_id), as ingest.py does for the platforms' rows."""


from django.db import transaction

from ledger.bulk import analyzed_if_grown, chunks, clip, dedupe, ids_by_external, upsert
from ledger.models import BankAccount, BankTransaction, BankTransactionStatus
from ledger.services.accounts import bank_ledger_account_for

# -- the bank feed -----------------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def bank_account_upsert_many(*, company, rows: list[dict]) -> int:
    """Bank feed accounts -> BankAccounts, each with its own ledger bank account."""
    rows = dedupe(rows)
    upsert(BankAccount, [
        {"company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
         "name": clip(r.get("name"), 200), "official_name": clip(r.get("official_name"), 300),
         "mask": clip(r.get("mask"), 8), "type": clip(r.get("type"), 40),
         "subtype": clip(r.get("subtype"), 40), "currency": r["currency"],
         "current_balance": r.get("current_balance"), "available_balance": r.get("available_balance")}
        for r in rows
    ], ["name", "official_name", "mask", "type", "subtype", "currency", "current_balance",
        "available_balance"])
    for account in BankAccount.objects.filter(
        company=company, ledger_account__isnull=True,
        external_id__in=[r["external_id"] for r in rows],
    ):
        ledger = bank_ledger_account_for(company=company, source=account.ref,
                                         name=f"{account.name} {account.mask}".strip())
        BankAccount.objects.filter(pk=account.pk).update(ledger_account=ledger)
    return len(rows)


@transaction.atomic(savepoint=False)
def bank_transaction_upsert_many(*, company, rows: list[dict]) -> int:
    """Bank lines (connections.mapping.plaid.bank_transaction_row, + = deposit) -> BankTransactions.

    A posted line that replaces a pending one deletes the pending row (unless reconciled), so a
    deposit never appears twice. Rows of unknown bank accounts are an error: sync accounts first.
    """
    rows = dedupe(rows)
    accounts: dict[tuple[str, str], int] = {}
    for source in {r["source"] for r in rows}:
        ids = ids_by_external(BankAccount, company=company, source=source,
                               external_ids=[r["account_external_id"] for r in rows if r["source"] == source])
        accounts.update({(source, e): pk for e, pk in ids.items()})
    objs = []
    for r in rows:
        account_id = accounts.get((r["source"], r["account_external_id"]))
        if account_id is None:
            raise ValueError(f"bank account {r['account_external_id']} of {r['source']} is not synced")
        objs.append({
            "company_id": company.pk, "source": r["source"], "external_id": r["external_id"],
            "bank_account_id": account_id, "date": r["date"], "authorized_date": r.get("authorized_date"),
            "currency": r["currency"], "amount": r["amount"], "name": clip(r.get("name"), 500),
            "merchant_name": clip(r.get("merchant_name"), 300),
            "payment_channel": clip(r.get("payment_channel"), 20), "pending": bool(r.get("pending")),
            "pending_external_id": clip(r.get("pending_transaction_external_id"), 255),
            "updated_at": r.get("occurred_at"),
        })
    upsert(BankTransaction, objs, ["bank_account", "date", "authorized_date", "currency", "amount", "name",
                                    "merchant_name", "payment_channel", "pending", "pending_external_id",
                                    "updated_at"])
    replaced: dict[str, list] = {}
    for r in rows:
        if not r.get("pending") and r.get("pending_transaction_external_id"):
            replaced.setdefault(r["source"], []).append(r["pending_transaction_external_id"])
    for source, pending_ids in replaced.items():
        bank_transaction_delete_many(company=company, source=source, external_ids=pending_ids, pending_only=True)
    return len(rows)


@transaction.atomic(savepoint=False)
def bank_transaction_delete_many(*, company, source: str, external_ids, pending_only: bool = False) -> int:
    """Delete bank lines the bank withdrew; reconciled lines are kept (their match stands)."""
    deleted = 0
    if external_ids:
        analyzed_if_grown(BankTransaction)
    for chunk in chunks(sorted(set(external_ids))):
        rows = BankTransaction.objects.filter(company=company, source=source, external_id__in=chunk).exclude(
            status=BankTransactionStatus.RECONCILED
        )
        if pending_only:
            rows = rows.filter(pending=True)
        deleted += rows.delete()[0]
    return deleted
