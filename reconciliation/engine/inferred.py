"""Inferred payouts: platforms without payout objects (WooCommerce, BigCommerce, Squarespace,
Etsy, ...) still sweep their balance to the bank. A deposit is explained by the connection's
settled, not-yet-paid-out transactions whose net adds up to it exactly.

1. Contiguous settlement windows first: sorted by settlement date, a payout takes a run of
   consecutive transactions. Prefix sums + a hash of prefix values find every run ending near
   the deposit date in time linear in the transactions looked at.
2. Otherwise a bounded subset search (meet in the middle) over the few open transactions settled
   shortly before the deposit, counting solutions: more than one grouping fits -> nothing.
A run or subset is only a candidate; the resolver (assignment.py) refuses ties between them.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import timedelta

from . import descriptors as dsc
from .assignment import Candidate, candidate
from .deposits import LineView
from .types import Connection, InferredGroup, PlatformItem, Settings

BASE_WINDOW = {"own": 0.95, "none": 0.62}
BASE_SUBSET_COMPLETE = 0.88  # the pool held every open transaction settled before the deposit
BASE_SUBSET_PARTIAL = 0.74
_MAX_WINDOWS_PER_LINE = 6


def _units(x) -> int:
    return int(x.scaleb(3))


def _lag_factor(days: int) -> float:
    return 1.0 if days <= 7 else 0.93


class _Book:
    """One connection's open items in settlement order, with prefix sums."""

    def __init__(self, items: list[PlatformItem]):
        self.items = sorted(items, key=lambda i: (i.settled_on, i.occurred_on, i.ref))
        self.dates = [i.settled_on for i in self.items]
        self.prefix = [0]
        for it in self.items:
            self.prefix.append(self.prefix[-1] + _units(it.net))
        self.positions: dict[int, list[int]] = defaultdict(list)
        for pos, val in enumerate(self.prefix):
            self.positions[val].append(pos)


def _windows(book: _Book, v: LineView, s: Settings) -> list[tuple[int, int]]:
    d = v.line.date
    lo = bisect.bisect_left(book.dates, d - timedelta(days=s.inferred_max_lag_days))
    hi = bisect.bisect_right(book.dates, d)
    target = _units(v.line.amount)
    found: list[tuple[int, int]] = []
    for end in range(lo, hi):  # window = items[start .. end] inclusive
        for start in book.positions.get(book.prefix[end + 1] - target, ()):
            if start > end:
                break
            if (book.dates[end] - book.dates[start]).days <= s.inferred_max_span_days:
                found.append((start, end))
                if len(found) > _MAX_WINDOWS_PER_LINE:
                    return found
    return found


def _subset(book: _Book, v: LineView, s: Settings) -> tuple[list[list[int]], bool] | None:
    """(solutions (at most 2), pool covered every open item before the deposit) or None."""
    d = v.line.date
    hi = bisect.bisect_right(book.dates, d)
    lo = bisect.bisect_left(book.dates, d - timedelta(days=s.inferred_max_span_days))
    if hi - lo > s.subset_pool_max or hi - lo < 2:
        return None
    pool = list(range(lo, hi))
    vals = [_units(book.items[i].net) for i in pool]
    half = len(pool) // 2
    left: dict[int, list[int]] = defaultdict(list)
    for mask in range(1 << half):
        left[sum(vals[i] for i in range(half) if mask >> i & 1)].append(mask)
    target = _units(v.line.amount)
    sols: list[list[int]] = []
    rest = len(pool) - half
    for mask in range(1 << rest):
        total = sum(vals[half + i] for i in range(rest) if mask >> i & 1)
        for lmask in left.get(target - total, ()):
            if lmask == 0 and mask == 0:
                continue
            picked = [pool[i] for i in range(half) if lmask >> i & 1]
            picked += [pool[half + i] for i in range(rest) if mask >> i & 1]
            sols.append(picked)
            if len(sols) > 1:
                return sols, lo == 0
    return sols, lo == 0


def _group(conn: Connection, book: _Book, idx: list[int]) -> InferredGroup:
    return InferredGroup(conn.ref, tuple(sorted(book.items[i].ref for i in idx)))


def inferred_candidates(
    *,
    views: list[LineView],
    connections: list[Connection],
    open_items: dict[str, list[PlatformItem]],
    settings: Settings,
) -> list[Candidate]:
    s = settings
    out: list[Candidate] = []
    for conn in connections:
        items = open_items.get(conn.ref)
        if not items:
            continue
        by_cur: dict[str, list[PlatformItem]] = defaultdict(list)
        for it in items:
            by_cur[it.currency].append(it)
        books = {cur: _Book(lst) for cur, lst in by_cur.items()}
        for v in views:
            book = books.get(v.line.currency)
            signal = dsc.platform_signal(conn.platform, v.named)
            if book is None or signal == "other":
                continue
            windows = _windows(book, v, s)
            for start, end in windows[:_MAX_WINDOWS_PER_LINE]:
                lag = (v.line.date - book.dates[end]).days
                reasons = (
                    f"{end - start + 1} consecutive settled {conn.platform} transactions "
                    f"net to {v.line.amount} {v.line.currency}",
                    f"descriptor names {conn.platform}"
                    if signal == "own"
                    else "descriptor names no platform (look-alike risk)",
                    f"last transaction settled {lag} day(s) before the deposit",
                )
                if len(windows) > _MAX_WINDOWS_PER_LINE:
                    reasons += ("many windows fit: ambiguous",)
                out.append(
                    candidate(
                        bank_ref=v.line.ref,
                        score=BASE_WINDOW[signal] * _lag_factor(lag),
                        reasons=reasons,
                        inferred=_group(conn, book, list(range(start, end + 1))),
                    )
                )
            if windows or signal != "own":
                continue
            found = _subset(book, v, s)
            if not found:
                continue
            sols, complete = found
            base = BASE_SUBSET_COMPLETE if complete else BASE_SUBSET_PARTIAL
            for sol in sols:
                reasons = (
                    f"{len(sol)} settled {conn.platform} transactions (not consecutive) net to "
                    f"{v.line.amount} {v.line.currency}",
                    f"descriptor names {conn.platform}",
                    "unique subset among the open transactions"
                    if len(sols) == 1
                    else "more than one subset fits: ambiguous",
                )
                out.append(
                    candidate(
                        bank_ref=v.line.ref,
                        score=base,
                        reasons=reasons,
                        inferred=_group(conn, book, sol),
                    )
                )
    return out
