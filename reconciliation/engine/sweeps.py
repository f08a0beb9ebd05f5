"""Commit rules of the fixpoint: which confident answers wait a round, and why.

Inferred payouts of one connection sweep its balance in order (Sweeps), and an answer is committed
only when it is its deposit's strongest reading (waiting_answers)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from .assignment import Candidate, Resolution, unshared
from .types import PlatformItem

OUT_OF_ORDER = (
    "another deposit of this connection on a different day took transactions on the other side "
    "of these: a balance is swept in order, so this is not applied"
)
FIFO_FACTOR = 0.85
SOLE = (
    "the only answer that ties to the cent for this deposit, and no other deposit's answer uses "
    "these transactions: applied although another deposit of this connection posted out of order"
)


def uncontested(cands: list[Candidate]) -> set[int]:
    """ids of the inferred candidates that nothing competes with: the only candidate of their
    bank line, and no other candidate (of any line) uses any of their transactions. Banks post
    out of order now and then (a payout landing on a holiday, a credit booked a day late): for
    such an answer the order of the connection's sweeps is no evidence against it."""
    sole = unshared(cands)
    return {id(c) for c in cands if c.inferred is not None and id(c) in sole}


class Sweeps:
    """Inferred payouts of one connection sweep its balance in order: of two deposits on
    different days, the earlier one took the earlier transactions. A grouping that would break
    that order against a committed one is at best a suggestion; of two confident groupings that
    break it against each other in one round, the weaker (or both, when equally strong) waits."""

    def __init__(self, items_by_conn: dict[str, list[PlatformItem]], day_of: dict[str, object]):
        self.position = {it.ref: k for lst in items_by_conn.values() for k, it in enumerate(lst)}
        self.day_of = day_of  # bank line ref -> its date
        self.taken: dict[str, list[tuple]] = defaultdict(list)  # connection -> (day, first, last)
        self._extent: dict[int, tuple] = {}  # id(group) -> (group, (first, last) or None)

    def _span(self, c: Candidate) -> tuple | None:
        """(connection, deposit day, first and last position) of an inferred answer, else None."""
        if c.inferred is None:
            return None
        hit = self._extent.get(id(c.inferred))
        if hit is None or hit[0] is not c.inferred:  # groups recur across rounds (ScanCache)
            positions = [self.position[r] for r in c.inferred.item_refs if r in self.position]
            hit = self._extent[id(c.inferred)] = (c.inferred, (min(positions), max(positions)) if positions else None)
        if hit[1] is None:
            return None
        return c.inferred.connection_ref, self.day_of[c.bank_ref], *hit[1]

    @staticmethod
    def _crossed(day, first, last, others) -> bool:
        return any(
            (d < day and f > last) or (d > day and e < first) for d, f, e in others
        )

    def demote(self, cands: list[Candidate]) -> list[Candidate]:
        """Candidates that break the order of committed sweeps step down below confidence,
        unless nothing competes with them (`uncontested`)."""
        out = []
        sole = uncontested(cands)
        for c in cands:
            span = self._span(c)
            if span is not None and id(c) in sole:
                if self._crossed(*span[1:], self.taken.get(span[0], ())):
                    c = replace(c, reasons=c.reasons + (SOLE,))
            elif span is not None and self._crossed(*span[1:], self.taken.get(span[0], ())):
                c = replace(c, score=c.score * FIFO_FACTOR, reasons=c.reasons + (OUT_OF_ORDER,))
            out.append(c)
        return out

    def held(self, new: list[Resolution], sole: set[int]) -> set[int]:
        """ids of this round's confident inferred answers that wait (crossed by one at least as
        strong); an uncontested one never waits."""
        spanned = [(r.candidate, span) for r in new if (span := self._span(r.candidate)) is not None]
        return {
            id(c)
            for c, (conn, *mine) in spanned
            if id(c) not in sole and self._crossed(*mine, [
                other[1:] for o, other in spanned
                if o is not c and other[0] == conn and o.score >= c.score
            ])
        }

    def commit(self, c: Candidate) -> None:
        span = self._span(c)
        if span is not None:
            self.taken[span[0]].append(span[1:])


STRONGER_READING = (
    "a stronger reading of this deposit lost only to answers that are not applied: this one "
    "depends on them, so it is not applied"
)


def waiting_answers(confident: list[Resolution], cands: list[Candidate], sweeps: Sweeps) -> dict[int, str]:
    """Confident answers that are not committed this round, with why. An answer is committed only
    when it is its deposit's strongest reading (a weaker one chosen because the packing gave the
    stronger reading's payouts or transactions to other lines is committed once those lines are)
    and does not break the order of its connection's sweeps."""
    best: dict[str, float] = defaultdict(float)
    for c in cands:
        best[c.bank_ref] = max(best[c.bank_ref], c.score)
    out = {id(r.candidate): STRONGER_READING for r in confident if best[r.candidate.bank_ref] > r.candidate.score + 1e-9}
    for key in sweeps.held(confident, uncontested(cands)):
        out.setdefault(key, OUT_OF_ORDER)
    return out
