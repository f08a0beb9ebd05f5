"""Engine invariants on random small worlds full of collisions (hypothesis)."""

import random
from collections import Counter
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciliation.engine import PriorDecision, reconcile

from .builders import bank, conn, day, inputs, item, payout

AMOUNTS = ["100.00", "150.00", "250.00", "400.00", "-40.00"]
DESCS = [
    "SHOPIFY PAYMENTS DES:TRANSFER",
    "AMAZON.COM SERVICES",
    "ACH CREDIT",
    "ETSY INC DES:DEPOSIT",
]
SHOPS = [("s1", "SHOPIFY"), ("s2", "SHOPIFY"), ("a1", "AMAZON")]


@st.composite
def worlds(draw):
    payouts = []
    for i in range(draw(st.integers(0, 7))):
        shop, platform = draw(st.sampled_from(SHOPS))
        payouts.append(
            payout(
                f"p{i}",
                draw(st.sampled_from(AMOUNTS)),
                conn=shop,
                platform=platform,
                arrival=day(draw(st.integers(0, 6))),
            )
        )
    lines = []
    for i in range(draw(st.integers(0, 8))):
        amount = draw(st.sampled_from(AMOUNTS + ["550.00", "30.00", "50.00"]))
        lines.append(
            bank(
                f"b{i}",
                amount,
                on=day(draw(st.integers(0, 8))),
                desc=draw(st.sampled_from(DESCS)),
                pending=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    items = [
        item(
            f"t{i}",
            draw(st.sampled_from(["10.00", "20.00", "30.00", "-10.00"])),
            conn="etsy",
            on=day(draw(st.integers(0, 6))),
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    return inputs(
        lines=lines, payouts=payouts, items=items, conns=[conn("etsy", "ETSY", explicit=False)]
    )


def _answers(result):
    return [(d.bank_ref, d.status, d.payout_refs, d.inferred) for d in result.decisions]


FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(worlds())
def test_it_never_uses_a_bank_line_payout_or_transaction_twice(world):
    result = reconcile(world)
    matched = [d for d in result.decisions if d.status == "matched"]
    used = Counter()
    for d in matched:
        used.update(
            ["bank:" + d.bank_ref]
            + list(d.payout_refs)
            + list(d.inferred.item_refs if d.inferred else ())
        )
    assert all(n == 1 for n in used.values())
    pending = {b.ref for b in world.bank_lines if b.pending}
    assert not any(d.bank_ref in pending for d in matched)


@FAST
@given(worlds(), st.randoms(use_true_random=False))
def test_it_does_not_depend_on_input_order(world, rnd: random.Random):
    def shuffled(xs):
        xs = list(xs)
        rnd.shuffle(xs)
        return tuple(xs)

    other = replace(
        world,
        bank_lines=shuffled(world.bank_lines),
        payouts=shuffled(world.payouts),
        items=shuffled(world.items),
    )
    assert reconcile(other) == reconcile(world)


@FAST
@given(worlds())
def test_it_is_idempotent_when_its_matches_come_back_as_locks(world):
    first = reconcile(world)
    locks = [
        PriorDecision(d.bank_ref, "applied", payout_refs=d.payout_refs, inferred=d.inferred)
        for d in first.decisions
        if d.status == "matched"
    ]
    second = reconcile(replace(world, prior=tuple(locks)))
    assert _answers(second) == _answers(first)
    assert {d.bank_ref for d in second.decisions if d.locked} == {lk.bank_ref for lk in locks}
