"""Rates implied by a connection's own tied conversions: the second test a conversion judged by its
rate alone must pass before it is applied.

A bank converts a foreign payout at the day's market rate less its own spread, and that spread is
steady for one bank and account. So each conversion already tied for a connection (the bank
printed the original amount, an identifier was printed, a person matched it, or an earlier one
passed this very test) says where that connection's conversions land against the reference:
``spread = implied rate / reference rate - 1``. A conversion judged by rate against the dated
reference series is applied only when its spread is within ``HISTORY_BAND`` of the median spread of
the same connection's (and currency pair's) tied conversions within ``HISTORY_DAYS`` of it; outside
the band, a person confirms. A rate the caller supplied (its own table, not the reference series)
is the rate to hold to and needs no history.

A connection with no tied conversion yet (its first weeks) has its conversions agree with each
other instead: when at least ``AGREE_MIN`` of its conversions judged by rate are each the only
candidate of their deposit and of their payouts, and at least three in four of those land within
``HISTORY_BAND`` of their median spread, that median is the connection's usual spread (one
bank's steady spread shows in every conversion; a wrong pairing lands anywhere in the 3 %
reference band). With fewer, or no such agreement, a person confirms.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from statistics import median

from .assignment import Candidate, rivals, unshared
from .deposits import WIDE_BAND_RIVAL
from .rates import Rates
from .types import BankLine, FxConversion, Payout

HISTORY_BAND = Decimal("0.01")  # 1 percentage point around the connection's usual spread
HISTORY_DAYS = 60
HISTORY_RECENT = 5  # the median of at most this many nearest tied conversions
AGREE_MIN = 3  # sole conversions of a connection without history that must agree (see above)

NO_HISTORY = (
    "no conversion of this connection has been tied yet to check the bank's rate against: a "
    "person confirms"
)


AGREED = (
    "this connection has no tied conversion yet; its conversions that are each their deposit's "
    "only answer agree on the bank's spread"
)


def _by_reference(c: Candidate, by_rate) -> bool:
    """A conversion judged by its rate against the dated reference series."""
    return by_rate(c) and c.fx.reference_source == "reference"


def spread(fx: FxConversion) -> Decimal | None:
    if not fx.reference_rate or not fx.implied_rate:
        return None
    return fx.implied_rate / fx.reference_rate - 1


class FxHistory:
    """Spreads of tied conversions per (connection, payout currency, bank currency)."""

    def __init__(self, connection_of: dict[str, str]):
        self._connection_of = connection_of  # payout ref -> connection ref
        self._points: dict[tuple, list[tuple[date, Decimal]]] = defaultdict(list)

    def _key(self, payout_refs, fx: FxConversion) -> tuple | None:
        conns = {self._connection_of.get(p) for p in payout_refs}
        if len(conns) != 1 or None in conns:
            return None
        return (conns.pop(), fx.payout_currency, fx.bank_currency)

    def add(self, payout_refs, fx: FxConversion | None, on: date) -> None:
        if fx is None or fx.reference_source != "reference":
            return
        key, s = self._key(payout_refs, fx), spread(fx)
        if key is not None and s is not None:
            self._points[key].append((on, s))

    def add_lock(self, line: BankLine, payouts: list[Payout], rates: Rates) -> None:
        """A conversion a person (or an earlier run) tied: a prior applied or manual match."""
        currencies = {p.currency for p in payouts}
        if len(currencies) != 1 or line.currency in currencies:
            return
        cur, total = currencies.pop(), sum(p.amount for p in payouts)
        found = rates.get(cur, line.currency, line.date)
        if not total or found is None or found[1] != "reference":
            return
        fx = FxConversion(cur, total, line.currency, line.amount, line.amount / total, found[0],
                          "reference", Decimal(0))
        self.add([p.ref for p in payouts], fx, line.date)

    def usual(self, payout_refs, fx: FxConversion, on: date) -> Decimal | None:
        """The median spread of the nearest tied conversions of this connection, or None."""
        key = self._key(payout_refs, fx)
        near = sorted(
            (abs((d - on).days), d, s)
            for d, s in self._points.get(key, ())
            if abs((d - on).days) <= HISTORY_DAYS
        )[:HISTORY_RECENT]
        return median(s for _, _, s in near) if near else None

    def _agreed(self, judged: list[Candidate]) -> dict[tuple, Decimal]:
        """Per connection without tied conversions: the spread its sole conversions agree on."""
        sole = unshared(judged)
        spreads: dict[tuple, list[Decimal]] = defaultdict(list)
        for c in judged:
            key, s = self._key(c.payout_refs, c.fx), spread(c.fx)
            if id(c) in sole and key is not None and s is not None and not self._points.get(key):
                spreads[key].append(s)
        out = {}
        for key, found in spreads.items():
            mid = median(found)
            agree = sum(1 for s in found if abs(s - mid) <= HISTORY_BAND)
            if agree >= AGREE_MIN and agree * 4 >= len(found) * 3:
                out[key] = mid
        return out

    def _off(self, c: Candidate, on: date) -> bool | None:
        """Is this conversion's spread off its connection's usual one (None: no history)?"""
        usual, mine = self.usual(c.payout_refs, c.fx, on), spread(c.fx)
        if usual is None or mine is None:
            return None
        return abs(mine - usual) > HISTORY_BAND

    def _rivals_off_spread(self, cands: list[Candidate], day_of, by_rate) -> list[Candidate]:
        """A conversion held back because another fits its line or payout within the wide band
        (deposits.WIDE_BAND_RIVAL) stands again when it sits at its connection's usual spread and
        every such rival sits off its own connection's: history says which rate the bank used."""
        fx = [c for c in cands if _by_reference(c, by_rate)]
        held = {id(c) for c in fx if c.held_score is not None and WIDE_BAND_RIVAL in c.reasons}
        out = []
        for c in cands:
            if id(c) in held:
                others = rivals(c, fx)  # a conversion's resources: its bank line and payouts
                if self._off(c, day_of[c.bank_ref]) is False and others and all(
                        self._off(r, day_of[r.bank_ref]) for r in others):
                    c = replace(c, score=c.held_score, held_score=None, reasons=tuple(x for x in c.reasons if x != WIDE_BAND_RIVAL) + (
                        "the other conversions that fit are off their connection's usual spread",))
            out.append(c)
        return out

    def judge(self, cands: list[Candidate], day_of: dict[str, date], by_rate) -> list[Candidate]:
        """Conversions judged by rate against the reference series, without a consistent history,
        become suggestions (still full-strength rivals of the answers they compete with)."""
        out = []
        cands = self._rivals_off_spread(cands, day_of, by_rate)
        judged = [c for c in cands if c.auto and _by_reference(c, by_rate)]
        agreed = self._agreed(judged)
        judged_ids = {id(c) for c in judged}
        for c in cands:
            if id(c) in judged_ids:
                on = day_of[c.bank_ref]
                usual, mine = self.usual(c.payout_refs, c.fx, on), spread(c.fx)
                if usual is None and (usual := agreed.get(self._key(c.payout_refs, c.fx))) is not None:
                    c = replace(c, reasons=c.reasons + (AGREED,))
                if usual is None:
                    c = replace(c, auto=False, reasons=c.reasons + (NO_HISTORY,))
                elif mine is None or abs(mine - usual) > HISTORY_BAND:
                    why = (
                        f"the bank's rate is {float(mine or 0):+.2%} from the reference, this "
                        f"connection's conversions usually {float(usual):+.2%}: a person confirms"
                    )
                    c = replace(c, auto=False, reasons=c.reasons + (why,))
                else:
                    why = (
                        f"the bank's rate is {float(mine):+.2%} from the reference, as this "
                        f"connection's tied conversions ({float(usual):+.2%})"
                    )
                    c = replace(c, reasons=c.reasons + (why,))
            out.append(c)
        return out
