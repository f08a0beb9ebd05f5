"""Learned per-connection behaviour: what a connection's confirmed deposits show, and how a
decision is judged against it.

`learn()` turns confirmed deposits (applied with high confidence, or confirmed by a person) into
a `LearnedBehaviour`: payout cadence, arrival lag in business days on the bank calendar,
descriptor words and, for inferred sweeps, where a sweep's boundary falls. `adjust()` judges the
engine's decisions against it, after resolution, as a last step: a decision that fits two
aspects or more gets a modest raise, one that contradicts any aspect is lowered. Because it runs
on the final decisions, learned behaviour never changes which answers compete or their margins:

- an ambiguous decision stays ambiguous (never applied), whatever was learned;
- a suggestion becomes a match only when nothing competed with it at all (no rival candidate
  for its bank line, its payouts or its transactions, not held back by a commit rule, and
  appliable on its own: `auto`) and its line names the platform;
- a match that contradicts what was learned may step down to a suggestion.

Pure and deterministic: the deposits are sorted before learning, behaviours are keyed by
connection, and nothing depends on input order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, time

from .calendar import business_days_between
from .types import Decision, Inputs, LearnedBehaviour, PlatformItem

MIN_SAMPLES = 4  # deposits behind an aspect before it is used
SHARE = 0.8  # an aspect holds when this share of deposits agrees
TOKEN_SHARE = 0.9
MAX_TOKENS = 6
RAISE_PER_FIT = 0.03  # a fitting aspect (two at most count)
MIN_FITS_TO_RAISE = 2
LOWER_PER_CONTRADICTION = 0.9  # two at most count
RAISE_CAP = 0.99
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ConfirmedDeposit:
    """One deposit a person or a confident automatic match tied to a connection."""

    connection_ref: str
    bank_on: date  # the bank line's date
    paid_on: date  # the payout's creation day, or an inferred sweep's cut-off (last settlement) day
    due_on: date  # the payout's arrival date (else paid_on): the lag is measured from it
    description: str = ""
    day_aligned: bool | None = None  # inferred: its last transaction was its settlement day's last
    hour: int | None = None  # inferred: the hour (UTC) of its last transaction, when known


_WORD = re.compile(r"[A-Z][A-Z0-9&.']{2,}")


def ordered_words(text: str) -> list[str]:
    """Descriptor words that can recur, as printed: at least three characters, starting with a
    letter, at most two digits (payout ids and trace numbers change every time)."""
    return list(dict.fromkeys(w for w in _WORD.findall(text.upper()) if sum(ch.isdigit() for ch in w) <= 2))


def words(text: str) -> frozenset[str]:
    return frozenset(ordered_words(text))


def _mode(values) -> tuple[object, int]:
    counts = Counter(values)
    if not counts:
        return None, 0
    best = max(counts.items(), key=lambda kv: (kv[1], -_order(kv[0])))
    return best


def _order(v) -> float:
    return float(v) if isinstance(v, int) else 0.0


def _cadence(days: list[date], holidays: frozenset[date]) -> dict:
    n = len(days)
    if n < 3:
        return {"cadence": "", "cadence_samples": n}
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    weekday, on_weekday = _mode(d.weekday() for d in days)
    if on_weekday >= SHARE * n and sum(g % 7 == 0 for g in gaps) >= SHARE * len(gaps):
        return {"cadence": "weekly", "weekday": weekday, "cadence_samples": n}
    business = [business_days_between(a, b, holidays) for a, b in zip(days, days[1:], strict=False)]
    if sum(g == 1 for g in business) >= SHARE * len(gaps):
        return {"cadence": "daily", "cadence_samples": n}
    period, count = _mode(gaps)
    if period is not None and period >= 2 and count >= SHARE * len(gaps):
        return {"cadence": "every_n_days", "every_days": period, "anchor": days[-1], "cadence_samples": n}
    return {"cadence": "irregular", "cadence_samples": n}


def learn(connection_ref: str, deposits, holidays: frozenset[date] = frozenset()) -> LearnedBehaviour:
    """What these confirmed deposits of one connection show (input order does not matter)."""
    deps = sorted(
        (d for d in deposits if d.connection_ref == connection_ref),
        key=lambda d: (d.bank_on, d.paid_on, d.due_on, d.description, d.day_aligned is True, d.hour or -1),
    )
    n = len(deps)
    out: dict = {"connection_ref": connection_ref, "deposits": n}
    out.update(_cadence(sorted({d.paid_on for d in deps}), holidays))
    lag, count = _mode(business_days_between(d.due_on, d.bank_on, holidays) for d in deps)
    if n and count >= SHARE * n:
        out.update(lag_days=lag, lag_samples=n)
    seen = Counter(w for d in deps for w in words(d.description))
    common = sorted(w for w, k in seen.items() if k >= TOKEN_SHARE * n)
    if n and common:
        # as the bank prints them on the latest deposit (words it left out there go last)
        printed = {w: k for k, w in enumerate(ordered_words(deps[-1].description))}
        common = sorted(common, key=lambda w: (-seen[w], printed.get(w, len(printed)), w))[:MAX_TOKENS]
        out.update(tokens=tuple(sorted(common, key=lambda w: (printed.get(w, len(printed)), w))), token_samples=n)
    swept = [d for d in deps if d.day_aligned is not None]
    if swept:
        aligned = sum(d.day_aligned for d in swept)
        hour, at_hour = _mode(d.hour for d in swept if not d.day_aligned and d.hour is not None)
        if aligned >= SHARE * len(swept):
            out.update(boundary="day", boundary_samples=len(swept))
        elif hour is not None and at_hour >= SHARE * len(swept):
            out.update(boundary="time", cutoff=time((hour + 1) % 24), boundary_samples=len(swept))
    return LearnedBehaviour(**out)


def fit(lb: LearnedBehaviour, dep: ConfirmedDeposit, holidays: frozenset[date]) -> tuple[list[str], list[str]]:
    """(aspects this deposit fits, aspects it contradicts), each as a short phrase."""
    fits: list[str] = []
    against: list[str] = []
    if lb.cadence_samples >= MIN_SAMPLES:
        if lb.cadence == "weekly" and lb.weekday is not None:
            (fits if dep.paid_on.weekday() == lb.weekday else against).append(
                f"paid on {WEEKDAYS[lb.weekday]}s")
        elif lb.cadence == "every_n_days" and lb.every_days and lb.anchor is not None:
            (fits if (dep.paid_on - lb.anchor).days % lb.every_days == 0 else against).append(
                f"paid every {lb.every_days} days")
    if lb.lag_samples >= MIN_SAMPLES and lb.lag_days is not None:
        off = abs(business_days_between(dep.due_on, dep.bank_on, holidays) - lb.lag_days)
        if off == 0:
            fits.append(f"lands +{lb.lag_days} business days")
        elif off >= 2:
            against.append(f"lands +{lb.lag_days} business days")
    if lb.token_samples >= MIN_SAMPLES and lb.tokens:
        present = words(dep.description) & set(lb.tokens)
        if len(present) == len(lb.tokens):
            fits.append("the bank's usual words for it")
        elif not present:
            against.append("the bank's usual words for it")
    if lb.boundary_samples >= MIN_SAMPLES and dep.day_aligned is not None:
        if lb.boundary == "day":
            (fits if dep.day_aligned else against).append("sweeps end at a day's last transaction")
        elif lb.boundary == "time" and lb.cutoff is not None and dep.hour is not None:
            if dep.hour == (lb.cutoff.hour - 1) % 24:
                fits.append(f"sweeps cut off at {lb.cutoff:%H:%M} UTC")
    return fits, against


def liftable(resolutions, waiting: dict, named: dict) -> frozenset[str]:
    """Bank lines whose final answer had nothing competing with it: the only candidate of its
    line, sharing no payout or transaction with any other candidate, appliable on its own, not
    held back by a commit rule, and on a line that names a platform. Only these may be lifted."""
    return frozenset(
        r.candidate.bank_ref
        for r in resolutions
        if not r.rivals and r.candidate.auto and id(r.candidate) not in waiting
        and named.get(r.candidate.bank_ref)
    )


def _utc_hour(at) -> int | None:
    if at is None:
        return None
    return (at.astimezone(UTC) if at.tzinfo is not None else at).hour


class _Context:
    def __init__(self, inputs: Inputs, learned: dict[str, LearnedBehaviour] | None = None,
                 pool: dict[str, PlatformItem] | None = None):
        self._learned = learned or {}
        self.lines = {b.ref: b for b in inputs.bank_lines}
        self.payouts = {p.ref: p for p in inputs.payouts}
        self._inputs = inputs
        # the items an inferred payout may name (reconcile's pool), else built when first needed
        self._items: dict[str, PlatformItem] | None = pool
        self._day_ends: dict[tuple[str, date], tuple] | None = None

    def boundary_of(self, connection_ref: str) -> bool:
        """Whether a sweep's day alignment is worth computing (always, when learning from it)."""
        lb = self._learned.get(connection_ref)
        return not self._learned or (lb is not None and lb.boundary == "day")

    @property
    def items(self) -> dict[str, PlatformItem]:
        if self._items is None:
            self._items = {i.ref: i for i in self._inputs.items}
        return self._items

    @staticmethod
    def _instant(i: PlatformItem) -> tuple:
        return (-1.0 if i.occurred_at is None else i.occurred_at.timestamp(), i.ref)

    def day_end(self, item: PlatformItem) -> bool:
        """Was it the last settled transaction of its connection on its settlement day?"""
        if self._day_ends is None:  # one pass, over the connections judged so only
            wanted = {c for c in {item.connection_ref, *self._learned} if self.boundary_of(c)}
            ends: dict[tuple[str, date], tuple] = {}
            for i in self.items.values():
                if (i.connection_ref in wanted and i.settled_on is not None and i.kind != "payout"
                        and i.payout_ref is None):
                    key = (i.connection_ref, i.settled_on)
                    at = self._instant(i)
                    if key not in ends or ends[key] < at:
                        ends[key] = at
            self._day_ends = ends
        return self._day_ends.get((item.connection_ref, item.settled_on)) == self._instant(item)

    def observed(self, d: Decision) -> ConfirmedDeposit | None:
        line = self.lines.get(d.bank_ref)
        if line is None:
            return None
        text = f"{line.description} {line.merchant_name}"
        if d.inferred is not None:
            items = [self.items[r] for r in d.inferred.item_refs if r in self.items]
            items = [i for i in items if i.settled_on is not None]
            if not items:
                return None
            last = max(items, key=lambda i: (i.settled_on, *self._instant(i)))
            return ConfirmedDeposit(
                d.inferred.connection_ref, line.date, last.settled_on, last.settled_on, text,
                day_aligned=self.day_end(last) if self.boundary_of(d.inferred.connection_ref) else None,
                hour=_utc_hour(last.occurred_at),
            )
        payouts = [self.payouts[r] for r in d.payout_refs if r in self.payouts]
        if not payouts or len({p.connection_ref for p in payouts}) != 1:
            return None
        p = max(payouts, key=lambda p: (p.created_on or p.arrival_on or date.min, p.ref))
        paid = p.created_on or p.arrival_on
        if paid is None:
            return None
        return ConfirmedDeposit(p.connection_ref, line.date, paid, p.arrival_on or paid, text)


def adjust(decisions: tuple[Decision, ...], inputs: Inputs, lift: frozenset[str],
           pool: dict[str, PlatformItem] | None = None) -> tuple[Decision, ...]:
    """The decisions judged against what was learned (see the module's docstring). `pool`: the
    items of connections without payout objects by ref, when the caller has it."""
    learned = {lb.connection_ref: lb for lb in sorted(inputs.learned, key=repr)}
    if not learned:
        return decisions
    s = inputs.settings
    ctx = _Context(inputs, learned, pool)
    out = []
    for d in decisions:
        if d.locked or d.status not in ("matched", "suggested"):
            out.append(d)
            continue
        dep = ctx.observed(d)
        lb = learned.get(dep.connection_ref) if dep is not None else None
        if lb is None:
            out.append(d)
            continue
        fits, against = fit(lb, dep, s.bank_holidays)
        if against:
            conf = d.confidence * LOWER_PER_CONTRADICTION ** min(len(against), 2)
            why = f"does not fit what this connection's deposits showed ({', '.join(against)})"
            status = d.status
            if status == "matched" and conf < s.auto_threshold:
                status, why = "suggested", why + ": not applied"
            d = replace(d, status=status, confidence=round(conf, 4), reasons=d.reasons + (why,))
        elif len(fits) >= MIN_FITS_TO_RAISE:
            conf = min(RAISE_CAP, max(d.confidence, d.confidence + RAISE_PER_FIT * min(len(fits), 2)))
            why = f"fits what this connection's deposits showed ({', '.join(fits)})"
            status = d.status
            if status == "suggested" and d.bank_ref in lift and conf >= s.auto_threshold:
                status, why = "matched", why + ", and nothing competes with it: applied"
            d = replace(d, status=status, confidence=round(conf, 4), reasons=d.reasons + (why,))
        out.append(d)
    return tuple(out)


def _schedule(lb: LearnedBehaviour, verb: str) -> str:
    if lb.cadence == "weekly" and lb.weekday is not None:
        return f"{verb} weekly on {WEEKDAYS[lb.weekday]}s"
    if lb.cadence == "daily":
        return f"{verb} every business day"
    if lb.cadence == "every_n_days" and lb.every_days:
        return f"{verb} every {lb.every_days} days"
    return f"{verb} on no fixed schedule" if lb.cadence == "irregular" else ""


def describe(lb: LearnedBehaviour | None, *, swept: bool = False) -> str:
    """For people: "Learned: swept weekly on Mondays, lands +2 business days (from 12 deposits)", or "Still
    learning (2 deposits)" while no aspect rests on enough deposits."""
    n = lb.deposits if lb else 0
    parts = []
    if lb and lb.cadence_samples >= MIN_SAMPLES:
        parts.append(_schedule(lb, "swept" if swept else "paid out"))
    if lb and lb.lag_samples >= MIN_SAMPLES and lb.lag_days is not None:
        parts.append("lands the same business day" if lb.lag_days == 0 else
                     f"lands {lb.lag_days:+d} business day{'' if abs(lb.lag_days) == 1 else 's'}")
    if lb and lb.boundary_samples >= MIN_SAMPLES:
        if lb.boundary == "day":
            parts.append("each sweep ends with a day's last transaction")
        elif lb.boundary == "time" and lb.cutoff is not None:
            parts.append(f"sweeps cut off at {lb.cutoff:%H:%M} UTC")
    if lb and lb.token_samples >= MIN_SAMPLES and lb.tokens:
        parts.append("the bank writes " + " ".join(lb.tokens))
    parts = [p for p in parts if p]
    plural = "" if n == 1 else "s"
    if not parts:
        return f"Still learning ({n} deposit{plural})"
    return f"Learned: {', '.join(parts)} (from {n} deposit{plural})"
