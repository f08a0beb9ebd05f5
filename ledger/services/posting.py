"""Posting journal entries: balanced per currency, quantized, immutable once posted.

On PostgreSQL the database re-checks balance at commit (deferred trigger) and refuses changes to
posted entries; here the same rules are checked before anything is written, on every database.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal

from django.db import transaction
from django.utils.timezone import now

from companies.models import Company
from ledger.models import Account, EntryStatus, JournalEntry, JournalLine
from ledger.money import ZERO, normalize_currency, quantize


class UnbalancedEntry(ValueError):
    """Debits and credits of an entry differ in some currency, or a line is malformed."""


@dataclass(frozen=True)
class LineSpec:
    account: Account
    currency: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    description: str = ""


@dataclass(frozen=True)
class EntrySpec:
    date: Date
    origin: str
    lines: Sequence[LineSpec]
    memo: str = ""
    reference: str = ""
    created_by: str = "system"
    extra: dict = field(default_factory=dict)


def _clean_lines(company: Company, specs: Sequence[LineSpec]) -> list[JournalLine]:
    if len(specs) < 2:
        raise UnbalancedEntry("an entry needs at least two lines")
    lines, totals = [], defaultdict(lambda: [ZERO, ZERO])
    for spec in specs:
        currency = normalize_currency(spec.currency)
        debit, credit = quantize(spec.debit, currency), quantize(spec.credit, currency)
        if debit < 0 or credit < 0:
            # A negative debit is a credit: flip it rather than store a negative leg.
            debit, credit = max(debit, ZERO) - min(credit, ZERO), max(credit, ZERO) - min(debit, ZERO)
        if (debit > 0) == (credit > 0):
            raise UnbalancedEntry(f"line on {spec.account} must have exactly one of debit/credit")
        if spec.account.company_id != company.pk:
            raise UnbalancedEntry(f"account {spec.account} belongs to another company")
        totals[currency][0] += debit
        totals[currency][1] += credit
        lines.append(JournalLine(
            company=company, account=spec.account, currency=currency, debit=debit, credit=credit,
            description=spec.description[:500],
        ))
    for currency, (debits, credits) in totals.items():
        if debits != credits:
            raise UnbalancedEntry(f"unbalanced in {currency}: debits {debits} != credits {credits}")
    return lines


def journal_entry_post(
    *, company: Company, date: Date, lines: Sequence[LineSpec], origin: str, memo: str = "",
    reference: str = "", created_by: str = "system",
) -> JournalEntry:
    """Post one balanced entry. Idempotent by `reference`: re-posting returns the existing entry."""
    spec = EntrySpec(date=date, origin=origin, lines=lines, memo=memo, reference=reference, created_by=created_by)
    return journal_entries_post_many(company=company, entries=[spec])[0]


@transaction.atomic
def journal_entries_post_many(*, company: Company, entries: Sequence[EntrySpec]) -> list[JournalEntry]:
    """Post many entries in three statements (entries, lines, status) whatever their number.

    Idempotent by reference: an entry whose reference is already booked is returned, not re-posted.
    """
    keys = [spec.reference or f"#{index}" for index, spec in enumerate(entries)]
    references = [spec.reference for spec in entries if spec.reference]
    booked = {
        entry.reference: entry
        for entry in JournalEntry.objects.filter(company=company, reference__in=references)
    } if references else {}
    to_create = {}
    for key, spec in zip(keys, entries, strict=True):
        if key not in booked and key not in to_create:
            to_create[key] = (spec, _clean_lines(company, spec.lines))

    created = JournalEntry.objects.bulk_create([
        JournalEntry(
            company=company, date=spec.date, origin=spec.origin, memo=spec.memo[:500],
            reference=spec.reference, created_by=spec.created_by, status=EntryStatus.DRAFT,
        )
        for spec, _ in to_create.values()
    ])
    lines = []
    for entry, (_, entry_lines) in zip(created, to_create.values(), strict=True):
        for line in entry_lines:
            line.entry = entry
            lines.append(line)
    JournalLine.objects.bulk_create(lines, batch_size=2000)
    posted_at = now()
    ids = [entry.pk for entry in created]
    for start in range(0, len(ids), 2000):
        JournalEntry.objects.filter(pk__in=ids[start:start + 2000]).update(
            status=EntryStatus.POSTED, posted_at=posted_at
        )
    for entry in created:
        entry.status, entry.posted_at = EntryStatus.POSTED, posted_at
    booked.update(zip(to_create.keys(), created, strict=True))
    return [booked[key] for key in keys]


@transaction.atomic
def journal_entry_reverse(
    *, entry: JournalEntry, by: str, reason: str = "", date: Date | None = None
) -> JournalEntry:
    """Post the mirror image of a posted entry; the original stays as it was."""
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != EntryStatus.POSTED:
        raise ValueError(f"entry {entry.pk} is not posted; only posted entries are reversed")
    if JournalEntry.objects.filter(reversal_of=entry).exists():
        raise ValueError(f"entry {entry.pk} is already reversed")
    lines = [
        LineSpec(account=line.account, currency=line.currency, debit=line.credit, credit=line.debit,
                 description=f"Reversal: {line.description}"[:500])
        for line in entry.lines.select_related("account")
    ]
    reversal = JournalEntry.objects.create(
        company_id=entry.company_id, date=date or entry.date, origin="reversal",
        memo=f"Reversal of JE{entry.pk}: {reason}"[:500], reference=f"reversal:{entry.pk}",
        created_by=by, reversal_of=entry, status=EntryStatus.DRAFT,
    )
    new_lines = _clean_lines(entry.company, lines)
    for line in new_lines:
        line.entry = reversal
    JournalLine.objects.bulk_create(new_lines)
    reversal.status, reversal.posted_at = EntryStatus.POSTED, now()
    reversal.save(update_fields=["status", "posted_at"])
    return reversal
