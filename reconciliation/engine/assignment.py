"""Global consistency: every bank line, payout and platform item is used at most once.

Candidates compete for resources (a bank line, payouts, items). Within each cluster of candidates
that share resources, the engine finds the assignment with the highest total score, then asks of
every chosen candidate: "how much worse is the best assignment that does NOT use it?". If an
alternative is nearly as good, the choice is a coin toss, and the candidate is marked ambiguous
(never applied). Small clusters are solved exactly; big ones (rare: many identical amounts)
greedily, best first, with the same margin test against every still-possible competitor.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain

from .types import FxConversion, InferredGroup


@dataclass(frozen=True)
class Candidate:
    bank_ref: str
    score: float
    reasons: tuple[str, ...]
    payout_refs: tuple[str, ...] = ()  # sorted
    inferred: InferredGroup | None = None
    fx: FxConversion | None = None
    resources: frozenset[str] = field(default=frozenset(), compare=False)
    # False: a suggestion however strong (a person confirms), yet a full-strength rival of the
    # answers it competes with, so that it keeps them from being applied as the best of the rest.
    auto: bool = True
    # The score before a hold that later evidence may lift (deposits.WIDE_BAND_RIVAL), else None.
    held_score: float | None = field(default=None, compare=False)

    @property
    def answer(self) -> tuple[str, ...]:
        """A comparable key for "what this candidate says the bank line is"."""
        if self.inferred is not None:
            return ("inferred", self.inferred.connection_ref, *self.inferred.item_refs)
        return self.payout_refs

    @property
    def sort_key(self) -> tuple:
        return (-round(self.score, 9), self.bank_ref, self.answer)


def candidate(
    *,
    bank_ref: str,
    score: float,
    reasons: tuple[str, ...],
    payout_refs: tuple[str, ...] = (),
    inferred: InferredGroup | None = None,
    fx: FxConversion | None = None,
    auto: bool = True,
) -> Candidate:
    res = {"bank:" + bank_ref}
    res.update("payout:" + p for p in payout_refs)
    if inferred is not None:
        res.update("item:" + i for i in inferred.item_refs)
    return Candidate(
        bank_ref=bank_ref,
        score=score,
        reasons=reasons,
        payout_refs=tuple(sorted(payout_refs)),
        inferred=inferred,
        fx=fx,
        resources=frozenset(res),
        auto=auto,
    )


@dataclass(frozen=True)
class Resolution:
    candidate: Candidate
    margin: float  # best total minus the best total without this candidate
    rivals: tuple[Candidate, ...]  # candidates that share a resource with it, best first


def _components(cands: list[Candidate]) -> list[list[Candidate]]:
    """Candidates joined by shared resources. Union-find over the candidates: a resource's first
    user is its owner, and only a resource already owned joins two (a realistic year: windows of
    thousands of items, 2.3 million finds over the resources themselves)."""
    parent = list(range(len(cands)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, int] = {}
    for i, c in enumerate(cands):
        for r in c.resources:
            j = owner.setdefault(r, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[a] = b
    groups: dict[int, list[Candidate]] = defaultdict(list)
    for i, c in enumerate(cands):
        groups[find(i)].append(c)
    return [sorted(g, key=lambda c: c.sort_key) for g in groups.values()]


def _best_packing(edges: list[Candidate], skip: int | None) -> tuple[float, list[int]]:
    """Exact max-total-score set of resource-disjoint candidates (branch and bound)."""
    n = len(edges)
    suffix = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + (0.0 if i == skip else edges[i].score)
    best_val = -1.0
    best_set: list[int] = []
    chosen: list[int] = []
    used: set[str] = set()

    def go(i: int, val: float) -> None:
        nonlocal best_val, best_set
        if val + suffix[i] <= best_val + 1e-12:
            return
        if i == n:
            best_val, best_set = val, list(chosen)
            return
        e = edges[i]
        if i != skip and not (e.resources & used):
            used.update(e.resources)
            chosen.append(i)
            go(i + 1, val + e.score)
            chosen.pop()
            used.difference_update(e.resources)
        go(i + 1, val)

    go(0, 0.0)
    return max(best_val, 0.0), best_set


def unshared(cands: list[Candidate]) -> set[int]:
    """ids of the candidates none of whose resources (bank line, payouts, transactions) another
    candidate of `cands` uses."""
    users = Counter(chain.from_iterable(c.resources for c in cands))
    return {id(c) for c in cands if max(map(users.__getitem__, c.resources)) == 1}


def rivals(edge: Candidate, edges: list[Candidate]) -> tuple[Candidate, ...]:
    """The other candidates of `edges` that use one of `edge`'s resources."""
    mine = edge.resources
    return tuple(e for e in edges if e is not edge and not mine.isdisjoint(e.resources))


def _resolve_exact(edges: list[Candidate]) -> list[Resolution]:
    best_val, best_set = _best_packing(edges, None)
    out = []
    for i in best_set:
        without, _ = _best_packing(edges, i)
        out.append(Resolution(edges[i], best_val - without, rivals(edges[i], edges)))
    return out


def _resolve_greedy(edges: list[Candidate]) -> list[Resolution]:
    # A big component's rivals are found through who uses each resource, not by comparing every
    # pick with every edge (a realistic year: windows of thousands of items, 550,000 set
    # comparisons). The same rivals, in the same (best first) order, as `rivals`.
    users: dict[str, list[int]] = defaultdict(list)
    for pos, e in enumerate(edges):
        for r in e.resources:
            users[r].append(pos)
    used: set[str] = set()
    out = []
    for pos, e in enumerate(edges):  # already best first
        if not used.isdisjoint(e.resources):
            continue
        near = set(chain.from_iterable(users[r] for r in e.resources))
        near.discard(pos)
        others = tuple(edges[i] for i in sorted(near))
        live = [r.score for r in others if used.isdisjoint(r.resources)]
        margin = e.score - max(live) if live else e.score
        used.update(e.resources)  # an ambiguous pick still blocks its rivals: neither is applied
        out.append(Resolution(e, margin, others))
    return out


def resolve(cands: list[Candidate], *, max_exact_edges: int) -> list[Resolution]:
    """One resolution per chosen candidate, in a deterministic order."""
    out: list[Resolution] = []
    for comp in _components(cands):
        if len(comp) == 1:
            out.append(Resolution(comp[0], comp[0].score, ()))
        elif len(comp) <= max_exact_edges:
            out.extend(_resolve_exact(comp))
        else:
            out.extend(_resolve_greedy(comp))
    out.sort(key=lambda r: r.candidate.sort_key)
    return out
