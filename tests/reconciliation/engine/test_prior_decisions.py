from reconciliation.engine import InferredGroup, PriorDecision, reconcile

from .builders import bank, by_bank, conn, day, inputs, item, payout


def test_it_keeps_a_locked_pair_and_does_not_reuse_its_payout():
    result = reconcile(
        inputs(
            lines=[bank("manual", "400.00", desc="ACH"), bank("auto", "400.00")],
            payouts=[payout("p", "400.00")],
            prior=[PriorDecision("plaid:manual", "manual", payout_refs=("rutter:shop:p",))],
        )
    )
    d = by_bank(result)
    assert d["manual"].status == "matched" and d["manual"].locked
    assert d["auto"].status == "unmatched"


def test_it_never_proposes_a_rejected_answer_again():
    prior = [PriorDecision("plaid:b", "rejected", payout_refs=("rutter:shop:p",))]
    result = reconcile(
        inputs(lines=[bank("b", "400.00")], payouts=[payout("p", "400.00")], prior=prior)
    )
    assert by_bank(result)["b"].status == "unmatched"


def test_it_offers_the_next_answer_after_a_rejection():
    result = reconcile(
        inputs(
            lines=[bank("b", "400.00")],
            payouts=[
                payout("p", "400.00", arrival=day(0)),
                payout("q", "400.00", conn="s2", arrival=day(0)),
            ],
            prior=[PriorDecision("plaid:b", "rejected", payout_refs=("rutter:shop:p",))],
        )
    )
    d = by_bank(result)["b"]
    assert d.status == "matched" and d.payout_refs == ("rutter:s2:q",)


def test_it_leaves_a_line_dismissed_as_not_platform_money():
    prior = [PriorDecision("plaid:b", "rejected")]
    result = reconcile(
        inputs(lines=[bank("b", "400.00")], payouts=[payout("p", "400.00")], prior=prior)
    )
    assert by_bank(result)["b"].status == "unmatched"
    assert "dismissed" in by_bank(result)["b"].reasons[0]


def test_it_does_not_reuse_locked_inferred_items():
    etsy = conn("etsy", "ETSY", explicit=False)
    items = [
        item("t1", "10.00", conn="etsy", on=day(0)),
        item("t2", "10.00", conn="etsy", on=day(1)),
    ]
    locked = PriorDecision(
        "plaid:w1", "applied", inferred=InferredGroup("rutter:etsy", ("rutter:etsy:t1",))
    )
    result = reconcile(
        inputs(
            lines=[
                bank("w1", "10.00", on=day(2), desc="ETSY"),
                bank("w2", "10.00", on=day(3), desc="ETSY"),
            ],
            items=items,
            conns=[etsy],
            prior=[locked],
        )
    )
    d = by_bank(result)
    assert d["w1"].locked
    assert d["w2"].status == "matched" and d["w2"].inferred.item_refs == ("rutter:etsy:t2",)
