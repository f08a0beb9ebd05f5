"""Booking reconciled money into the books (accrual basis, each thing booked exactly once).

- items (`items:<first item id>`): every settled platform transaction is booked into its
  connection's clearing account when it settles, grouped per payout (or per connection-day while
  no payout names it): sales, refunds, processing fees, marketplace commissions, chargebacks,
  reserves, anything else to Uncategorized; plus Expense rows per fee category and Payment/Refund
  rows for the invoices the items paid. Fees are expenses when the platform takes them, whether
  or not the money has reached the bank yet.
- deposit (`match:<id>:deposit`): bank ← clearing for each payout of a match. A payout in another
  currency than the bank line goes through the FX gain/loss account per currency (trading-account
  method), so every entry balances in every currency and the difference shows as FX gain/loss.
  Undoing a match reverses exactly this entry.
"""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from connections.models import Connection
from ledger.models import (
    AccountRole,
    BankTransaction,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceStatus,
    JournalEntry,
    Payment,
    Payout,
    PayoutItem,
    Refund,
)
from ledger.money import ZERO
from ledger.services import (
    EntrySpec,
    LineSpec,
    clearing_account_for,
    journal_entries_post_many,
    journal_entry_reverse,
)
from reconciliation import engine as E
from reconciliation.engine.breakdown import breakdown_of
from reconciliation.selectors.inputs import ITEM_FIELDS, platform_item

R = AccountRole
OTHER_ROLES = {
    "chargeback": R.CHARGEBACKS,
    "chargeback_reversal": R.CHARGEBACKS,
    "reserve_hold": R.PLATFORM_RESERVES,
    "reserve_release": R.PLATFORM_RESERVES,
}
NOT_OTHER = frozenset({"sale", "refund", "fee", "commission", "payout"})
EXPENSE_BUCKETS = (
    (ExpenseCategory.PROCESSING_FEES, "processing_fees"),
    (ExpenseCategory.MARKETPLACE_COMMISSIONS, "marketplace_fees"),
)


class Books:
    """Accounts of one company, looked up once per booking run."""

    def __init__(self, company):
        from ledger.models import Account

        self.company = company
        self.by_role = {a.role: a for a in Account.objects.filter(company=company, source="")}
        self._clearing = {}
        self._connections = {
            f"{provider}:{ext}": (name, platform)
            for provider, ext, name, platform in Connection.objects.filter(company=company)
            .values_list("provider", "external_id", "display_name", "platform")
        }

    def role(self, role):
        return self.by_role[role]

    def clearing(self, source: str):
        if source not in self._clearing:
            name = self._connections.get(source, ("", ""))[0] or source
            self._clearing[source] = clearing_account_for(company=self.company, source=source, name=name)
        return self._clearing[source]

    @property
    def platforms(self) -> dict[str, str]:
        return {ref: (platform or ref.split(":", 1)[0]).upper() for ref, (_, platform) in self._connections.items()}

    def platform_of(self, source: str) -> str:
        platform = self._connections.get(source, ("", ""))[1]
        return (platform or source.split(":", 1)[0]).upper()

    def bank(self, bank_transaction: BankTransaction):
        return bank_transaction.bank_account.ledger_account or self.role(R.BANK)


def _item_lines(books: Books, source: str, b: E.Breakdown, items: Sequence[E.PlatformItem], label: str):
    """Counter-account lines carry the items' effect on the clearing account, which takes the net."""
    effect = defaultdict(lambda: ZERO)  # role -> signed effect on the platform balance
    effect[R.SALES] += b.gross
    effect[R.SALES_RETURNS] += b.refunds
    effect[R.PROCESSING_FEES] += b.processing_fees
    effect[R.MARKETPLACE_COMMISSIONS] += b.marketplace_fees
    for item in items:
        if item.kind not in NOT_OTHER:
            effect[OTHER_ROLES.get(item.kind, R.UNCATEGORIZED)] += item.gross
    lines = [
        LineSpec(account=books.role(role), currency=b.currency, credit=amount, description=f"{role.label}: {label}")
        for role, amount in effect.items() if amount
    ]
    net = sum(effect.values(), ZERO)
    if net:
        lines.append(LineSpec(account=books.clearing(source), currency=b.currency, debit=net, description=f"Net: {label}"))
    return lines


def _groups(company, platforms):
    """Settled, unbooked items grouped by (connection, currency, payout or day)."""
    rows = (PayoutItem.objects.filter(company=company, booked_entry__isnull=True).exclude(kind="payout")
            .values_list("pk", "payout__arrival_date", *ITEM_FIELDS).order_by("pk"))
    groups = defaultdict(list)
    for pk, arrival, *fields in rows.iterator(20_000):
        item = platform_item(tuple(fields), platforms)
        if item.settled_on is None:
            continue  # pending or failed: booked when (if) it settles
        payout_id, inferred = fields[0], fields[4]
        key = (item.connection_ref, item.currency, payout_id if payout_id and not inferred else None,
               arrival if payout_id and not inferred else item.settled_on)
        groups[key].append((pk, item))
    return groups


@transaction.atomic
def items_book(*, company, by: str) -> int:
    """Book every settled platform transaction not booked yet; returns how many were booked."""
    books = Books(company)
    groups = _groups(company, books.platforms)
    payouts = Payout.objects.in_bulk([key[2] for key in groups if key[2]])
    plan, specs = [], []
    for (source, currency, payout_id, day), members in sorted(groups.items(), key=lambda kv: kv[1][0][0]):
        items = [item for _, item in members]
        payout = payouts.get(payout_id)
        label = f"{payout.platform} payout {payout.external_id}" if payout else f"{books.platform_of(source)} {day}"
        net = sum((item.net for item in items), ZERO)
        b = breakdown_of(payout_ref=label, connection_ref=source, currency=currency, amount=net, items=items)
        lines = _item_lines(books, source, b, items, label)
        plan.append((payout, b, items, [pk for pk, _ in members], source))
        specs.append(EntrySpec(
            date=day or max(item.occurred_on for item in items), origin="platform_transactions",
            memo=f"Platform transactions: {label}", reference=f"items:{members[0][0]}",
            lines=lines, created_by=by,
        ) if len(lines) >= 2 else None)
    booked = [(p, spec) for p, spec in zip(plan, specs, strict=True) if spec is not None]
    entries = journal_entries_post_many(company=company, entries=[spec for _, spec in booked])
    kept = []
    for ((payout, b, items, pks, source), _), entry in zip(booked, entries, strict=True):
        for start in range(0, len(pks), 5000):
            PayoutItem.objects.filter(pk__in=pks[start:start + 5000]).update(booked_entry=entry)
        kept.append((payout, b, items, source))
    _expenses_create(company, kept, entries)
    _invoice_documents_create(company, kept, entries)
    return sum(len(items) for _, _, items, _ in kept)


def _expenses_create(company, kept, entries):
    rows = []
    for (payout, b, _, source), entry in zip(kept, entries, strict=True):
        for category, field in EXPENSE_BUCKETS:
            amount = -getattr(b, field)
            if amount:
                rows.append(Expense(
                    company=company, source=source, external_id=f"{category}:{entry.pk}",
                    payout=payout, journal_entry=entry, category=category, date=entry.date,
                    currency=b.currency, amount=amount, description=f"{category.label}: {b.payout_ref}",
                ))
    Expense.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def _invoice_documents_create(company, kept, entries):
    """Payment / Refund rows for the invoices the items paid, then invoices' paid status."""
    wanted = {(it.connection_ref, it.order_ref.split(":", 2)[-1]) for _, _, items, _ in kept for it in items
              if it.order_ref and it.kind in ("sale", "refund")}
    if not wanted:
        return
    invoices = {}
    for source in {s for s, _ in wanted}:
        ids = [ext for s, ext in wanted if s == source]
        for start in range(0, len(ids), 5000):
            for pk, ext in Invoice.objects.filter(company=company, source=source, external_id__in=ids[start:start + 5000]).values_list("pk", "external_id"):
                invoices[(source, ext)] = pk
    payments, refunds = [], []
    for (_, _, items, _), entry in zip(kept, entries, strict=True):
        for it in items:
            key = (it.connection_ref, (it.order_ref or "").split(":", 2)[-1])
            if key not in invoices or it.kind not in ("sale", "refund"):
                continue
            model, rows = (Payment, payments) if it.kind == "sale" else (Refund, refunds)
            rows.append(model(
                company=company, source=it.connection_ref, invoice_id=invoices[key],
                external_id=f"{it.ref.split(':', 2)[-1]}@{entry.pk}", journal_entry=entry,
                date=it.occurred_on, currency=it.currency, amount=abs(it.gross),
            ))
    Payment.objects.bulk_create(payments, batch_size=5000, ignore_conflicts=True)
    Refund.objects.bulk_create(refunds, batch_size=5000, ignore_conflicts=True)
    invoices_refresh(company=company, invoice_ids=list(set(invoices.values())))


def invoices_refresh(*, company, invoice_ids: list[int]):
    """Recompute paid/refunded amounts and status from bookings that still stand (set-based)."""
    live = Q(journal_entry__reversed_by__isnull=True)
    paid = Payment.objects.filter(live, invoice=OuterRef("pk")).values("invoice").annotate(s=Sum("amount")).values("s")
    refunded = Refund.objects.filter(live, invoice=OuterRef("pk")).values("invoice").annotate(s=Sum("amount")).values("s")
    for start in range(0, len(invoice_ids), 5000):
        batch = Invoice.objects.filter(company=company, pk__in=invoice_ids[start:start + 5000])
        batch.update(amount_paid=Coalesce(Subquery(paid), Value(ZERO)),
                     amount_refunded=Coalesce(Subquery(refunded), Value(ZERO)))
        batch.filter(amount_paid__lte=0).update(status=InvoiceStatus.OPEN)
        batch.filter(amount_paid__gt=0).update(status=InvoiceStatus.PARTIALLY_PAID)
        batch.filter(amount_paid__gt=0, amount_paid__gte=F("total")).update(status=InvoiceStatus.PAID)
        batch.filter(amount_refunded__gt=0, amount_refunded__gte=F("total")).update(status=InvoiceStatus.REFUNDED)


def deposit_spec(*, books: Books, match, bank_transaction: BankTransaction, payouts: Sequence[Payout], by: str) -> EntrySpec:
    lines = [LineSpec(account=books.bank(bank_transaction), currency=bank_transaction.currency,
                      debit=bank_transaction.amount, description=bank_transaction.name[:200])]
    per_currency = defaultdict(lambda: ZERO)
    per_currency[bank_transaction.currency] += bank_transaction.amount
    for payout in payouts:
        lines.append(LineSpec(account=books.clearing(payout.source), currency=payout.currency,
                              credit=payout.amount, description=f"{payout.platform} payout {payout.external_id}"))
        per_currency[payout.currency] -= payout.amount
    for currency, difference in per_currency.items():
        if difference:
            lines.append(LineSpec(account=books.role(R.FX_GAIN_LOSS), currency=currency, credit=difference,
                                  description="Currency conversion of the payout"))
    return EntrySpec(
        date=bank_transaction.date, origin="deposit_match", lines=lines, created_by=by,
        memo=f"Deposit {bank_transaction.name[:120]}", reference=f"match:{match.pk}:deposit",
    )


def match_entries_reverse(*, match, by: str, reason: str) -> list[JournalEntry]:
    """Reverse everything booked for a match (its deposit entry)."""
    entries = JournalEntry.objects.filter(
        company_id=match.company_id, reference__startswith=f"match:{match.pk}:", reversed_by__isnull=True,
    ).order_by("id")
    return [journal_entry_reverse(entry=e, by=by, reason=reason) for e in entries]


def fx_difference(decision_fx) -> Decimal:
    return decision_fx.difference if decision_fx is not None else ZERO
