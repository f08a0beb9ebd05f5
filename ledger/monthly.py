"""Monthly figures for the overview: per month and currency, what the bank received and what still
waits; per month, platform, currency and item kind, what payouts carried.

They are read from the rollups (ledger.models.rollups) for every month no write has touched since
the last refresh, and aggregated live for the months that carry a mark: a figure is never stale,
and a refresh (ledger.services.rollups) only makes it cheaper. Reads only: nothing here writes.
"""

from datetime import UTC, date, datetime, time

from django.db.models import CharField, Count, F, Func, Q, Sum

from companies.scoping import scoped, tenant_rows
from ledger.models import (
    OPEN_STATUSES,
    BankMonth,
    BankTransaction,
    ItemMonth,
    Payout,
    PayoutItem,
    RollupKind,
    RollupMark,
)

OVERVIEW_MONTHS = 12


class MonthKey(Func):
    """'YYYY-MM' of a date or a (UTC) datetime, computed by the database. Django's TruncMonth
    calls a Python function per row on SQLite: 3.9 s over a million bank lines in `bench
    dashboard`, against a native SUBSTR. Django keeps both databases' sessions in UTC."""

    template = "TO_CHAR(%(expressions)s, 'YYYY-MM')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="SUBSTR(%(expressions)s, 1, 7)", **extra)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year + mon // 12, mon % 12 + 1, 1)


def month_ranges(months) -> list[tuple[date, date]]:
    """The months ('YYYY-MM') as [first day, first day after) ranges, consecutive months joined."""
    ranges: list[tuple[date, date]] = []
    for month in sorted(set(months)):
        first = date(int(month[:4]), int(month[5:7]), 1)
        if ranges and ranges[-1][1] == first:
            ranges[-1] = (ranges[-1][0], _next_month(month))
        else:
            ranges.append((first, _next_month(month)))
    return ranges


def _in_months(field: str, months, *, moment: bool = False) -> Q:
    q = Q(pk__in=[])
    for first, end in month_ranges(months):
        if moment:
            first, end = (datetime.combine(d, time.min, tzinfo=UTC) for d in (first, end))
        q |= Q(**{f"{field}__gte": first, f"{field}__lt": end})
    return q


# The bank-line conditions sit in the aggregates' FILTER, not in WHERE: with `amount > 0` in WHERE,
# SQLite (no statistics, as deployed) read the (company, amount) index across all of history
# instead of the months' date range (1.5 s against ~0.1 s at a million lines, `bench dashboard`).
@scoped
def bank_months_live(*, company, months=None) -> list[dict]:
    """Bank lines aggregated now, for the given months (all when None)."""
    rows = tenant_rows(BankTransaction, company)
    if months is not None:
        rows = rows.filter(_in_months("date", months))
    waiting = Q(status__in=OPEN_STATUSES, pending=False, amount__gt=0)
    return list(rows.annotate(month=MonthKey("date")).values("month", "currency")
                .annotate(deposited=Sum("amount", filter=Q(amount__gt=0)), waiting=Count("id", filter=waiting),
                          waiting_total=Sum("amount", filter=waiting)).order_by("month", "currency"))


@scoped
def item_months_live(*, company, months=None) -> list[dict]:
    """Settled payout items aggregated now, for the given months (all when None)."""
    rows = tenant_rows(PayoutItem, company).filter(payout__isnull=False)
    if months is not None:
        rows = rows.filter(_in_months("occurred_at", months, moment=True))
    return list(rows.annotate(month=MonthKey("occurred_at"), platform=F("payout__platform"))
                .values("month", "platform", "currency", "kind")
                .annotate(amount=Sum("amount"), fee=Sum("fee")).order_by("month", "platform", "currency", "kind"))


@scoped
def marked_months(*, company) -> dict[str, set[str]]:
    """The months whose rollup a write made stale since the last refresh, by rollup kind."""
    marked: dict[str, set[str]] = {RollupKind.BANK: set(), RollupKind.ITEM: set()}
    for kind, month in tenant_rows(RollupMark, company).values_list("kind", "month").distinct():
        marked[kind].add(month)
    return marked


def _rolled_up(model, live, *, company, marked: set[str], since: date | None, keys, values) -> list[dict]:
    rows = tenant_rows(model, company).exclude(month__in=marked)
    stale = marked
    if since is not None:
        rows = rows.filter(month__gte=month_key(since))
        stale = {m for m in marked if m >= month_key(since)}
    out = list(rows.values("month", *keys, *values))
    if stale:
        out += live(company=company, months=stale)
    return sorted(out, key=lambda r: [r["month"], *(r[k] for k in keys)])


@scoped
def bank_months(*, company, since: date | None = None, marked: set[str] | None = None) -> list[dict]:
    """Per month and currency: money deposited (`deposited`), how many posted deposits still wait
    (no match, not categorized: `waiting`) and their total (`waiting_total`)."""
    marked = marked_months(company=company)[RollupKind.BANK] if marked is None else marked
    return _rolled_up(BankMonth, bank_months_live, company=company, marked=marked, since=since,
                      keys=("currency",), values=("deposited", "waiting", "waiting_total"))


@scoped
def item_months(*, company, since: date | None = None, marked: set[str] | None = None) -> list[dict]:
    """Per month, platform, currency and kind: summed gross amounts and deducted fees of settled items."""
    marked = marked_months(company=company)[RollupKind.ITEM] if marked is None else marked
    return _rolled_up(ItemMonth, item_months_live, company=company, marked=marked, since=since,
                      keys=("platform", "currency", "kind"), values=("amount", "fee"))


@scoped
def overview_since(*, company) -> date | None:
    """The first day of the overview's window: the twelve months up to the newest bank line
    (one index read). The overview's monthly figures cover this window, not all of history."""
    newest = tenant_rows(BankTransaction, company).order_by("-date").values_list("date", flat=True).first()
    if newest is None:
        return None
    months = newest.year * 12 + newest.month - 1 - (OVERVIEW_MONTHS - 1)
    return date(months // 12, months % 12 + 1, 1)


@scoped
def payouts_by_month(*, company, since: date | None = None):
    rows = tenant_rows(Payout, company).filter(arrival_date__isnull=False)
    if since is not None:
        rows = rows.filter(arrival_date__gte=since)
    return (rows.annotate(month=MonthKey("arrival_date")).values("month", "currency")
            .annotate(total=Sum("amount")).order_by("month", "currency"))
