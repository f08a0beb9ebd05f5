"""Orders-only stores (issue 15): deposits inferred from paid orders net of an unknown fee."""

import random
from dataclasses import replace
from datetime import UTC, datetime, time
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.platforms import fee_cards
from reconciliation.engine import Connection, FeeSchedule, PlatformItem, PriorDecision, reconcile
from reconciliation.engine.orders import order_fee, priced
from reconciliation.rows import order_items

from .builders import bank, by_bank, conn, day, inputs, item

D = Decimal
BIG = Connection("rutter:big", "BIG_COMMERCE", False, orders_only=True)


def _order(n: int, total: str, on: int, hour: int = 10, status: str = "paid", source="rutter:big"):
    at = datetime.combine(day(on), time(hour, n % 60), tzinfo=UTC)
    return order_items(source=source, external_id=f"o{n}", payment_status=status,
                       currency="USD", total=D(total), created_at=at, updated_at=at)


def _store(rate: str, fixed: str, days: int = 8, per_day: int = 4, seed: int = 1, rounding="half_up",
           extra="0", source="rutter:big", desc="BRAINTREE DES:DEPOSIT ID:99"):
    """Orders on `days` days, swept each morning (everything of the day before), landing the
    same day: (orders, bank lines, truth {line: order refs})."""
    rng = random.Random(seed)
    sched = FeeSchedule(source, D(rate), D(fixed), rounding, extra_rate=D(extra))
    orders, lines, truth, n = [], [], {}, 0
    for d in range(days):
        todays = []
        for _ in range(per_day):
            n += 1
            todays += _order(n, f"{rng.randint(1500, 25000) / 100:.2f}", d, hour=8 + n % 12, source=source)
        orders += todays
        net = sum(o.net for o in priced(todays, sched))
        lines.append(bank(f"d{d}", net, on=day(d + 1), desc=desc))
        truth[f"d{d}"] = tuple(sorted(o.ref for o in todays))
    return orders, lines, truth


def _run(orders, lines, **kw):
    return reconcile(inputs(lines=lines, conns=[BIG], orders=tuple(orders), fee_cards=fee_cards(), **kw))


def test_it_prices_a_fee_with_the_gateways_rounding():
    s = FeeSchedule("c", D("0.029"), D("0.30"), "half_up")
    assert order_fee(D("5.00"), s, "USD") == D("0.45")  # 0.145 + 0.30 = 0.445
    assert order_fee(D("5.00"), replace(s, rounding="half_even"), "USD") == D("0.44")
    assert order_fee(D("5.00"), replace(s, rounding="down"), "USD") == D("0.44")
    assert order_fee(D("-5.00"), s, "USD") == 0  # refunds return no fee


def test_a_refunded_order_is_a_sale_and_a_later_refund():
    created = datetime(2025, 3, 3, 9, tzinfo=UTC)
    sale, refund = order_items(source="rutter:c", external_id="o1", payment_status="refunded",
                               currency="USD", total=D("40.00"), created_at=created,
                               updated_at=datetime(2025, 3, 6, 9, tzinfo=UTC))
    assert (sale.kind, sale.gross, sale.settled_on) == ("sale", D("40.00"), day(0))
    assert (refund.kind, refund.gross, refund.settled_on) == ("refund", D("-40.00"), day(3))
    assert order_items(source="rutter:c", external_id="o2", payment_status="pending", currency="USD",
                       total=D("9.00"), created_at=created) == []


def test_it_applies_sweeps_priced_with_a_rate_card_once_three_deposits_chain():
    orders, lines, truth = _store("0.0259", "0.49")  # BigCommerce's Braintree rate card
    result = _run(orders, lines)
    d = by_bank(result)
    for ref, refs in truth.items():
        assert d[ref].status == "matched", (ref, d[ref].reasons)
        assert d[ref].inferred.item_refs == refs
        assert d[ref].fee_schedule.rate == D("0.0259")
    assert all(b.balanced for b in result.breakdowns if b.inferred)


def test_it_fits_a_rate_no_card_lists():
    orders, lines, truth = _store("0.0271", "0.15", seed=3)
    result = _run(orders, lines)
    (sched,) = result.fee_schedules
    assert (sched.rate, sched.fixed, sched.confirmed, sched.source) == (D("0.0271"), D("0.15"), True, "learned")
    assert all(by_bank(result)[ref].inferred.item_refs == refs for ref, refs in truth.items())


def test_fitting_a_rate_stops_at_its_budget_and_reads_deposits_oldest_first(monkeypatch):
    import reconciliation.engine.orders as O

    orders, lines, truth = _store("0.0271", "0.15", seed=3)
    monkeypatch.setattr(O, "FIT_BUDGET", 0)  # nothing looked at: nothing fitted, nothing applied
    (sched,) = _run(orders, lines).fee_schedules
    assert not sched.confirmed and sched.source == "default"
    monkeypatch.setattr(O, "FIT_BUDGET", 4_000)  # enough for the oldest deposits only
    first = _run(orders, lines)
    again = _run(orders, list(reversed(lines)))
    assert first.fee_schedules == again.fee_schedules
    assert {d.bank_ref: d.status for d in first.decisions} == {d.bank_ref: d.status for d in again.decisions}


def test_it_fits_a_gateway_that_rounds_fees_down():
    orders, lines, truth = _store("0.029", "0.30", seed=5, rounding="down", days=10)
    d = by_bank(_run(orders, lines))
    assert sum(d[ref].status == "matched" and d[ref].inferred.item_refs == refs
               for ref, refs in truth.items()) >= 9


def test_fewer_than_three_tied_deposits_are_only_suggested():
    orders, lines, truth = _store("0.0259", "0.49", days=2)
    result = _run(orders, lines)
    assert not result.fee_schedules[0].confirmed
    for ref, refs in truth.items():
        d = by_bank(result)[ref]
        assert d.status == "suggested" and d.inferred.item_refs == refs


def test_a_schedule_a_person_confirmed_applies_a_single_deposit():
    orders, lines, truth = _store("0.0259", "0.49", days=1)
    stored = FeeSchedule("rutter:big", D("0.0259"), D("0.49"), source="person", confirmed=True)
    d = by_bank(_run(orders, lines, fee_schedules=(stored,)))["d0"]
    assert d.status == "matched" and d.inferred.item_refs == truth["d0"]


def test_two_equally_fitting_windows_stay_ambiguous_even_with_a_confirmed_schedule():
    # Two orders of one amount on two days; one deposit of one order's net: which one is unknown.
    orders = _order(1, "100.00", 0) + _order(2, "100.00", 1)
    stored = FeeSchedule("rutter:big", D("0.029"), D("0.30"), source="person", confirmed=True)
    line = bank("x", "96.80", on=day(3), desc="BRAINTREE DES:DEPOSIT")
    d = by_bank(_run(orders, [line], fee_schedules=(stored,)))["x"]
    assert d.status != "matched"


def test_a_refund_is_netted_inside_its_sweep():
    orders, lines, truth = _store("0.0259", "0.49", days=4)
    refunded = order_items(source="rutter:big", external_id="o2", payment_status="refunded",
                           currency="USD", total=orders[1].gross, created_at=orders[1].occurred_at,
                           updated_at=datetime.combine(day(2), time(12), tzinfo=UTC))
    orders = [o for o in orders if o.ref != "rutter:big:o2"] + refunded
    # Day 2's sweep (landing day 3) now also gives the refund back.
    lines[2] = replace(lines[2], amount=lines[2].amount - orders[-1].gross * -1)
    d = by_bank(_run(orders, lines))
    assert d["d2"].status == "matched" and "rutter:big:o2#refund" in d["d2"].inferred.item_refs


def test_a_gateway_only_reading_is_applied_once_the_orders_only_store_is_evaluated():
    # A BRAINTREE deposit that a WooCommerce window explains; the BigCommerce store (also paid
    # through Braintree) has a confirmed schedule and no window for it: no rival, applied.
    orders, lines, _ = _store("0.0259", "0.49")
    woo = conn("woo", "WOO_COMMERCE", explicit=False)
    items = [item(f"t{i}", a, conn="woo", on=day(i)) for i, a in enumerate(["12.34", "56.78"])]
    line = bank("p1", "69.12", on=day(3), desc="BRAINTREE DES:DEPOSIT ID:4799618949")
    res = reconcile(inputs(lines=[*lines, line], conns=[BIG, woo], items=items, orders=tuple(orders),
                           fee_cards=fee_cards()))
    assert by_bank(res)["p1"].status == "matched"
    # The same store with no orders synced yet cannot be evaluated: the reading waits.
    res = reconcile(inputs(lines=[line], conns=[BIG, woo], items=items, fee_cards=fee_cards()))
    assert by_bank(res)["p1"].status == "suggested"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shuffle=st.randoms(use_true_random=False))
def test_sets_are_contiguous_and_do_not_depend_on_input_order(seed, shuffle):
    orders, lines, _ = _store("0.0259", "0.49", days=5, per_day=3, seed=seed)
    first = _run(orders, lines)
    mixed_orders, mixed_lines = list(orders), list(lines)
    shuffle.shuffle(mixed_orders)
    shuffle.shuffle(mixed_lines)
    again = _run(mixed_orders, mixed_lines)
    assert first.decisions == again.decisions
    # Re-running with what was applied passed back as locks changes no answer.
    locks = tuple(PriorDecision(d.bank_ref, "applied", inferred=d.inferred)
                  for d in first.decisions if d.status == "matched")
    rerun = {d.bank_ref: (d.status, d.inferred) for d in _run(orders, lines, prior=locks).decisions}
    assert rerun == {d.bank_ref: (d.status, d.inferred) for d in first.decisions}
    position = {o.ref: i for i, o in enumerate(sorted(orders, key=lambda o: (o.occurred_at, o.ref)))}
    for d in first.decisions:
        if d.inferred is not None:
            spots = sorted(position[r] for r in d.inferred.item_refs)
            assert spots == list(range(spots[0], spots[0] + len(spots)))


def test_orders_paid_through_a_connected_stripe_account_ride_on_its_payout():
    # Route (a): each order is a charge of the store's own Stripe account (same amount, minutes
    # apart); the STRIPE deposit is that account's payout, not an inferred sweep of orders.
    orders = _order(1, "50.00", 0) + _order(2, "70.00", 0) + _order(3, "70.00", 1)
    stripe = Connection("stripe:acct", "STRIPE", True)
    charges = [replace(item(f"ch{i}", o.gross, fee="1.00", conn="x", payout_ref="po1"),
                       ref=f"stripe:acct:ch{i}", connection_ref="stripe:acct",
                       payout_ref="stripe:acct:po1", occurred_at=o.occurred_at.replace(minute=59))
               for i, o in enumerate(orders)]
    from .builders import payout

    po = replace(payout("po1", "187.00", arrival=day(3)), ref="stripe:acct:po1",
                 connection_ref="stripe:acct", platform="STRIPE")
    line = bank("s1", "187.00", on=day(3), desc="STRIPE DES:TRANSFER ID:ST-1")
    res = reconcile(inputs(lines=[line], conns=[BIG, stripe], payouts=[po], items=charges,
                           orders=tuple(orders), fee_cards=fee_cards()))
    assert dict(res.order_charges) == {"rutter:big:o1": "stripe:acct:ch0", "rutter:big:o2": "stripe:acct:ch1",
                                       "rutter:big:o3": "stripe:acct:ch2"}
    d = by_bank(res)["s1"]
    assert d.status == "matched" and d.payout_refs == ("stripe:acct:po1",)
    # Two charges of one amount within the hour: which order is which is unknown, so neither
    # is tied (they stay with the inference).
    twins = [replace(c, occurred_at=orders[1].occurred_at) for c in charges[1:]]
    res = reconcile(inputs(lines=[line], conns=[BIG, stripe], payouts=[po], items=[charges[0], *twins],
                           orders=tuple(_order(2, "70.00", 0) + _order(9, "70.00", 0)), fee_cards=fee_cards()))
    assert res.order_charges == ()


def test_a_few_coincidental_equal_charges_do_not_make_a_store_paid_through_stripe():
    orders, lines, truth = _store("0.0259", "0.49", days=4)
    stripe = Connection("stripe:acct", "STRIPE", True)
    lookalike = replace(item("ch", orders[0].gross, conn="x"), ref="stripe:acct:ch", connection_ref="stripe:acct",
                        occurred_at=orders[0].occurred_at)
    res = reconcile(inputs(lines=lines, conns=[BIG, stripe], items=[lookalike], orders=tuple(orders),
                           fee_cards=fee_cards()))
    assert res.order_charges == ()
    assert all(by_bank(res)[ref].inferred.item_refs == refs for ref, refs in truth.items())


def test_a_squarespace_business_plan_fee_rounded_on_its_own_is_a_rate_card():
    # Squarespace Payments 2.9 % + $0.30 and the Business plan's 3 % transaction fee, both taken
    # from the payout, each rounded to the cent.
    sqsp = Connection("rutter:sq", "SQUARESPACE", False, orders_only=True)
    orders, lines, truth = _store("0.029", "0.30", extra="0.03", source="rutter:sq",
                                  desc="SQUARESPACE PAYMENTS DES:PAYOUT", seed=11)
    res = reconcile(inputs(lines=lines, conns=[sqsp], orders=tuple(orders), fee_cards=fee_cards()))
    (sched,) = res.fee_schedules
    assert (sched.rate, sched.extra_rate, sched.confirmed) == (D("0.029"), D("0.03"), True)
    assert all(by_bank(res)[ref].inferred.item_refs == refs for ref, refs in truth.items())
    assert order_fee(D("10.05"), sched, "USD") == D("0.59") + D("0.30")  # 0.29145+0.30, 0.3015


def test_a_book_with_other_nets_is_the_book_built_from_the_priced_orders():
    from reconciliation.engine.inferred import Book, settlement_order, units
    from reconciliation.engine.orders import _Pricer

    orders, _, _ = _store("0.0271", "0.15", seed=3)
    ordered = settlement_order(list(orders))
    paid = {ordered[3].ref, ordered[4].ref, ordered[10].ref}
    template = Book(ordered, paid)
    pricer = _Pricer(template.items)
    for schedule in (FeeSchedule("rutter:big", D("0.029"), D("0.30"), "half_up", "USD", "default"),
                     FeeSchedule("rutter:big", D("0.0259"), D("0.49"), "down", "USD", "default")):
        fresh, judged = Book(priced(ordered, schedule), paid), template.with_nets(pricer.units(schedule))
        assert vars(judged).keys() == vars(fresh).keys()
        for name, value in vars(fresh).items():
            if name in ("items", "full"):  # the same orders, unpriced
                assert [i.ref for i in getattr(judged, name)] == [i.ref for i in value]
            else:
                assert getattr(judged, name) == value, name
        assert judged.prefix[-1] == sum(units(i.net) for i in fresh.items)


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=-50_000, max_value=5_000_000),
    rate_bp=st.integers(min_value=0, max_value=700),
    rate_tenths=st.integers(min_value=0, max_value=9),
    fixed=st.sampled_from(["0", "0.05", "0.30", "0.49", "0.125"]),
    extra=st.sampled_from(["0", "0.03", "0.015"]),
    rounding=st.sampled_from(["half_up", "half_even", "down"]),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
    kind=st.sampled_from(["sale", "refund"]),
    odd=st.booleans(),
)
def test_integer_pricing_is_order_fee_to_the_unit(cents, rate_bp, rate_tenths, fixed, extra, rounding,
                                                  currency, kind, odd):
    """The judged nets are `order_fee`'s, exactly: ties of every rounding rule, a plan fee, zero-
    and three-decimal currencies, and a gross that is not a whole number of minor units."""
    from reconciliation.engine.inferred import units
    from reconciliation.engine.orders import _Pricer

    gross = D(cents).scaleb(-2) + (D("0.001") if odd else 0)
    rate = D(rate_bp * 10 + rate_tenths).scaleb(-5)
    schedule = FeeSchedule("rutter:big", rate, D(fixed), rounding, currency, "learned", extra_rate=D(extra))
    order = PlatformItem(ref="o:1", connection_ref="rutter:big", payout_ref=None, kind=kind, gross=gross,
                         fee=D(0), net=gross, currency=currency, occurred_on=day(1))
    (expected,) = priced([order], schedule)
    assert _Pricer([order]).units(schedule) == [units(expected.net)]
