"""Dashboard reads that join the books with reconciliation decisions. All scoped, fixed query counts.

Ledger-only reads (payout items, invoices, overview totals) are in ledger.selectors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Coalesce

from companies.scoping import scoped, tenant_rows
from connections.models import Connection
from ledger.models import BankTransaction, Payout, PayoutItem
from reconciliation.models import Categorization, CategoryRule, Match, MatchPayout, MatchStatus

ACTIVE = (MatchStatus.APPLIED, MatchStatus.SUGGESTED)
PAGE_SIZE = 50


@dataclass(frozen=True)
class TxnFilters:
    q: str = ""
    status: str = ""
    platform: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the (date, id) of the last row shown. Pages cost the same at any depth."""

    date: dt.date
    id: int

    def __str__(self) -> str:
        return f"{self.date.isoformat()}.{self.id}"

    @classmethod
    def parse(cls, raw: str | None) -> Cursor | None:
        try:
            day, _, pk = (raw or "").partition(".")
            return cls(dt.date.fromisoformat(day), int(pk))
        except ValueError:
            return None


def _filtered(company, filters: TxnFilters):
    rows = tenant_rows(BankTransaction, company)
    f = filters
    if f.q:
        text = Q(name__icontains=f.q) | Q(merchant_name__icontains=f.q)
        try:
            text |= Q(amount=Decimal(f.q.replace(",", "").lstrip("$")))
        except ArithmeticError:
            pass
        rows = rows.filter(text)
    if f.status:
        rows = rows.filter(status=f.status)
    if f.platform:
        tied = tenant_rows(MatchPayout, company).filter(status__in=ACTIVE, payout__platform=f.platform)
        rows = rows.filter(pk__in=tied.values("match__bank_transaction_id"))
    if f.date_from:
        rows = rows.filter(date__gte=f.date_from)
    if f.date_to:
        rows = rows.filter(date__lte=f.date_to)
    if f.amount_min is not None:
        rows = rows.filter(amount__gte=f.amount_min)
    if f.amount_max is not None:
        rows = rows.filter(amount__lte=f.amount_max)
    return rows


def _older_than(cursor: Cursor) -> Q:
    """Rows after `cursor` in (-date, -id) order, written so the date bound is an index range.

    `date < d OR (date = d AND id < i)` alone is not: with bound parameters SQLite cannot turn the
    OR into a range and walks the company's whole index from the newest row (426 ms at row
    500,000 of 1M). The redundant `date <= d` gives SQLite and PostgreSQL a range on
    (company, -date, -id); the OR then only filters the rows of day d.
    """
    return Q(date__lte=cursor.date) & (Q(date__lt=cursor.date) | Q(id__lt=cursor.id))


def _active_matches(company):
    payouts = Prefetch(
        "match_payouts", queryset=tenant_rows(MatchPayout, company).select_related("payout").order_by("id")
    )
    return tenant_rows(Match, company).filter(status__in=ACTIVE).prefetch_related(payouts)


@scoped
def bank_transaction_page(*, company, filters: TxnFilters, cursor: Cursor | None = None, limit=PAGE_SIZE):
    """(rows, next cursor or None). Each row carries `.match`: its applied or suggested match."""
    rows = _filtered(company, filters).select_related("bank_account").order_by("-date", "-id")
    if cursor:
        rows = rows.filter(_older_than(cursor))
    rows = list(rows[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    attach_matches(company=company, rows=rows)
    nxt = Cursor(rows[-1].date, rows[-1].id) if more and rows else None
    return rows, nxt


@scoped
def bank_transaction_export(*, company, filters: TxnFilters):
    """Every row the filters show, streamed in keyset chunks (memory stays flat)."""
    cursor = None
    while True:
        rows, cursor = bank_transaction_page(company=company, filters=filters, cursor=cursor, limit=2000)
        yield from rows
        if cursor is None:
            return


@scoped
def attach_matches(*, company, rows) -> None:
    """Set `.match` on each bank line (applied wins over suggested), in two queries; each match
    carries `.links`: its MatchPayout rows with their payouts, in id order.

    The links are grouped by hand rather than with prefetch_related: for 50 matches Django's
    per-instance prefetch bookkeeping cost more than both queries together.
    """
    by_txn: dict[int, Match] = {}
    ids = [r.pk for r in rows]
    if ids:
        active = tenant_rows(Match, company).filter(status__in=ACTIVE, bank_transaction_id__in=ids).order_by("-id")
        for match in active:
            current = by_txn.get(match.bank_transaction_id)
            if current is None or (match.status == MatchStatus.APPLIED and current.status != MatchStatus.APPLIED):
                by_txn[match.bank_transaction_id] = match
    links: dict[int, list] = {m.pk: [] for m in by_txn.values()}
    if links:
        chosen = tenant_rows(MatchPayout, company).filter(match_id__in=list(links)).select_related("payout")
        for link in chosen.order_by("id"):
            links[link.match_id].append(link)
    for match in by_txn.values():
        match.links = links[match.pk]
    for row in rows:
        row.match = by_txn.get(row.pk)


@scoped
def bank_transaction_get(*, company, pk):
    row = tenant_rows(BankTransaction, company).select_related("bank_account").filter(pk=pk).first()
    if row is not None:
        attach_matches(company=company, rows=[row])
    return row


@scoped
def match_get(*, company, pk, status=None):
    rows = tenant_rows(Match, company).select_related("bank_transaction")
    if status:
        rows = rows.filter(status=status)
    return rows.filter(pk=pk).first()


SUGGESTION_SORTS = {
    "newest": ("Newest deposit first", ("-bank_transaction__date", "-id")),
    "oldest": ("Oldest deposit first", ("bank_transaction__date", "id")),
    "confidence": ("Most confident first", ("-confidence", "-bank_transaction__date", "-id")),
    "amount": ("Largest amount first", ("-bank_transaction__amount", "-id")),
}


@scoped
def suggestion_list(*, company, sort: str = "newest", limit=50):
    order = SUGGESTION_SORTS.get(sort, SUGGESTION_SORTS["newest"])[1]
    return list(
        _active_matches(company).filter(status=MatchStatus.SUGGESTED)
        .select_related("bank_transaction").order_by(*order)[:limit]
    )


@scoped
def suggestion_count(*, company) -> int:
    return _active_matches(company).filter(status=MatchStatus.SUGGESTED).count()


@scoped
def applied_match_list(*, company, limit=20):
    """The most recently decided matches first (by a person, or by the engine when it applied)."""
    return list(
        _active_matches(company).filter(status=MatchStatus.APPLIED)
        .select_related("bank_transaction")
        .order_by(Coalesce("decided_at", "created_at").desc(), "-id")[:limit]
    )


def _unmatched(company):
    """Posted bank lines, in or out, that nothing explains yet (no match, not categorized)."""
    return tenant_rows(BankTransaction, company).filter(status="unreconciled", pending=False)


COUNT_CAP = 10_000


@dataclass(frozen=True)
class OpenCount:
    """How many lines wait, counted up to COUNT_CAP: "10,000+" beyond it. Counting every one of a
    million open lines costs a scan of them all on each page view (280 ms on SQLite in `bench
    dashboard`); past ten thousand the exact figure does not change what a person does next."""

    n: int

    @property
    def capped(self) -> bool:
        return self.n > COUNT_CAP

    def __str__(self) -> str:
        return f"{COUNT_CAP:,}+" if self.capped else str(self.n)


@scoped
def unmatched_deposit_count(*, company) -> OpenCount:
    return OpenCount(_unmatched(company).order_by()[: COUNT_CAP + 1].count())


@scoped
def unmatched_deposit_page(*, company, before: Cursor | None = None, limit=PAGE_SIZE):
    """Deposits no payout explains, newest first, a page at a time: (rows, cursor of the next
    page or None). Every one can be reached, however many there are."""
    rows = _unmatched(company).select_related("bank_account").order_by("-date", "-id")
    if before is not None:
        rows = rows.filter(_older_than(before))
    rows = list(rows[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (Cursor(rows[-1].date, rows[-1].id) if more and rows else None)


@scoped
def chosen_payouts(*, company, payout_ids):
    """The company's payouts of these ids (the service says why one cannot be matched)."""
    return list(tenant_rows(Payout, company).filter(pk__in=list(payout_ids)))


@scoped
def matched_payout_ids(*, company, payout_ids) -> set[int]:
    """Of these payouts, the ones an applied match already holds."""
    return set(tenant_rows(MatchPayout, company).filter(status=MatchStatus.APPLIED, payout_id__in=list(payout_ids))
               .values_list("payout_id", flat=True))



@dataclass(frozen=True)
class InferredLines:
    """What an inferred match groups: its connection's platform and the items themselves."""

    connection: str
    platform: str
    items: list


@scoped
def inferred_lines_for_match(*, company, match) -> InferredLines:
    """The platform transactions an inferred match groups, from its `inferred_items` refs.

    Refs are `<connection ref>:<item id>` (`rutter:<conn>:<item id>`) of items of the match's
    `inferred_connection`. Two queries (connection platform, items); refs of another connection
    or another company's items find nothing.
    """
    source = match.inferred_connection
    provider, _, external_id = source.partition(":")
    platform = (
        tenant_rows(Connection, company).filter(provider=provider, external_id=external_id)
        .values_list("platform", flat=True).first()
    ) or provider
    prefix = f"{source}:"
    ids = [ref[len(prefix):] for ref in (match.inferred_items or []) if ref.startswith(prefix)]
    items = list(
        tenant_rows(PayoutItem, company).filter(source=source, external_id__in=ids).order_by("occurred_at", "id")
    ) if ids else []
    if not items and match.fee_schedule:  # an orders-only sweep: its orders, priced, not yet items
        from reconciliation.services.fee_schedules import orders_priced_rows

        rows = orders_priced_rows(company=company, source=source, schedule=match.fee_schedule,
                                  refs=set(match.inferred_items or ()))
        items = sorted((PayoutItem(company=company, **row) for row in rows), key=lambda i: (i.occurred_at, i.external_id))
    return InferredLines(source, platform.upper(), items)


@scoped
def categorization_get(*, company, pk: int):
    return tenant_rows(Categorization, company).select_related("bank_transaction").filter(pk=pk).first()


@scoped
def category_rule_get(*, company, pk: int):
    return tenant_rows(CategoryRule, company).filter(pk=pk, is_active=True).first()


@scoped
def category_rule_list(*, company):
    return list(tenant_rows(CategoryRule, company).filter(is_active=True).annotate(used=Count("uses")))


@scoped
def categorization_list(*, company, limit=20):
    """The lines most recently categorized as not platform money (still standing)."""
    return list(tenant_rows(Categorization, company).filter(undone_at__isnull=True)
                .select_related("bank_transaction", "rule").order_by("-created_at", "-id")[:limit])
