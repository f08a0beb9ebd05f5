from dataclasses import replace
from datetime import UTC, datetime, time

from reconciliation.engine import reconcile

from .builders import bank, by_bank, conn, day, inputs, item

ETSY = conn("etsy", "ETSY", explicit=False)


def _sales(amounts, *, start=0, fee="0"):
    return [
        item(f"t{start + i}", a, fee=fee, conn="etsy", on=day(start + i))
        for i, a in enumerate(amounts)
    ]


def test_it_infers_consecutive_settlement_windows_for_each_deposit():
    items = _sales(["10.00", "20.00", "30.00", "40.00", "50.00"])
    result = reconcile(
        inputs(
            lines=[
                bank("w1", "30.00", on=day(2), desc="ETSY INC DES:DEPOSIT"),
                bank("w2", "120.00", on=day(6), desc="ETSY INC DES:DEPOSIT"),
            ],
            items=items,
            conns=[ETSY],
        )
    )
    d = by_bank(result)
    assert d["w1"].status == "matched"
    assert d["w1"].inferred.item_refs == ("rutter:etsy:t0", "rutter:etsy:t1")
    assert d["w2"].status == "matched"
    assert d["w2"].inferred.item_refs == ("rutter:etsy:t2", "rutter:etsy:t3", "rutter:etsy:t4")
    inferred = [b for b in result.breakdowns if b.inferred]
    assert len(inferred) == 2 and all(b.balanced for b in inferred)


def test_it_nets_fees_and_refunds_inside_a_window():
    items = [
        item("s1", "100.00", fee="6.50", conn="etsy", on=day(0)),
        item("r1", "-20.00", conn="etsy", kind="refund", on=day(1)),
        item("f1", "-0.20", conn="etsy", kind="fee", on=day(1)),
    ]
    result = reconcile(
        inputs(
            lines=[bank("w", "73.30", on=day(3), desc="ETSY INC DES:DEPOSIT")],
            items=items,
            conns=[ETSY],
        )
    )
    assert by_bank(result)["w"].status == "matched"
    b = next(b for b in result.breakdowns if b.inferred)
    assert (str(b.gross), str(b.fees), str(b.refunds), str(b.net)) == (
        "100.00",
        "-6.70",
        "-20.00",
        "73.30",
    )


def test_it_never_picks_a_non_consecutive_subset_when_no_window_fits():
    # t0 + t2 add up to the deposit, but t1 settled between them and is still open. A platform
    # without payout objects sweeps everything that settled up to its cutoff, so a payout never
    # leaves a transaction behind in the middle of the ones it took: that set can only be a
    # coincidence (it was once applied; with ~50 transactions a day such subsets abound).
    items = _sales(["12.34", "50.00", "7.77"])
    result = reconcile(
        inputs(
            lines=[bank("w", "20.11", on=day(4), desc="ETSY INC DES:DEPOSIT")],
            items=items,
            conns=[ETSY],
        )
    )
    d = by_bank(result)["w"]
    assert d.status == "unmatched" and d.inferred is None


def _at(n: int, hour: int) -> datetime:
    return datetime.combine(day(n), time(hour), tzinfo=UTC)


def test_equal_amounts_are_never_swapped_across_two_sweeps_of_one_day():
    # Two sweeps on day 0, at noon and in the evening: t4 (08:00) and t2 (10:00) went in the
    # first, t1 (14:00) and t3 (16:00) in the second. t4 and t1 are both 10.00, and their refs
    # sort the other way round from their times: ordered by day and ref, the runs {t1, t2} and
    # {t3, t4} add up to the two deposits just as well, and were both applied (two false matches).
    times = {"t1": ("10.00", 14), "t2": ("7.00", 10), "t3": ("3.00", 16), "t4": ("10.00", 8)}
    items = [
        replace(item(ref, amount, conn="etsy", on=day(0)), occurred_at=_at(0, hour))
        for ref, (amount, hour) in times.items()
    ]
    result = reconcile(
        inputs(
            lines=[
                bank("w1", "17.00", on=day(2), desc="ETSY INC DES:DEPOSIT"),
                bank("w2", "13.00", on=day(3), desc="ETSY INC DES:DEPOSIT"),
            ],
            items=items,
            conns=[ETSY],
        )
    )
    d = by_bank(result)
    assert d["w1"].status == "matched"
    assert d["w1"].inferred.item_refs == ("rutter:etsy:t2", "rutter:etsy:t4")
    assert d["w2"].status == "matched"
    assert d["w2"].inferred.item_refs == ("rutter:etsy:t1", "rutter:etsy:t3")


def test_a_boundary_inside_one_settlement_instant_is_only_suggested():
    # Same day, no timestamps: which of the day's transactions the sweep took is unknown.
    items = [item(ref, a, conn="etsy", on=day(0)) for ref, a in (("t1", "5.00"), ("t2", "8.00"))]
    result = reconcile(
        inputs(
            lines=[bank("w", "5.00", on=day(2), desc="ETSY INC DES:DEPOSIT")],
            items=items,
            conns=[ETSY],
        )
    )
    assert by_bank(result)["w"].status == "suggested"


def test_it_refuses_when_two_groupings_fit():
    items = _sales(["10.00", "10.00", "10.00"])
    result = reconcile(
        inputs(
            lines=[bank("w", "20.00", on=day(4), desc="ETSY INC DES:DEPOSIT")],
            items=items,
            conns=[ETSY],
        )
    )
    d = by_bank(result)["w"]
    assert d.status == "ambiguous" and d.inferred is not None
    assert len(d.alternatives) >= 1
    assert not any(b.inferred for b in result.breakdowns)


def test_it_never_reuses_a_transaction_for_two_deposits():
    items = _sales(["25.00", "25.00"])
    result = reconcile(
        inputs(
            lines=[
                bank("w1", "50.00", on=day(2), desc="ETSY INC DES:DEPOSIT"),
                bank("w2", "50.00", on=day(3), desc="ETSY INC DES:DEPOSIT"),
            ],
            items=items,
            conns=[ETSY],
        )
    )
    matched = [d for d in result.decisions if d.status == "matched"]
    assert len(matched) == 0
    assert {d.status for d in result.decisions} == {"ambiguous"}


def test_it_ignores_unsettled_and_future_transactions():
    items = _sales(["10.00"]) + [item("late", "5.00", conn="etsy", on=day(10))]
    items.append(item("unsettled", "5.00", conn="etsy", on=day(0), settled=False))
    result = reconcile(
        inputs(
            lines=[bank("w", "15.00", on=day(3), desc="ETSY INC DES:DEPOSIT")],
            items=items,
            conns=[ETSY],
        )
    )
    assert by_bank(result)["w"].status == "unmatched"


def test_it_only_suggests_an_inferred_payout_for_a_descriptor_without_a_platform():
    result = reconcile(
        inputs(
            lines=[bank("w", "30.00", on=day(3), desc="ACH CREDIT")],
            items=_sales(["10.00", "20.00"]),
            conns=[ETSY],
        )
    )
    assert by_bank(result)["w"].status == "suggested"


def test_a_sole_uncontested_window_is_applied_although_its_deposit_posted_out_of_order():
    # The first sweep's credit was booked a day late (a holiday, a slow bank): it posts after the
    # second sweep's. Each deposit has one window that ties to the cent and nothing else wants
    # those transactions, so the order of the postings is no evidence against either.
    items = _sales(["11.11", "22.23", "31.37", "47.19"])
    result = reconcile(
        inputs(
            lines=[
                bank("w1", "33.34", on=day(6), desc="ETSY INC DES:DEPOSIT"),
                bank("w2", "78.56", on=day(5), desc="ETSY INC DES:DEPOSIT"),
            ],
            items=items,
            conns=[ETSY],
        )
    )
    d = by_bank(result)
    assert d["w1"].status == d["w2"].status == "matched"
    assert d["w1"].inferred.item_refs == ("rutter:etsy:t0", "rutter:etsy:t1")
    assert d["w2"].inferred.item_refs == ("rutter:etsy:t2", "rutter:etsy:t3")


def test_out_of_order_deposits_with_a_rival_window_still_wait():
    # Same postings, but a third deposit could take the second sweep's transactions too: the
    # second sweep is contested, so the order of sweeps still holds it back.
    items = _sales(["11.11", "22.23", "31.37", "47.19"])
    result = reconcile(
        inputs(
            lines=[
                bank("w1", "33.34", on=day(6), desc="ETSY INC DES:DEPOSIT"),
                bank("w2", "78.56", on=day(5), desc="ETSY INC DES:DEPOSIT"),
                bank("w3", "78.56", on=day(5), desc="ETSY INC DES:DEPOSIT"),
            ],
            items=items,
            conns=[ETSY],
        )
    )
    d = by_bank(result)
    assert d["w2"].status != "matched" and d["w3"].status != "matched"


def test_a_gateway_only_reading_is_not_applied_while_a_store_that_gateway_pays_is_unseen():
    # A PAYPAL deposit: a WooCommerce window nets to it exactly, but the company also has a
    # BigCommerce store (orders only: no transactions the engine can check) paid through PayPal.
    woo = conn("woo", "WOO_COMMERCE", explicit=False)
    items = [item(f"t{i}", a, conn="woo", on=day(i)) for i, a in enumerate(["12.34", "56.78"])]
    line = bank("p1", "69.12", on=day(3), desc="PAYPAL DES:TRANSFER ID:4799618949")
    alone = by_bank(reconcile(inputs(lines=[line], items=items, conns=[woo])))
    assert alone["p1"].status == "matched"
    big = conn("big", "BIG_COMMERCE", explicit=False)
    d = by_bank(reconcile(inputs(lines=[line], items=items, conns=[woo, big])))["p1"]
    assert d.status == "suggested" and any("BIG_COMMERCE" in r for r in d.reasons)
    own = bank("p2", "69.12", on=day(3), desc="WOOPAYMENTS DES:DEPOSIT ID:BVP2WB")
    assert by_bank(reconcile(inputs(lines=[own], items=items, conns=[woo, big])))["p2"].status == "matched"


def _timed(items, days):
    return [replace(it, occurred_at=_at(n, 12)) for n, it in zip(days, items, strict=True)]


def _payout_record(ref, amount, n, hour):
    """A Rutter transaction of type payout (mapped: the balance goes down by the payout)."""
    return replace(item(ref, f"-{amount}", conn="etsy", kind="payout", on=day(n)), occurred_at=_at(n, hour))


def test_the_platforms_own_payout_record_closes_the_sweep():
    # Four equal sales: three runs of two add up to the 20.00 deposit, and nothing else tells
    # them apart (each is day-aligned, none adjoins an applied payout).
    items = _timed(_sales(["10.00", "10.00", "10.00", "10.00"]), [0, 1, 2, 3])
    line = bank("w", "20.00", on=day(5), desc="ETSY INC DES:DEPOSIT")
    alone = by_bank(reconcile(inputs(lines=[line], items=items, conns=[ETSY])))["w"]
    assert alone.status != "matched"  # ambiguous: refused
    # Etsy recorded a payout of 20.00 on day 1 evening: after t1, before t2.
    marked = by_bank(reconcile(inputs(lines=[line], items=[*items, _payout_record("p1", "20.00", 1, 20)],
                                      conns=[ETSY])))["w"]
    assert marked.status == "matched"
    assert marked.inferred.item_refs == ("rutter:etsy:t0", "rutter:etsy:t1")
    assert any("recorded a payout" in r for r in marked.reasons)


def test_a_payout_record_of_another_amount_or_out_of_place_proves_nothing():
    items = _timed(_sales(["10.00", "10.00", "10.00", "10.00"]), [0, 1, 2, 3])
    line = bank("w", "20.00", on=day(5), desc="ETSY INC DES:DEPOSIT")
    for record in (_payout_record("p1", "30.00", 1, 20),  # another amount
                   _payout_record("p1", "20.00", 0, 6)):  # before any run of 20.00 ends
        d = by_bank(reconcile(inputs(lines=[line], items=[*items, record], conns=[ETSY])))["w"]
        assert d.status != "matched"
