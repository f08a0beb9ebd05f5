"""Deposit -> payout(s) candidates for platforms with payout objects.

Evidence, strongest first:
- identity: a payout identifier (platform id, trace id, statement descriptor) printed in the bank
  descriptor, with the amount agreeing;
- amount to the cent + the payout's platform named by the descriptor + the bank date within a
  few business days of the payout's arrival date;
- the same without a platform name in the descriptor (a look-alike risk: suggestion only);
- several payouts of one connection arriving together as one bank line (bounded subset-sum);
- a foreign-currency payout converted by the bank, within an FX tolerance of a reference rate.
A descriptor naming a *different* platform rules a payout out.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from itertools import combinations

from ledger.money import quantize

from . import descriptors as dsc
from .assignment import Candidate, candidate
from .calendar import business_days_between
from .rates import BUILTIN_USD_RATES, Rates
from .types import BankLine, FxConversion, FxRate, Payout, Settings

# How plausible a bank date is, by business days after the payout's arrival date. Banks post an
# ACH credit on the arrival day or the next one; earlier means the arrival date was conservative.
DATE_FACTOR = {-2: 0.75, -1: 0.92, 0: 1.0, 1: 1.0, 2: 0.97, 3: 0.93, 4: 0.85, 5: 0.8}
NO_ARRIVAL_FACTOR = 0.9
BASE_IDENTITY = 0.995
BASE_SIGNAL = 0.96
BASE_NEUTRAL = 0.70
BASE_COMBO = {2: 0.93, 3: 0.90, 4: 0.87}
FX_SUPPLIED = 0.97
FX_BUILTIN = 0.80
TRUSTED_SOURCES = frozenset({"reference", "supplied"})  # the caller's rates, dated or not
FX_BY_RATE = "matched by rate"
_SKIP_STATUSES = frozenset({"failed", "canceled", "cancelled"})


_KNOWN_CURRENCIES = frozenset(BUILTIN_USD_RATES)


@dataclass(frozen=True)
class LineView:
    line: BankLine
    named: frozenset[str]
    tokens: frozenset[str]
    printed: frozenset[tuple[str, Decimal]] = frozenset()  # original foreign amounts printed
    descriptors: dsc.Descriptors | None = None

    def signal(self, platform: str) -> str:
        return self.descriptors.signal(platform, self.named)


def view_of(line: BankLine, descriptors: dsc.Descriptors) -> LineView:
    text = dsc.normalize(f"{line.description} {line.merchant_name}")
    printed = frozenset(
        (cur, Decimal(amt))
        for cur, amt in dsc.printed_amounts(text, _KNOWN_CURRENCIES - {line.currency})
    )
    return LineView(line, descriptors.named(text), dsc.tokens(text), printed, descriptors)


def payout_is_open(p: Payout) -> bool:
    return p.status.lower() not in _SKIP_STATUSES and p.amount != 0


def _date_factor(p: Payout, line: BankLine, s: Settings) -> tuple[float, str] | None:
    if p.arrival_on is None:
        off = business_days_between(p.created_on, line.date, s.bank_holidays)
        if 0 <= off <= s.max_days_late + 3:
            return (
                NO_ARRIVAL_FACTOR,
                f"bank date {off} business day(s) after the payout was created",
            )
        return None
    off = business_days_between(p.arrival_on, line.date, s.bank_holidays)
    if -s.max_days_early <= off <= s.max_days_late:
        return DATE_FACTOR.get(off, 0.7), f"bank date {off:+d} business day(s) from arrival"
    return None


def _window(p: Payout, s: Settings) -> tuple:
    anchor = p.arrival_on or p.created_on
    early = 0 if p.arrival_on is None else s.max_days_early
    late = s.max_days_late + (3 if p.arrival_on is None else 0)
    # Calendar padding for weekends; the exact business-day test happens in _date_factor.
    return anchor - timedelta(days=early * 7 // 5 + 3), anchor + timedelta(days=late * 7 // 5 + 3)


class _Index:
    def __init__(self, views: list[LineView]):
        self.by_amount: dict[tuple[str, Decimal], list[LineView]] = defaultdict(list)
        self.by_token: dict[str, list[LineView]] = defaultdict(list)
        self.by_currency: dict[str, list[LineView]] = defaultdict(list)
        for v in views:
            self.by_amount[(v.line.currency, v.line.amount)].append(v)
            self.by_currency[v.line.currency].append(v)
            for t in v.tokens:
                if len(t) >= 6:
                    self.by_token[t].append(v)
        for lst in self.by_currency.values():
            lst.sort(key=lambda v: (v.line.date, v.line.ref))
        self.dates = {c: [v.line.date for v in lst] for c, lst in self.by_currency.items()}

    def in_window(self, currency: str, lo, hi) -> list[LineView]:
        dates = self.dates.get(currency, [])
        lst = self.by_currency.get(currency, [])
        return lst[bisect.bisect_left(dates, lo) : bisect.bisect_right(dates, hi)]


def _single(p: Payout, v: LineView, s: Settings, idented: bool) -> Candidate | None:
    signal = v.signal(p.platform)
    if signal == "other" and not idented:
        return None
    dated = _date_factor(p, v.line, s)
    reasons = [f"amount {v.line.amount} {v.line.currency} equals the payout's net"]
    if idented:
        reasons.insert(0, "payout identifier printed in the bank descriptor")
        factor = max(dated[0], 0.95) if dated else 0.9
        score = BASE_IDENTITY * factor
    elif dated is None:
        return None
    else:
        base = BASE_SIGNAL if signal == "own" else BASE_NEUTRAL
        reasons.append(
            f"descriptor names {p.platform}"
            if signal == "own"
            else "descriptor names no platform (look-alike risk)"
        )
        score = base * dated[0]
    if dated:
        reasons.append(dated[1])
    return candidate(bank_ref=v.line.ref, score=score, reasons=tuple(reasons), payout_refs=(p.ref,))


def _fx_single(p: Payout, v: LineView, s: Settings, rates: Rates, idented: bool):
    if (v.line.amount > 0) != (p.amount > 0):
        return None
    if not idented and v.signal(p.platform) != "own":
        return None
    dated = _date_factor(p, v.line, s)
    if dated is None and not idented:
        return None
    printed = {amt for cur, amt in v.printed if cur == p.currency}
    # A bank that prints the original amount settles the question either way.
    shown = abs(p.amount) in printed
    if printed and not shown:
        return None
    found = rates.get(p.currency, v.line.currency, v.line.date)
    if found is None and not shown:
        return None
    rate, source = found or (v.line.amount / p.amount, "printed")
    expected = p.amount * rate
    # Within the wide band a conversion is a candidate; within the tight band of a reference of
    # the caller's (the day's central-bank rate), a confident one. Banks convert at the day's rate
    # less a spread of a few percent; a rate further off is possible (another rate source), so it
    # stays a suggestion, and it still competes (see _one_conversion_each).
    error = abs(v.line.amount - expected)
    if error > abs(expected) * s.fx_tolerance_builtin:
        return None
    tight = source in TRUSTED_SOURCES and error <= abs(expected) * s.fx_tolerance
    fx = FxConversion(
        payout_currency=p.currency,
        payout_amount=p.amount,
        bank_currency=v.line.currency,
        bank_amount=v.line.amount,
        implied_rate=(v.line.amount / p.amount).quantize(Decimal("0.000001")),
        reference_rate=rate.quantize(Decimal("0.000001")),
        reference_source=source,
        difference=quantize(v.line.amount - expected, v.line.currency),
    )
    if idented or shown:
        base = BASE_IDENTITY
    else:  # the rough built-in table alone can only suggest: it cannot tell close amounts apart
        base = FX_SUPPLIED if tight else FX_BUILTIN
    factor = dated[0] if dated else 0.9
    reasons = (
        f"{p.amount} {p.currency} converted to {v.line.amount} {v.line.currency} at "
        f"{fx.implied_rate} ({source} reference {fx.reference_rate}, within tolerance)",
        "payout identifier printed in the bank descriptor"
        if idented
        else f"original amount {p.currency} {abs(p.amount)} printed by the bank"
        if shown
        else f"{FX_BY_RATE}: descriptor names {p.platform}",
        dated[1] if dated else "date outside the usual window",
    )
    score = base * (max(factor, 0.95) if idented or shown else factor)
    return candidate(bank_ref=v.line.ref, score=score, reasons=reasons, payout_refs=(p.ref,), fx=fx)


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(3))


def _combos(v: LineView, pool: list[Payout], s: Settings) -> list[Candidate]:
    """Subsets (2..k) of one connection's payouts that add up to the bank line exactly."""
    target = _cents(v.line.amount)
    vals = [_cents(p.amount) for p in pool]
    out = []
    for k in range(2, min(s.max_payouts_per_line, len(pool)) + 1):
        for idx in combinations(range(len(pool)), k):
            if sum(vals[i] for i in idx) != target:
                continue
            chosen = [pool[i] for i in idx]
            factors = [_date_factor(p, v.line, s) for p in chosen]
            if any(f is None for f in factors):
                continue
            score = BASE_COMBO[k] * min(f[0] for f in factors)
            reasons = (
                f"{k} payouts of {chosen[0].platform} add up to {v.line.amount} exactly",
                f"descriptor names {chosen[0].platform}",
                "bank date within the window of every payout",
            )
            refs = tuple(p.ref for p in chosen)
            out.append(
                candidate(bank_ref=v.line.ref, score=score, reasons=reasons, payout_refs=refs)
            )
    return out


def explicit_candidates(
    *,
    views: list[LineView],
    payouts: list[Payout],
    settings: Settings,
    fx_rates: tuple[FxRate, ...],
) -> list[Candidate]:
    s = settings
    rates = Rates(fx_rates)
    index = _Index(views)
    out: list[Candidate] = []
    has_exact: set[str] = set()
    by_conn: dict[tuple[str, str], list[Payout]] = defaultdict(list)
    currencies = sorted(index.by_currency)
    for p in payouts:
        by_conn[(p.connection_ref, p.currency)].append(p)
        ident = {i.upper() for i in p.identifiers if len(i) >= 6}
        idented = {v.line.ref for t in ident for v in index.by_token.get(t, ())}
        seen: set[str] = set()
        for v in index.by_amount.get((p.currency, p.amount), ()):
            seen.add(v.line.ref)
            c = _single(p, v, s, v.line.ref in idented)
            if c is not None:
                out.append(c)
                if c.score >= s.auto_threshold:
                    has_exact.add(v.line.ref)
        lo, hi = _window(p, s)
        for cur in currencies:
            if cur == p.currency:
                continue
            pool = index.in_window(cur, lo, hi)
            extra = [v for t in ident for v in index.by_token.get(t, ()) if v.line.currency == cur]
            for v in sorted(
                {x.line.ref: x for x in pool + extra}.values(), key=lambda x: x.line.ref
            ):
                c = _fx_single(p, v, s, rates, v.line.ref in idented)
                if c is not None:
                    out.append(c)
    # Several payouts in one line: only for lines naming a platform that no single payout
    # explains, and only within one connection (a bank never merges two originators' ACHs).
    anchors = {}
    for key, conn_payouts in by_conn.items():
        conn_payouts.sort(key=lambda p: (p.arrival_on or p.created_on, p.ref))
        anchors[key] = [p.arrival_on or p.created_on for p in conn_payouts]
    # Calendar bounds wide enough for any payout whose business-day window reaches the line.
    back = timedelta(days=(s.max_days_late + 3) * 7 // 5 + 3)
    ahead = timedelta(days=s.max_days_early * 7 // 5 + 3)
    for v in views:
        if v.line.ref in has_exact or not v.named:
            continue
        for (conn, cur), plist in sorted(by_conn.items()):
            if cur != v.line.currency or v.signal(plist[0].platform) != "own":
                continue
            dates = anchors[(conn, cur)]
            lo = bisect.bisect_left(dates, v.line.date - back)
            hi = bisect.bisect_right(dates, v.line.date + ahead)
            pool = [
                p
                for p in plist[lo:hi]
                if (p.amount > 0) == (v.line.amount > 0)
                and abs(p.amount) < abs(v.line.amount)
                and _date_factor(p, v.line, s) is not None
            ]
            if 2 <= len(pool) <= 16:
                out.extend(_combos(v, pool, s))
    out.extend(_fx_combos(views, by_conn, anchors, s, rates))
    return _one_conversion_each(out, s)


def judged_by_rate(c: Candidate) -> bool:
    """A conversion tied by its rate against a reference of the caller's, nothing printed."""
    return c.fx is not None and c.fx.reference_source in TRUSTED_SOURCES and any(
        r.startswith(FX_BY_RATE) for r in c.reasons)


WIDE_BAND_RIVAL = "another conversion fits as well within the wide band: not applied"


def _one_conversion_each(cands: list[Candidate], s: Settings) -> list[Candidate]:
    """A conversion judged by rate alone is applied only when it is the one conversion that fits
    its bank line, and the one that fits its payout: with another in the wide band (another rate
    source could explain either), a person confirms. Identifiers and printed amounts decide by
    themselves and are left alone."""
    by_line, by_payout = defaultdict(int), defaultdict(int)
    for c in cands:
        if c.fx is not None:
            by_line[c.bank_ref] += 1
            for p in c.payout_refs:
                by_payout[p] += 1
    out = []
    for c in cands:
        if judged_by_rate(c) and c.score >= s.auto_threshold and (
                by_line[c.bank_ref] > 1 or any(by_payout[p] > 1 for p in c.payout_refs)):
            c = replace(c, score=s.auto_threshold * 0.99, held_score=c.score, reasons=c.reasons + (WIDE_BAND_RIVAL,))
        out.append(c)
    return out


def _fx_combos(views, by_conn, anchors, s: Settings, rates: Rates) -> list[Candidate]:
    """Several foreign-currency payouts of one connection converted as one bank line. Banks that
    convert an incoming foreign ACH/wire print the original amount ("... CAD 7557.79 FX"); when
    that printed amount is exactly the sum of 2..k payouts of one connection whose platform the
    descriptor names, all arriving within the date window, the line is those payouts. Without a
    printed amount a converted sum is only known within an FX tolerance: never combined."""
    back = timedelta(days=(s.max_days_late + 3) * 7 // 5 + 3)
    ahead = timedelta(days=s.max_days_early * 7 // 5 + 3)
    out: list[Candidate] = []
    for v in views:
        if not v.printed or not v.named:
            continue
        for (conn, cur), plist in sorted(by_conn.items()):
            if cur == v.line.currency or v.signal(plist[0].platform) != "own":
                continue
            printed = sorted(amt for c, amt in v.printed if c == cur)
            if not printed:
                continue
            dates = anchors[(conn, cur)]
            lo = bisect.bisect_left(dates, v.line.date - back)
            hi = bisect.bisect_right(dates, v.line.date + ahead)
            pool = [
                p
                for p in plist[lo:hi]
                if (p.amount > 0) == (v.line.amount > 0) and _date_factor(p, v.line, s) is not None
            ]
            if not 2 <= len(pool) <= 16:
                continue
            for total in printed:
                signed = total if v.line.amount > 0 else -total
                pseudo = LineView(replace(v.line, amount=signed, currency=cur), v.named, v.tokens)
                for c in _combos(pseudo, [p for p in pool if abs(p.amount) < total], s):
                    fx = _fx_of(signed, cur, v.line, rates, s)
                    if fx is None:
                        continue
                    reasons = (
                        c.reasons[0].replace(" exactly", f" {cur}, the original amount printed")
                        + f" by the bank; converted to {v.line.amount} {v.line.currency}",
                        *c.reasons[1:],
                    )
                    out.append(
                        candidate(
                            bank_ref=v.line.ref,
                            score=c.score,
                            reasons=reasons,
                            payout_refs=c.payout_refs,
                            fx=fx,
                        )
                    )
    return out


def _fx_of(amount: Decimal, cur: str, line: BankLine, rates: Rates, s: Settings):
    """The conversion of ``amount`` ``cur`` into the line, or None when the implied rate is not
    even roughly plausible (a printed amount settles which payouts; the rate must still agree)."""
    found = rates.get(cur, line.currency, line.date)
    implied = line.amount / amount
    rate, source = found or (implied, "printed")
    expected = amount * rate
    # The bank printed the original amount: that settles which payouts; the rate only has to be
    # plausible (the wide band), unless the caller's undated rate is the rate to hold to.
    tol = s.fx_tolerance if source == "supplied" else s.fx_tolerance_builtin
    if abs(line.amount - expected) > abs(expected) * tol:
        return None
    return FxConversion(
        payout_currency=cur,
        payout_amount=amount,
        bank_currency=line.currency,
        bank_amount=line.amount,
        implied_rate=implied.quantize(Decimal("0.000001")),
        reference_rate=rate.quantize(Decimal("0.000001")),
        reference_source=source,
        difference=quantize(line.amount - expected, line.currency),
    )
