"""Inferred payouts: platforms without payout objects (WooCommerce, BigCommerce, Squarespace,
Etsy, ...) still sweep their balance to the bank. A deposit is explained by the connection's
settled, not-yet-paid-out transactions whose net adds up to it exactly.

Sorted by settlement time (day, then the provider's timestamp), a payout takes a run of consecutive
transactions: everything that settled since the previous payout up to a cutoff. Prefix sums + a
hash of prefix values find every run ending near the deposit date in time linear in the
transactions looked at. Only such runs are candidates: a set with a gap (an open transaction, or
one another payout took, settled between two of its own) is never proposed, however well it adds
up. A run whose boundary falls between two transactions of the same settlement instant (the same
timestamp, or the same day when the provider gives no time) could as well have taken the other
one: the order inside is unknown, so it is a suggestion at best (`Candidate.auto`), while it
still competes at full strength with every other reading of its deposit.
A run is only a candidate; the resolver (assignment.py) refuses ties between them.

With many small transactions, several runs often net to the same amount by coincidence. A
payout is a *sweep*: everything that settled since the previous payout, up to the platform's
cutoff. So the run that is bounded the way sweeps are is preferred, by evidence, never by guess:

- **tiled** (+1 per boundary): the run starts right after (or ends right before) items that an
  applied payout of the same connection already took: windows tile the timeline without gaps;
- **closed by the platform's own payout record** (+3): Rutter lists the balance's transfers to
  the bank as transactions of type `payout` (its transaction `type` enum: sale, refund, void,
  payout, fee, other). A store without payout objects that records them says where each sweep
  ended: a run whose last transaction precedes such a record of the deposit's amount, with no
  other transaction between them, is that sweep.
- **day-aligned** (+2): the run starts at the first item of its settlement day and ends at the
  last of its day (a daily cutoff). This counts only for a connection whose evidence shows it
  (>= 2 for, at most half as many against; see `_day_cutoff`): a platform whose cutoff is not at
  the settlement dates' day boundary gets no benefit, and no penalty either.

Among the windows of one bank line (every connection), each rank point short of the best costs a
factor 0.9 (`STRUCTURE_STEP`): a sweep-shaped run beats a coincidence by a clear margin; two
equally sweep-shaped runs still tie and are refused.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from itertools import compress
from operator import attrgetter

from .assignment import Candidate, candidate
from .deposits import LineView
from .types import Connection, InferredGroup, PlatformItem, Settings

BASE_WINDOW = {"own": 0.95, "none": 0.62}
STRUCTURE_STEP = 0.9  # per boundary less sweep-shaped than the line's best window
_MAX_WINDOWS_PER_LINE = 16
_MIN_ALIGNED_EVIDENCE = 2
_ref = attrgetter("ref")


def _units(x) -> int:
    return int(x.scaleb(3))


def _lag_factor(days: int) -> float:
    return 1.0 if days <= 7 else 0.93


def instant(item: PlatformItem) -> tuple:
    """When an item settled, as precisely as known: items with equal instants are in no known
    order (the same timestamp, or the same day without one)."""
    at = item.occurred_at
    return (item.settled_on, -1.0 if at is None else at.timestamp())


def settlement_order(items: list[PlatformItem]) -> list[PlatformItem]:
    return sorted(items, key=lambda i: (*instant(i), i.occurred_on, i.ref))


class _Book:
    """One connection's open items (one currency) in settlement order, with prefix sums and,
    for every open item, what lies just before / after it among *all* its settled items."""

    def __init__(self, full: list[PlatformItem], paid: set[str], at: list[tuple] | None = None):
        self.items: list[PlatformItem] = []
        self.after_paid: list[bool] = []  # the settled item just before it is paid out
        self.before_paid: list[bool] = []  # the settled item just after it is paid out
        self.day_start: list[bool] = []  # first settled item of its day
        self.day_end: list[bool] = []  # last settled item of its day (None: last item known)
        self.full_pos: list[int] = []  # position in `full`: a run is contiguous there or not at all
        self.tie_before: list[bool] = []  # an open item of the same instant just before it
        self.tie_after: list[bool] = []  # an open item of the same instant just after it
        self.paid_runs: list[tuple[int, int]] = []  # (start, end) positions in `full`
        n = len(full)
        # Each item's paid flag, instant and day once (not again as a neighbour's): a realistic
        # year builds books of up to 180,000 items, several times.
        taken = list(map(paid.__contains__, map(_ref, full)))
        at = at if at is not None else list(map(instant, full))  # `instant` of each, when known
        day = [it.settled_on for it in full]
        run_start = None
        for pos, it in enumerate(full):
            is_paid = taken[pos]
            if is_paid and run_start is None:
                run_start = pos
            if not is_paid and run_start is not None:
                self.paid_runs.append((run_start, pos - 1))
                run_start = None
            if is_paid:
                continue
            first, last = pos == 0, pos + 1 == n
            self.items.append(it)
            self.full_pos.append(pos)
            self.tie_before.append(not first and not taken[pos - 1] and at[pos - 1] == at[pos])
            self.tie_after.append(not last and not taken[pos + 1] and at[pos + 1] == at[pos])
            self.after_paid.append(not first and taken[pos - 1])
            self.before_paid.append(not last and taken[pos + 1])
            self.day_start.append(first or day[pos - 1] < day[pos])
            self.day_end.append(last or day[pos + 1] > day[pos])
        if run_start is not None:
            self.paid_runs.append((run_start, n - 1))
        self.full = full
        self.dates = [i.settled_on for i in self.items]
        self._sum(_units(it.net) for it in self.items)

    def _sum(self, units) -> None:
        """Prefix sums of the open items' nets (`units`), where each sum occurs, and the sums as a
        set (membership alone: faster than the dict's)."""
        self.prefix = prefix = [0]
        total = 0
        for u in units:
            total += u
            prefix.append(total)
        self.positions: dict[int, list[int]] = defaultdict(list)
        for pos, val in enumerate(prefix):
            self.positions[val].append(pos)
        self.values = frozenset(prefix)

    def with_nets(self, units: list[int]) -> _Book:
        """This book with other nets (`units`, in `_units`, one per open item): the same items in
        the same order, only the sums computed again. For judging a fee hypothesis of an
        orders-only store (engine/orders.py): its windows and refs are this book's, while its
        items keep the nets they had (a realistic year priced 2 million copies of orders, one
        per order and hypothesis, to read their nets once)."""
        book = object.__new__(_Book)
        book.__dict__.update(self.__dict__)
        book._sum(units)
        return book

    def aligned(self, start: int, end: int, on) -> bool:
        """Both ends of items[start..end] at a settlement-day boundary (the last day complete
        before the deposit date `on`)."""
        last_known = end == len(self.items) - 1 and self.day_end[end] and not self.before_paid[end]
        end_ok = self.day_end[end] and (not last_known or self.dates[end] < on)
        return self.day_start[start] and end_ok

    def paid_runs_aligned(self) -> tuple[int, int]:
        """(aligned, misaligned) runs of already paid items: what applied sweeps looked like."""
        good = bad = 0
        full = self.full
        for s, e in self.paid_runs:
            left = s == 0 or full[s - 1].settled_on < full[s].settled_on
            right = e == len(full) - 1 or full[e + 1].settled_on > full[e].settled_on
            if left and right:
                good += 1
            else:
                bad += 1
        return good, bad


def _windows(book: _Book, v: LineView, s: Settings) -> list[tuple[int, int]]:
    d = v.line.date
    lo = bisect.bisect_left(book.dates, d - timedelta(days=s.inferred_max_lag_days))
    hi = bisect.bisect_right(book.dates, d)
    target = _units(v.line.amount)
    found: list[tuple[int, int]] = []
    positions, prefix = book.positions, book.prefix
    # window = items[start .. end] inclusive, prefix[end + 1] - prefix[start] == target. The ends
    # whose prefix less the target is some prefix are picked by C iterators, not a Python loop:
    # most are not, and a realistic year looks at ~100 million ends (~65,000 calls).
    ends = compress(range(lo, hi), map(book.values.__contains__, map(target.__rsub__, prefix[lo + 1:hi + 1])))
    for end in ends:
        for start in positions[prefix[end + 1] - target]:
            if start > end:
                break
            gapless = book.full_pos[end] - book.full_pos[start] == end - start
            if gapless and (book.dates[end] - book.dates[start]).days <= s.inferred_max_span_days:
                found.append((start, end))
                if len(found) > _MAX_WINDOWS_PER_LINE:
                    return found
    return found


class ScanCache:
    """What the fixpoint rounds of one reconciliation share. The items do not change between
    rounds, and a connection's paid set only grows (by the items of its applied sweeps): its
    book is rebuilt only when that set grew since the last round, the windows of a line are
    found again only with a new book, and a window's group (its refs, sorted) is built once.
    (A realistic year: 5 rounds rebuilt two books of ~300,000 items each and every line's
    windows every round, ~20 s of a 30 s engine.)"""

    def __init__(self):
        self._by_currency: dict[str, tuple[list, dict]] = {}  # conn -> (its items, per currency)
        self._books: dict[tuple, tuple[int, _Book]] = {}  # (conn, currency) -> (paid count, book)
        self.windows: dict[tuple, tuple[_Book, list]] = {}  # (conn, currency, line) -> (book, windows)
        self._groups: dict[tuple, InferredGroup] = {}  # (conn, currency, first, last position in full)
        self._instants: dict[tuple, tuple[list, list]] = {}  # (conn, currency) -> (items, their instants)

    def by_currency(self, conn_ref: str, items: list[PlatformItem]) -> dict[str, list[PlatformItem]]:
        hit = self._by_currency.get(conn_ref)
        if hit is None or hit[0] is not items:
            by_cur: dict[str, list[PlatformItem]] = defaultdict(list)
            for it in items:
                by_cur[it.currency].append(it)
            hit = self._by_currency[conn_ref] = (items, dict(by_cur))
        return hit[1]

    def book(self, conn_ref: str, currency: str, full: list[PlatformItem], paid: set[str]) -> _Book:
        taken = sum(map(paid.__contains__, map(_ref, full)))
        hit = self._books.get((conn_ref, currency))
        if hit is None or hit[0] != taken or hit[1].full is not full:
            known = self._instants.get((conn_ref, currency))
            if known is None or known[0] is not full:  # the items' instants, once per reconciliation
                known = self._instants[(conn_ref, currency)] = (full, list(map(instant, full)))
            hit = self._books[(conn_ref, currency)] = (taken, _Book(full, paid, known[1]))
        return hit[1]

    def group(self, conn: Connection, book: _Book, start: int, end: int) -> InferredGroup:
        # Windows are gapless in `full`: its first and last positions name the set.
        key = (conn.ref, book.items[start].currency, book.full_pos[start], book.full_pos[end])
        if key not in self._groups:
            self._groups[key] = InferredGroup(conn.ref, tuple(sorted(map(_ref, book.items[start:end + 1]))))
        return self._groups[key]


@dataclass(frozen=True)
class _Window:
    start: int
    end: int
    tiled: int  # boundaries adjacent to an applied payout's items (0..2)
    aligned: bool  # both boundaries on settlement-day boundaries
    unordered: bool  # a boundary between two open items of the same settlement instant
    marked: bool = False  # ends right before the platform's own record of a payout of this amount

    def rank(self, day_cutoff: bool) -> int:
        """Sweep-shaped boundaries: a day-aligned run (where the connection shows a daily
        cutoff) beats a coincidence; one that also adjoins the previous payout beats a run that
        would leave a gap of transactions no deposit took; the platform's own payout record at
        its end beats both."""
        return self.tiled + (2 if self.aligned and day_cutoff else 0) + (3 if self.marked else 0)


def _marked(book: _Book, end: int, amount, currency: str, markers: list[PlatformItem]) -> bool:
    """Is items[end] the last transaction before a payout record of `amount` (nothing between)?
    Needs the provider's timestamps: without them the order is unknown and nothing is marked."""
    last = book.items[end]
    if last.occurred_at is None:
        return False
    pos = book.full_pos[end]
    nxt = book.full[pos + 1] if pos + 1 < len(book.full) else None
    for m in markers:
        if m.currency != currency or m.occurred_at is None or -m.net != amount:
            continue
        if last.occurred_at <= m.occurred_at and (nxt is None or nxt.occurred_at is None
                                                  or m.occurred_at < nxt.occurred_at):
            return True
    return False


def _day_cutoff(book: _Book, per_line: list[list[_Window]]) -> bool:
    """Does this connection sweep at settlement-day boundaries? Evidence: the runs its applied
    payouts took, and the deposits naming it that some day-aligned run explains. Where the
    cutoff is elsewhere, a day-aligned run is a coincidence (about 1 in (items per day)^2), so
    most deposits would have none."""
    good, bad = book.paid_runs_aligned()
    for wins in per_line:
        if wins:
            if any(w.aligned for w in wins):
                good += 1
            else:
                bad += 1
    return good >= _MIN_ALIGNED_EVIDENCE and bad * 2 <= good


def _window_reasons(conn, v, signal, w: _Window, lag: int, day_cutoff: bool, many: bool):
    reasons = [
        f"{w.end - w.start + 1} consecutive settled {conn.platform} transactions "
        f"net to {v.line.amount} {v.line.currency}",
        f"descriptor names {conn.platform}"
        if signal == "own"
        else "descriptor names no platform (look-alike risk)",
        f"last transaction settled {lag} day(s) before the deposit",
    ]
    if w.marked:
        reasons.append(f"{conn.platform} recorded a payout of this amount right after its last transaction")
    if w.tiled:
        reasons.append(f"{w.tiled} boundary(ies) adjoin an applied payout's transactions")
    if w.aligned and day_cutoff:
        reasons.append("starts and ends at the connection's daily settlement cutoff")
    if w.unordered:
        reasons.append(
            "a boundary falls between transactions of the same settlement time: which of them "
            "this deposit took is unknown, so it is not applied"
        )
    if many:
        reasons.append("many windows fit: ambiguous")
    return tuple(reasons)


def inferred_candidates(
    *,
    views: list[LineView],
    connections: list[Connection],
    full_items: dict[str, list[PlatformItem]],
    paid: set[str],
    settings: Settings,
    markers: dict[str, list[PlatformItem]] | None = None,
    cache: ScanCache | None = None,
) -> list[Candidate]:
    """`full_items`: per connection, every settled item an inferred payout may take (paid or
    not) in `settlement_order`; `paid`: refs already taken by applied payouts; `markers`: per
    connection, the platform's own records of payouts (Rutter transactions of type payout);
    `cache`: what the rounds of one reconciliation share (see ScanCache)."""
    markers = markers or {}
    cache = cache if cache is not None else ScanCache()
    s = settings
    scans = []
    best: dict[str, int] = defaultdict(int)  # per line, the most sweep-shaped window's rank
    crowded: set[str] = set()  # lines where not every window was seen: no preference at all
    for conn in connections:
        items = full_items.get(conn.ref)
        if not items:
            continue
        books = {cur: cache.book(conn.ref, cur, lst, paid) for cur, lst in cache.by_currency(conn.ref, items).items()}
        per_line: dict[str, list[_Window]] = {}
        signals: dict[str, str] = {}
        for v in views:
            book = books.get(v.line.currency)
            signal = v.signal(conn.platform)
            if book is None or not book.items or signal == "other":
                continue
            signals[v.line.ref] = signal
            key = (conn.ref, v.line.currency, v.line.ref)
            hit = cache.windows.get(key)
            if hit is not None and hit[0] is book:
                wins = hit[1]
            else:
                wins = []
                for start, end in _windows(book, v, s):
                    tiled = int(book.after_paid[start]) + int(book.before_paid[end])
                    unordered = book.tie_before[start] or book.tie_after[end]
                    aligned = book.aligned(start, end, v.line.date)
                    marked = _marked(book, end, v.line.amount, v.line.currency, markers.get(conn.ref, ()))
                    wins.append(_Window(start, end, tiled, aligned, unordered, marked))
                cache.windows[key] = (book, wins)
            per_line[v.line.ref] = wins
            if len(wins) > _MAX_WINDOWS_PER_LINE:
                crowded.add(v.line.ref)
        cutoff = {
            cur: _day_cutoff(
                book,
                [
                    per_line.get(v.line.ref, [])
                    for v in views
                    if v.line.currency == cur and signals.get(v.line.ref) == "own"
                ],
            )
            for cur, book in books.items()
        }
        scans.append((conn, books, per_line, signals, cutoff))
        for v in views:
            wins = per_line.get(v.line.ref)
            if wins:
                day_cutoff = cutoff[v.line.currency]
                best[v.line.ref] = max(best[v.line.ref], *(w.rank(day_cutoff) for w in wins))
    out: list[Candidate] = []
    for conn, books, per_line, signals, cutoff in scans:
        for v in views:
            if v.line.ref not in per_line:
                continue
            book, signal = books[v.line.currency], signals[v.line.ref]
            day_cutoff = cutoff[v.line.currency]
            wins = per_line[v.line.ref]
            many = v.line.ref in crowded
            for w in wins:
                lag = (v.line.date - book.dates[w.end]).days
                factor = 1.0 if many else STRUCTURE_STEP ** (best[v.line.ref] - w.rank(day_cutoff))
                out.append(
                    candidate(
                        bank_ref=v.line.ref,
                        score=BASE_WINDOW[signal] * _lag_factor(lag) * factor,
                        reasons=_window_reasons(conn, v, signal, w, lag, day_cutoff, many),
                        inferred=cache.group(conn, book, w.start, w.end),
                        auto=not w.unordered,
                    )
                )
    return out


# For orders.py, which judges fee schedules by the same window search.
Book = _Book
windows = _windows
units = _units
