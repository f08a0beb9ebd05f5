"""reconcile(inputs) -> Result: the whole engine, pure and deterministic.

1. Prior decisions first: applied/manual ones lock their bank line, payouts and items; rejected
   ones remove that exact answer (or, with no answer, the whole line) from consideration.
2. Candidates: explicit payouts (deposits.py) and inferred groupings (inferred.py).
3. Resolution (assignment.py) to a fixpoint: confident, unambiguous answers are committed, their
   resources removed, and what is left is resolved again until nothing changes. Committing
   then re-resolving is what makes a re-run with the committed answers as locks a no-op.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from . import descriptors as dsc
from . import learned
from .assignment import Candidate, Resolution, resolve
from .breakdown import breakdown_of, explicit_breakdowns
from .deposits import explicit_candidates, judged_by_rate, payout_is_open, view_of
from .fxhistory import FxHistory
from .inferred import ScanCache, inferred_candidates, settlement_order
from .orders import choices_for, gate, gateway_charges, priced, unseen_rivals
from .rates import Rates
from .sweeps import Sweeps, waiting_answers
from .types import Connection, Decision, Inputs, PlatformItem, Result

ENGINE_VERSION = "tieout-engine/1.2"


def _connections(inputs: Inputs) -> list[Connection]:
    known = {c.ref: c for c in inputs.connections}
    for p in inputs.payouts:  # a connection that has payouts obviously has payout objects
        if p.connection_ref not in known:
            known[p.connection_ref] = Connection(p.connection_ref, p.platform, True)
    return sorted(known.values(), key=lambda c: c.ref)


def _status(r: Resolution, inputs: Inputs) -> str:
    s = inputs.settings
    if r.margin < s.ambiguity_margin:
        return "ambiguous"
    if r.candidate.score >= s.auto_threshold and r.candidate.auto:
        return "matched"
    if r.candidate.score >= s.suggest_threshold:
        return "suggested"
    return "unmatched"


def _decision(r: Resolution, status: str, inputs: Inputs) -> Decision:
    c = r.candidate
    reasons = list(c.reasons)
    alternatives: tuple[tuple[str, ...], ...] = ()
    if status == "ambiguous":
        alts = [x for x in r.rivals if x.bank_ref == c.bank_ref] or list(r.rivals)
        alternatives = tuple(dict.fromkeys(x.answer for x in alts))[:5]
        reasons.append(
            f"an alternative answer is nearly as plausible (margin {r.margin:.3f}): not applied"
        )
    elif r.rivals:
        reasons.append(f"best answer by a margin of {r.margin:.3f} over its rivals")
    if status == "unmatched":
        reasons.append("confidence below the suggestion threshold")
    return Decision(
        bank_ref=c.bank_ref,
        status=status,
        confidence=round(c.score, 4),
        payout_refs=c.payout_refs,
        inferred=c.inferred,
        reasons=tuple(reasons),
        fx=c.fx,
        alternatives=alternatives,
    )


def _final(
    resolutions: list[Resolution], cands: list[Candidate], inputs: Inputs, waiting: dict[int, str]
) -> list[Decision]:
    """Decisions for what is left once nothing more can be committed. A bank line that lost a
    coin toss is ambiguous too; one that lost to a clearly better line says so; a confident
    answer that had to wait (see sweeps.waiting_answers) is a suggestion."""
    out = []
    for r in resolutions:
        status = _status(r, inputs)
        if status == "matched" and id(r.candidate) in waiting:
            why = waiting[id(r.candidate)]
            r = replace(r, candidate=replace(r.candidate, reasons=r.candidate.reasons + (why,)))
            status = "suggested"
        out.append(_decision(r, status, inputs))
    decided = {d.bank_ref for d in out}
    tossed = {
        x.bank_ref: r
        for r in resolutions
        if _status(r, inputs) == "ambiguous"
        for x in r.rivals
        if x.bank_ref not in decided
    }
    for bank_ref, r in sorted(tossed.items()):
        rivals = sorted((x for x in r.rivals if x.bank_ref == bank_ref), key=lambda c: c.sort_key)
        best = rivals[0]
        out.append(
            Decision(
                bank_ref=bank_ref,
                status="ambiguous",
                confidence=round(best.score, 4),
                payout_refs=best.payout_refs,
                inferred=best.inferred,
                reasons=best.reasons
                + (f"competes with {r.candidate.bank_ref} for the same payout(s): not applied",),
                alternatives=tuple(dict.fromkeys(x.answer for x in rivals))[1:6],
            )
        )
        decided.add(bank_ref)
    for c in sorted(cands, key=lambda c: c.sort_key):
        if c.bank_ref not in decided:
            decided.add(c.bank_ref)
            out.append(
                Decision(
                    bank_ref=c.bank_ref,
                    status="unmatched",
                    confidence=0.0,
                    reasons=("its candidate payout(s) fit another bank line better",),
                )
            )
    return out


def _fixpoint(
    *, inputs, views, explicit: list[Candidate], conns, items_by_conn, lock_items, descriptors,
    fx_history: FxHistory, markers: dict[str, list[PlatformItem]], choices: dict,
) -> tuple[list[Decision], list[Decision], frozenset[str]]:
    """(committed matches, final non-committed decisions, lines learned behaviour may lift)."""
    committed: list[Decision] = []
    used: set[str] = set()
    paid = set(lock_items)
    inferred_conns = [c for c in conns if not c.has_payout_objects]
    s = inputs.settings
    rejected = _rejected(inputs)
    named = {v.line.ref: v.named for v in views}
    payout_platform = {p.ref: p.platform for p in inputs.payouts}
    conn_platform = {c.ref: c.platform for c in conns}

    def platform_of(c: Candidate) -> str:
        if c.inferred is not None:
            return conn_platform.get(c.inferred.connection_ref, "")
        return payout_platform.get(c.payout_refs[0], "") if c.payout_refs else ""

    day_of = {v.line.ref: v.line.date for v in views}
    sweeps = Sweeps(items_by_conn, day_of)
    scans = ScanCache()
    # Stores without payout objects the engine cannot evaluate (no items; orders-only ones
    # without a confirmed fee schedule): their deposits are in the feed all the same.
    blind = sorted({
        c.platform for c in inferred_conns
        if (not items_by_conn.get(c.ref) and c.ref not in choices)
        or (choices.get(c.ref) and not choices[c.ref].confirmed)
    })

    def weak(c: Candidate) -> bool:
        return not named.get(c.bank_ref) and c.score < s.auto_threshold

    # Look-alikes (a line naming no platform: suggestions at best) join only once the named
    # lines are settled: two weak suggestions must not outweigh one strong named match.
    with_weak = False
    while True:
        open_views = [v for v in views if "bank:" + v.line.ref not in used]
        cands = [c for c in explicit if not (c.resources & used)]
        cands = fx_history.judge(cands, day_of, judged_by_rate)
        cands += inferred_candidates(
            views=open_views,
            connections=inferred_conns,
            full_items=items_by_conn,
            paid=paid,
            settings=s,
            markers=markers,
            cache=scans,
        )
        cands = [c for c in gate(cands, choices) if (c.bank_ref, c.answer) not in rejected]
        cands = _specificity(sweeps.demote(cands), named, platform_of, descriptors)
        cands = unseen_rivals(cands, named, platform_of, descriptors, blind)
        held_back = False
        if not with_weak:
            strong = [c for c in cands if not weak(c)]
            held_back = len(strong) < len(cands)
            cands = strong
        resolutions = resolve(cands, max_exact_edges=s.exact_component_max_edges)
        confident = [r for r in resolutions if _status(r, inputs) == "matched"]
        waiting = waiting_answers(confident, cands, sweeps)
        new = [r for r in confident if id(r.candidate) not in waiting]
        if not new:
            if held_back:
                with_weak = True
                continue
            lift = learned.liftable(resolutions, waiting, named) if inputs.learned else frozenset()
            return committed, _final(resolutions, cands, inputs, waiting), lift
        with_weak = False
        for r in new:
            committed.append(_decision(r, "matched", inputs))
            used |= r.candidate.resources
            sweeps.commit(r.candidate)
            fx_history.add(r.candidate.payout_refs, r.candidate.fx, day_of[r.candidate.bank_ref])
            if r.candidate.inferred is not None:
                paid.update(r.candidate.inferred.item_refs)


GATEWAY_ONLY_FACTOR = 0.88


def _specificity(cands: list[Candidate], named: dict, platform_of, descriptors) -> list[Candidate]:
    """A descriptor that names a platform itself outweighs the same name read as the gateway of
    another platform: when a line has candidates of both kinds, the gateway readings step down
    (they stay candidates: alone, or against each other, nothing changes)."""
    strength = {}
    best: dict[str, int] = defaultdict(int)
    for c in cands:
        st = descriptors.strength(platform_of(c), named.get(c.bank_ref, frozenset()))
        strength[id(c)] = st
        best[c.bank_ref] = max(best[c.bank_ref], st)
    out = []
    for c in cands:
        if strength[id(c)] == 1 and best[c.bank_ref] == 2:
            c = replace(
                c,
                score=c.score * GATEWAY_ONLY_FACTOR,
                reasons=c.reasons
                + ("the descriptor names this platform's gateway, another candidate's own name",),
            )
        out.append(c)
    return out


def _rejected(inputs: Inputs) -> frozenset:
    out = set()
    for d in inputs.prior:
        if d.state != "rejected":
            continue
        if d.inferred is not None:
            grp = d.inferred
            out.add((d.bank_ref, ("inferred", grp.connection_ref, *sorted(grp.item_refs))))
        else:
            out.add((d.bank_ref, tuple(sorted(d.payout_refs))))
    return frozenset(out)


def reconcile(inputs: Inputs) -> Result:
    s = inputs.settings
    conns = _connections(inputs)
    conn_by_ref = {c.ref: c for c in conns}
    locked = [d for d in inputs.prior if d.state in ("applied", "manual")]
    locked.sort(key=lambda d: d.bank_ref)
    lock_bank = {d.bank_ref for d in locked}
    lock_payouts = {p for d in locked for p in d.payout_refs}
    lock_items = {i for d in locked if d.inferred for i in d.inferred.item_refs}
    dismissed = {
        d.bank_ref
        for d in inputs.prior
        if d.state == "rejected" and not d.payout_refs and d.inferred is None
    }

    lines = sorted(inputs.bank_lines, key=lambda b: b.ref)
    descriptors = dsc.Descriptors(inputs.platform_keywords)
    views = [
        view_of(b, descriptors)
        for b in lines
        if not b.pending and b.amount != 0 and b.ref not in lock_bank and b.ref not in dismissed
    ]
    payouts = sorted(
        (p for p in inputs.payouts if payout_is_open(p) and p.ref not in lock_payouts),
        key=lambda p: p.ref,
    )
    explicit = explicit_candidates(
        views=views, payouts=payouts, settings=s, fx_rates=inputs.fx_rates
    )
    fx_history = FxHistory({p.ref: p.connection_ref for p in inputs.payouts})
    payout_by_ref = {p.ref: p for p in inputs.payouts}
    line_by_ref = {b.ref: b for b in lines}
    rates = Rates(inputs.fx_rates)
    for d in locked:
        if d.bank_ref in line_by_ref and d.payout_refs:
            tied = [payout_by_ref[p] for p in d.payout_refs if p in payout_by_ref]
            fx_history.add_lock(line_by_ref[d.bank_ref], tied, rates)
    items_by_conn: dict[str, list[PlatformItem]] = defaultdict(list)
    markers: dict[str, list[PlatformItem]] = defaultdict(list)  # the platform's own payout records
    inferred_pool: dict[str, PlatformItem] = {}  # every item an inferred payout may name
    for it in inputs.items:
        conn = conn_by_ref.get(it.connection_ref)
        if conn is not None and not conn.has_payout_objects:
            inferred_pool[it.ref] = it
            if it.kind == "payout":
                markers[it.connection_ref].append(it)
        if (
            conn is not None
            and not conn.has_payout_objects
            and it.payout_ref is None
            and it.settled_on is not None
            and it.kind != "payout"
        ):
            items_by_conn[it.connection_ref].append(it)
    charged = gateway_charges(inputs.orders, inputs.items, conns)  # paid through connected Stripe
    orders = [o for o in inputs.orders if (o.order_ref or o.ref) not in charged]
    choices = choices_for(
        connections=conns, orders=orders, views=views, paid=lock_items, settings=s,
        stored=inputs.fee_schedules, cards=inputs.fee_cards,
    )
    choices.update({o.connection_ref: None for o in inputs.orders if o.connection_ref not in choices
                    and (o.order_ref or o.ref) in charged})  # seen, all through the gateway
    for it in orders:  # orders of orders-only stores, priced with the chosen schedule
        if choices.get(it.connection_ref) and it.ref not in inferred_pool:
            (it,) = priced([it], choices[it.connection_ref].schedule)
            inferred_pool[it.ref] = it
            if it.payout_ref is None and it.settled_on is not None:
                items_by_conn[it.connection_ref].append(it)
    for ref, lst in items_by_conn.items():
        items_by_conn[ref] = settlement_order(lst)
    committed, rest, lift = _fixpoint(
        inputs=inputs,
        views=views,
        explicit=explicit,
        conns=conns,
        items_by_conn=items_by_conn,
        lock_items=lock_items,
        descriptors=descriptors,
        fx_history=fx_history,
        markers=markers,
        choices=choices,
    )

    by_bank: dict[str, Decision] = {}
    for d in locked:
        by_bank[d.bank_ref] = Decision(
            bank_ref=d.bank_ref,
            status="matched",
            confidence=d.confidence,
            payout_refs=tuple(sorted(d.payout_refs)),
            inferred=d.inferred,
            reasons=(f"locked: {d.state} earlier",),
            locked=True,
        )
    for d in committed + rest:
        ch = choices.get(d.inferred.connection_ref) if d.inferred is not None else None
        by_bank.setdefault(d.bank_ref, replace(d, fee_schedule=ch.schedule) if ch else d)
    for b in lines:
        if b.ref not in by_bank:
            why = (
                "pending bank line: never matched"
                if b.pending
                else "dismissed by a person"
                if b.ref in dismissed
                else "no payout or settled transactions fit"
            )
            by_bank[b.ref] = Decision(
                bank_ref=b.ref, status="unmatched", confidence=0.0, reasons=(why,)
            )
    decisions = tuple(sorted(by_bank.values(), key=lambda d: d.bank_ref))
    decisions = learned.adjust(decisions, inputs, lift, inferred_pool)

    breakdowns = explicit_breakdowns(payouts=inputs.payouts, items=inputs.items)
    item_by_ref = inferred_pool
    bank_by_ref = {b.ref: b for b in lines}
    for d in decisions:
        if d.status != "matched" or d.inferred is None:
            continue
        grp = [item_by_ref[r] for r in d.inferred.item_refs if r in item_by_ref]
        line = bank_by_ref.get(d.bank_ref)
        ref = "inferred:" + d.bank_ref
        breakdowns[ref] = breakdown_of(
            payout_ref=ref,
            connection_ref=d.inferred.connection_ref,
            currency=line.currency if line else (grp[0].currency if grp else ""),
            amount=line.amount if line else sum(i.net for i in grp),
            items=grp,
            inferred=True,
        )
    payout_deposits = tuple(
        sorted((p, d.bank_ref) for d in decisions if d.status == "matched" for p in d.payout_refs)
    )
    return Result(
        engine_version=ENGINE_VERSION,
        decisions=decisions,
        breakdowns=tuple(sorted(breakdowns.values(), key=lambda b: (b.inferred, b.payout_ref))),
        payout_deposits=payout_deposits,
        fee_schedules=tuple(choices[ref].schedule for ref in sorted(choices) if choices[ref]),
        order_charges=tuple(sorted(charged.items())),
    )
