"""Booking reconciled money into the books (accrual basis, each thing booked exactly once).

- items (`items:<run token>:<group>`): every settled platform transaction is booked into its
  connection's clearing account when it settles, grouped per payout and currency (or per
  connection, currency and settlement day while no payout names it): sales, refunds, processing fees, marketplace commissions, chargebacks,
  reserves, anything else to Uncategorized; plus Expense rows per fee category and Payment/Refund
  rows for the invoices the items paid. Fees are expenses when the platform takes them, whether
  or not the money has reached the bank yet.
- deposit (`match:<id>:deposit`): bank ← clearing for each payout of a match. A payout in another
  currency than the bank line goes through the FX gain/loss account per currency (trading-account
  method), so every entry balances in every currency and the difference shows as FX gain/loss.
  Undoing a match reverses exactly this entry.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.timezone import now

from connections.models import Connection
from ledger.models import (
    AccountRole,
    BankTransaction,
    ExpenseCategory,
    JournalEntry,
    Payout,
)
from ledger.money import ZERO
from ledger.services import (
    EntrySpec,
    LineSpec,
    clearing_account_for,
    journal_entries_post_many,
    journal_entry_reverse,
)
from ledger.services.settlement import (
    expenses_create_many,
    invoice_documents_create,
    payout_items_link_entries,
    unbooked_item_sums,
)
from reconciliation import engine as E
from reconciliation.engine.breakdown import breakdown_of
from reconciliation.rows import kind_total
from reconciliation.services.errors import ReconciliationError

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
        # Connection reference -> platform, upper case (the provider when it names none).
        self.platforms = {
            ref: (platform or ref.split(":", 1)[0]).upper() for ref, (_, platform) in self._connections.items()
        }

    def role(self, role):
        return self.by_role[role]

    def clearing(self, source: str):
        if source not in self._clearing:
            name = self._connections.get(source, ("", ""))[0] or source
            self._clearing[source] = clearing_account_for(company=self.company, source=source, name=name)
        return self._clearing[source]

    def platform_of(self, source: str) -> str:
        return self.platforms.get(source) or source.split(":", 1)[0].upper()

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


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))  # SQLite sums are floats


def _groups(company):
    """Per (connection, currency, payout or day): the sums of each kind of item.

    Explicit payouts are booked on their arrival date, anything else on its settlement day; the
    items of one explicit payout are one group whatever days they settled on.
    """
    rows = unbooked_item_sums(company=company)
    payouts = Payout.objects.filter(company=company, is_inferred=False).in_bulk({row[2] for row in rows if row[2]})
    sums = defaultdict(dict)  # group key -> kind -> [gross, fee, net, count]
    for source, currency, payout_id, day, kind, gross, fee, net, count in rows:
        payout = payouts.get(payout_id)
        key = (source, currency, payout.pk, payout.arrival_date) if payout else (
            source, currency, None, date.fromisoformat(str(day)))
        total = sums[key].setdefault(kind, [ZERO, ZERO, ZERO, 0])
        total[0] += _decimal(gross)
        total[1] += _decimal(fee)
        total[2] += _decimal(net)
        total[3] += count
    groups = {}
    for key in sorted(sums, key=lambda k: (k[0], k[1], k[2] is None, k[2] or 0, k[3] or date.min)):
        groups[key] = [{"kind": kind, "gross": gross, "fee": fee, "net": net, "count": count, "day": key[3]}
                       for kind, (gross, fee, net, count) in sorted(sums[key].items())]
    return groups, payouts


def _kind_totals(source, currency, rows, platform: str) -> list[E.PlatformItem]:
    """Each kind's totals as one engine item, so the buckets are the engine's own breakdown."""
    return [
        kind_total(ref=f"{source}:{row['kind']}", source=source, payout_ref=None, kind=row["kind"],
                   currency=currency, gross=row["gross"], fee=row["fee"], net=row["net"],
                   day=row["day"], platform=platform)
        for row in rows
    ]


def _group_reference(token: str, source: str, currency: str, payout_id, day) -> str:
    """Unique per group (entries are idempotent by reference): a payout's items in two currencies
    are two groups, so two entries."""
    return f"items:{token}:p{payout_id}:{source}:{currency}" if payout_id else f"items:{token}:{source}:{currency}:{day}"


@transaction.atomic
def items_book(*, company, by: str) -> int:
    """Book every settled platform transaction not booked yet; returns how many were booked.

    Set-based whatever the volume: one GROUP BY, one entry per group, one UPDATE per group kind to
    link items to their entry, one INSERT…SELECT each for payments and refunds.
    """
    books = Books(company)
    groups, payouts = _groups(company)
    if not groups:
        return 0
    token = uuid.uuid4().hex[:12]
    plan, specs = [], []
    for (source, currency, payout_id, day), rows in groups.items():
        payout = payouts.get(payout_id)
        label = f"{payout.platform} payout {payout.external_id}" if payout else f"{books.platform_of(source)} {day}"
        items = _kind_totals(source, currency, rows, books.platform_of(source))
        net = sum((item.net for item in items), ZERO)
        b = breakdown_of(payout_ref=label, connection_ref=source, currency=currency, amount=net, items=items)
        lines = _item_lines(books, source, b, items, label)
        if len(lines) < 2:
            continue  # nothing but zeros: nothing to book
        plan.append((payout, b, source, sum(row["count"] for row in rows), (source, currency, payout_id, day)))
        entry_day = day or (payout.created_on.date() if payout and payout.created_on else None) or now().date()
        specs.append(EntrySpec(
            date=entry_day, origin="platform_transactions", memo=f"Platform transactions: {label}",
            reference=_group_reference(token, source, currency, payout_id, day), lines=lines, created_by=by,
        ))
    entries = journal_entries_post_many(company=company, entries=specs)
    counted = sum(count for _, _, _, count, _ in plan)
    linked = payout_items_link_entries(company=company, keys=[key for *_, key in plan], entries=entries)
    if linked != counted:  # a transaction synced or settled between the GROUP BY and the link
        raise ItemsChangedWhileBooking(f"{counted} platform transactions counted, {linked} linked")
    _expenses_create(company, plan, entries)
    if entries:
        invoice_documents_create(company=company, first_entry_id=min(entry.pk for entry in entries))
    return counted


class ItemsChangedWhileBooking(RuntimeError):
    """Rolls the booking back (nothing half-booked); the next run books the new state."""


def _expenses_create(company, plan, entries):
    rows = []
    for (payout, b, source, _, _), entry in zip(plan, entries, strict=True):
        for category, field in EXPENSE_BUCKETS:
            amount = -getattr(b, field)
            if amount:
                rows.append(dict(
                    source=source, external_id=f"{category}:{entry.pk}", payout=payout,
                    journal_entry=entry, category=category, date=entry.date, currency=b.currency,
                    amount=amount, description=f"{category.label}: {b.payout_ref}",
                ))
    expenses_create_many(company=company, rows=rows)


def deposit_spec(*, books: Books, match, bank_transaction: BankTransaction, payouts: Sequence[Payout], by: str) -> EntrySpec | None:
    """The deposit entry of a match, or None when nothing moves (a payout that netted to zero)."""
    lines = [LineSpec(account=books.bank(bank_transaction), currency=bank_transaction.currency,
                      debit=bank_transaction.amount, description=bank_transaction.name[:200])]
    per_currency = defaultdict(lambda: ZERO)
    per_currency[bank_transaction.currency] += bank_transaction.amount
    for payout in payouts:
        lines.append(LineSpec(account=books.clearing(payout.source), currency=payout.currency,
                              credit=payout.amount, description=f"{payout.platform} payout {payout.external_id}"))
        per_currency[payout.currency] -= payout.amount
    if not payouts:
        raise ReconciliationError("does_not_add_up", "There is no payout behind this deposit.")
    payout_currencies = {payout.currency for payout in payouts}
    if bank_transaction.currency in payout_currencies and per_currency[bank_transaction.currency]:
        # Same currency: the payouts must be the deposit to the cent. FX gain/loss is only ever
        # the difference of a conversion between two currencies, never a plug.
        raise ReconciliationError(
            "does_not_add_up", f"The payouts do not add up to the deposit: "
            f"{per_currency[bank_transaction.currency]} {bank_transaction.currency} apart.")
    for currency, difference in per_currency.items():
        if difference:
            lines.append(LineSpec(account=books.role(R.FX_GAIN_LOSS), currency=currency, credit=difference,
                                  description="Currency conversion of the payout"))
    lines = [line for line in lines if line.debit or line.credit]
    if not lines:
        return None
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
