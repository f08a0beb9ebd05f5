"""Learned per-connection behaviour: learning from confirmed deposits, and its effect on decisions."""

import random
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciliation.calendars import bank_holidays
from reconciliation.engine import LearnedBehaviour, reconcile
from reconciliation.engine.calendar import business_days_between
from reconciliation.engine.learned import ConfirmedDeposit, fit, learn, words

from .builders import MON, bank, by_bank, day, inputs, payout
from .test_properties import worlds

SHOP = "rutter:shop"
US = bank_holidays("US", 2024, 2026)


def dep(paid_on, bank_on, desc="SHOPIFY PAYMENTS DES:TRANSFER ID:ST-8K2L", conn=SHOP, due_on=None, **kw):
    return ConfirmedDeposit(conn, bank_on, paid_on, due_on or paid_on, desc, **kw)


def test_it_learns_a_weekly_monday_cadence_and_the_lag_from_confirmed_deposits():
    mondays = [MON + timedelta(weeks=k) for k in range(6)]
    deposits = [dep(m, m + timedelta(days=2), desc=f"SHOPIFY PAYMENTS DES:TRANSFER ID:ST-{k}X9Q7K2") for k, m in
                enumerate(mondays)]
    lb = learn(SHOP, deposits, US)
    assert (lb.cadence, lb.weekday, lb.cadence_samples) == ("weekly", 0, 6)
    assert (lb.lag_days, lb.lag_samples, lb.deposits) == (2, 6, 6)
    # the words the bank prints every time, not the payout ids
    assert lb.tokens == ("SHOPIFY", "PAYMENTS", "DES", "TRANSFER")


def test_it_learns_a_daily_cadence_on_business_days():
    start = date(2025, 3, 3)
    days = [start + timedelta(days=k) for k in range(14) if (start + timedelta(days=k)).weekday() < 5]
    lb = learn(SHOP, [dep(d, d + timedelta(days=1) if d.weekday() < 4 else d + timedelta(days=3)) for d in days], US)
    assert lb.cadence == "daily" and lb.lag_days == 1


def test_it_learns_every_n_days_and_irregular():
    every3 = learn(SHOP, [dep(MON + timedelta(days=3 * k), MON + timedelta(days=3 * k + 1)) for k in range(5)])
    assert (every3.cadence, every3.every_days) == ("every_n_days", 3)
    odd = learn(SHOP, [dep(MON + timedelta(days=k), MON + timedelta(days=k + 1)) for k in (0, 1, 5, 13, 14, 30)])
    assert odd.cadence == "irregular"


def test_the_lag_counts_business_days_over_a_federal_reserve_holiday():
    # Paid on Fridays, in the bank two business days later; Jan 20 2025 is MLK Day (Fed closed):
    # the Friday-17th payout lands on Wednesday the 22nd, still +2 business days.
    fridays = [date(2025, 1, 3), date(2025, 1, 10), date(2025, 1, 17), date(2025, 1, 24), date(2025, 1, 31)]
    lands = {d: d + timedelta(days=4) for d in fridays}
    lands[date(2025, 1, 17)] = date(2025, 1, 22)
    deposits = [dep(d, lands[d]) for d in fridays]
    lb = learn(SHOP, deposits, US)
    assert (lb.cadence, lb.weekday, lb.lag_days, lb.lag_samples) == ("weekly", 4, 2, 5)
    held_over = dep(date(2025, 1, 17), date(2025, 1, 22))
    assert "lands +2 business days" in fit(lb, held_over, US)[0]
    # on a calendar without the holiday, that deposit would have been a day late
    assert "lands +2 business days" not in fit(lb, held_over, frozenset())[0]


def test_it_learns_day_aligned_sweep_boundaries_and_cutoff_hours():
    sweeps = [dep(MON + timedelta(days=k), MON + timedelta(days=k + 2), day_aligned=True, hour=23) for k in range(5)]
    assert learn(SHOP, sweeps).boundary == "day"
    timed = [dep(MON + timedelta(days=k), MON + timedelta(days=k + 2), day_aligned=False, hour=16) for k in range(5)]
    lb = learn(SHOP, timed)
    assert lb.boundary == "time" and f"{lb.cutoff:%H:%M}" == "17:00"


def test_learning_does_not_depend_on_the_order_of_the_deposits():
    deposits = [dep(MON + timedelta(weeks=k), MON + timedelta(weeks=k, days=2 + (k == 3))) for k in range(7)]
    for seed in range(20):
        shuffled = list(deposits)
        random.Random(seed).shuffle(shuffled)
        assert learn(SHOP, shuffled, US) == learn(SHOP, deposits, US)


LEARNED_SAT_LAG4 = LearnedBehaviour(
    SHOP, deposits=8, cadence="weekly", weekday=5, cadence_samples=8, lag_days=4, lag_samples=8,
    tokens=("PAYMENTS", "SHOPIFY"), token_samples=8,
)


def test_a_late_payout_that_fits_the_learned_lag_and_cadence_is_applied_when_nothing_competes():
    # builders: created two days before arrival, i.e. on a Saturday; lands +4 business days.
    world = inputs(lines=[bank("b1", "812.40", on=day(4))], payouts=[payout("p1", "812.40", arrival=MON)])
    plain = by_bank(reconcile(world))["b1"]
    assert plain.status == "suggested" and plain.confidence < 0.85
    learned = by_bank(reconcile(replace(world, learned=(LEARNED_SAT_LAG4,))))["b1"]
    assert learned.status == "matched" and learned.confidence > plain.confidence
    assert any("lands +4 business days" in r for r in learned.reasons)


def test_a_match_that_contradicts_what_was_learned_steps_down_to_a_suggestion():
    world = inputs(lines=[bank("b1", "500.00", on=day(1))], payouts=[payout("p1", "500.00", arrival=MON)])
    assert by_bank(reconcile(world))["b1"].status == "matched"
    # learned: paid on Thursdays, lands +4, the bank prints "STORE TWO": none of that fits
    other = replace(LEARNED_SAT_LAG4, weekday=3, tokens=("STORE", "TWO"))
    d = by_bank(reconcile(replace(world, learned=(other,))))["b1"]
    assert d.status == "suggested" and d.confidence < 0.85
    assert any("does not fit" in r for r in d.reasons)


def test_a_learned_schedule_does_not_lift_a_suggestion_that_has_a_rival():
    # Two equal payouts of the store, one deposit four business days after both: a coin toss.
    world = inputs(
        lines=[bank("b1", "812.40", on=day(4))],
        payouts=[payout("p1", "812.40", arrival=MON), payout("p2", "812.40", arrival=MON)],
    )
    assert by_bank(reconcile(world))["b1"].status == "ambiguous"
    assert by_bank(reconcile(replace(world, learned=(LEARNED_SAT_LAG4,))))["b1"].status == "ambiguous"


CONNS = ["rutter:s1", "rutter:s2", "rutter:a1", "rutter:etsy"]


@st.composite
def learned_behaviours(draw, world=None):
    """Random learned behaviours; given a world, mostly ones its own deposits fit (a payout's
    weekday, the lag from it to a deposit, that deposit's words), so that lifts and demotions
    happen often."""
    out = []
    refs = draw(st.lists(st.sampled_from(CONNS), unique=True)) if world is None else CONNS
    for ref in refs:
        if world is not None and not draw(st.integers(0, 3)):
            continue
        n = draw(st.sampled_from([0, 2, 4, 8, 12]))
        weekday, lag = draw(st.integers(0, 6)), draw(st.integers(-2, 5))
        vocabulary = ["SHOPIFY", "PAYMENTS", "ETSY", "ACH", "AMAZON.COM"]
        mine = [p for p in world.payouts if p.connection_ref == ref] if world else []
        if mine and world.bank_lines and draw(st.integers(0, 3)):
            p, b = draw(st.sampled_from(mine)), draw(st.sampled_from(list(world.bank_lines)))
            weekday, lag = p.created_on.weekday(), business_days_between(p.arrival_on, b.date)
            vocabulary = sorted(words(b.description)) or vocabulary
        out.append(LearnedBehaviour(
            ref, deposits=n,
            cadence=draw(st.sampled_from(["", "weekly", "weekly", "weekly", "every_n_days", "daily", "irregular"])),
            weekday=weekday, every_days=draw(st.integers(2, 9)), anchor=day(draw(st.integers(-9, 9))),
            cadence_samples=n, lag_days=lag, lag_samples=n,
            tokens=tuple(sorted(draw(st.sets(st.sampled_from(vocabulary), max_size=2)))), token_samples=n,
            boundary=draw(st.sampled_from(["", "day"])), boundary_samples=n,
        ))
    return tuple(out)


@st.composite
def worlds_with_learned(draw):
    world = draw(worlds())
    return world, draw(learned_behaviours(world))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(worlds_with_learned())
def test_a_learned_schedule_never_turns_an_ambiguous_deposit_into_an_applied_one(world_and_learned):
    world, learned = world_and_learned
    plain = {d.bank_ref: d for d in reconcile(world).decisions}
    with_learned = reconcile(replace(world, learned=learned))
    for d in with_learned.decisions:
        before = plain[d.bank_ref]
        if before.status == "ambiguous":
            assert d.status == "ambiguous", (before, d)
        if d.status == "matched" and before.status != "matched":
            # lifted: it was the only answer around, a suggestion with nothing competing
            assert before.status == "suggested" and not before.alternatives
            assert (d.payout_refs, d.inferred) == (before.payout_refs, before.inferred)
    # and what is applied still uses every bank line, payout and transaction once at most
    used = [r for d in with_learned.decisions if d.status == "matched"
            for r in ("bank:" + d.bank_ref, *d.payout_refs, *(d.inferred.item_refs if d.inferred else ()))]
    assert len(used) == len(set(used))


@PROPERTY
@given(worlds_with_learned(), st.randoms(use_true_random=False))
def test_results_with_learned_behaviour_do_not_depend_on_input_order(world_and_learned, rnd):
    world, learned = world_and_learned
    def shuffled(xs):
        xs = list(xs)
        rnd.shuffle(xs)
        return tuple(xs)

    world = replace(world, learned=learned)
    other = replace(world, bank_lines=shuffled(world.bank_lines), payouts=shuffled(world.payouts),
                    items=shuffled(world.items), learned=shuffled(world.learned))
    assert reconcile(other) == reconcile(world)


def test_a_learned_schedule_does_not_lift_a_suggestion_that_another_deposit_competes_for():
    # The late SHOPIFY deposit is the payout's best reading, but an unnamed credit of the same
    # amount competes for the payout: a learned schedule must not settle that on its own.
    world = inputs(
        lines=[bank("b1", "812.40", on=day(4)), bank("b2", "812.40", on=day(1), desc="ACH CREDIT")],
        payouts=[payout("p1", "812.40", arrival=MON)],
    )
    plain = by_bank(reconcile(world))["b1"]
    assert plain.status == "suggested" and plain.payout_refs == ("rutter:shop:p1",)
    learned = by_bank(reconcile(replace(world, learned=(LEARNED_SAT_LAG4,))))["b1"]
    assert learned.status == "suggested" and learned.confidence > plain.confidence


def _etsy_day(extra_after=False):
    from datetime import UTC, datetime, time

    from .builders import conn, item

    stamps = [(f"t{k}", "40.00", h) for k, h in enumerate((9, 13))]
    if extra_after:
        stamps.append(("t9", "15.00", 20))  # still open, later that day: the sweep ended inside the day
    items = [replace(item(ref, amount, conn="etsy"), occurred_at=datetime.combine(MON, time(h), tzinfo=UTC))
             for ref, amount, h in stamps]
    return inputs(lines=[bank("d1", "80.00", on=day(2), desc="ETSY INC DES:DEPOSIT")], items=items,
                  conns=[conn("etsy", "ETSY", explicit=False)])


ETSY_DAILY = LearnedBehaviour("rutter:etsy", deposits=8, cadence="daily", cadence_samples=8, lag_days=2,
                              lag_samples=8, boundary="day", boundary_samples=8)


def test_an_inferred_sweep_is_judged_by_the_learned_day_boundary():
    plain = by_bank(reconcile(_etsy_day()))["d1"]
    fits = by_bank(reconcile(replace(_etsy_day(), learned=(ETSY_DAILY,))))["d1"]
    assert fits.inferred == plain.inferred and fits.confidence > plain.confidence
    assert any("sweeps end at a day's last transaction" in r and r.startswith("fits") for r in fits.reasons)
    cut_inside = by_bank(reconcile(replace(_etsy_day(extra_after=True), learned=(ETSY_DAILY,))))["d1"]
    plain_cut = by_bank(reconcile(_etsy_day(extra_after=True)))["d1"]
    assert cut_inside.inferred == plain_cut.inferred and cut_inside.confidence < plain_cut.confidence
    assert any(r.startswith("does not fit") and "day's last transaction" in r for r in cut_inside.reasons)
