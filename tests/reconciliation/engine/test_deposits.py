from decimal import Decimal

from reconciliation.engine import FxRate, reconcile

from .builders import MON, bank, by_bank, day, inputs, payout


def test_it_prefers_the_deposit_that_names_the_platform_over_a_later_look_alike():
    result = reconcile(
        inputs(
            lines=[
                bank("real", "2100.00", on=day(1), desc="AMAZON.COM SERVICES DES:SETTLEMENT"),
                bank("lookalike", "2100.00", on=day(2), desc="ACH CREDIT ACME WHOLESALE INV 22"),
            ],
            payouts=[payout("p", "2100.00", conn="amz", platform="AMAZON")],
        )
    )
    d = by_bank(result)
    assert d["real"].status == "matched" and d["real"].payout_refs == ("rutter:amz:p",)
    assert d["lookalike"].status == "unmatched"


def test_it_only_suggests_a_deposit_whose_descriptor_names_no_platform():
    result = reconcile(
        inputs(
            lines=[bank("b", "500.00", desc="ACH CREDIT 1234")],
            payouts=[payout("p", "500.00")],
        )
    )
    d = by_bank(result)["b"]
    assert d.status == "suggested" and d.payout_refs == ("rutter:shop:p",)
    assert 0.5 <= d.confidence < 0.85


def test_it_never_matches_a_deposit_that_names_another_platform():
    result = reconcile(
        inputs(
            lines=[bank("b", "500.00", desc="STRIPE DES:TRANSFER")],
            payouts=[payout("p", "500.00")],
        )
    )
    assert by_bank(result)["b"].status == "unmatched"


def test_it_refuses_equal_amount_payouts_that_fit_two_deposits_equally():
    result = reconcile(
        inputs(
            lines=[bank("b1", "750.00"), bank("b2", "750.00")],
            payouts=[payout("p1", "750.00", conn="s1"), payout("p2", "750.00", conn="s2")],
        )
    )
    d = by_bank(result)
    assert {d["b1"].status, d["b2"].status} == {"ambiguous"}
    assert result.payout_deposits == ()


def test_it_refuses_one_payout_that_fits_two_same_day_deposits():
    result = reconcile(
        inputs(lines=[bank("b1", "90.00"), bank("b2", "90.00")], payouts=[payout("p", "90.00")])
    )
    assert [d.status for d in result.decisions].count("matched") == 0
    assert "ambiguous" in {d.status for d in result.decisions}


def test_it_pairs_equal_payouts_by_date_when_dates_tell_them_apart():
    result = reconcile(
        inputs(
            lines=[bank("mon", "300.00", on=day(0)), bank("thu", "300.00", on=day(3))],
            payouts=[
                payout("p1", "300.00", arrival=day(0)),
                payout("p2", "300.00", arrival=day(3)),
            ],
        )
    )
    d = by_bank(result)
    assert d["mon"].status == d["thu"].status == "matched"
    assert d["mon"].payout_refs == ("rutter:shop:p1",)
    assert d["thu"].payout_refs == ("rutter:shop:p2",)


def test_it_matches_two_payouts_landing_as_one_deposit():
    result = reconcile(
        inputs(
            lines=[bank("b", "1000.00", on=day(1))],
            payouts=[
                payout("p1", "600.00", arrival=day(1)),
                payout("p2", "400.00", arrival=day(1)),
                payout("p3", "250.00", arrival=day(1)),
            ],
        )
    )
    d = by_bank(result)["b"]
    assert d.status == "matched"
    assert d.payout_refs == ("rutter:shop:p1", "rutter:shop:p2")


def test_it_refuses_a_deposit_that_two_payout_subsets_explain():
    result = reconcile(
        inputs(
            lines=[bank("b", "1000.00", on=day(1))],
            payouts=[
                payout(f"p{i}", amt, arrival=day(1))
                for i, amt in enumerate(["600.00", "400.00", "700.00", "300.00"])
            ],
        )
    )
    assert by_bank(result)["b"].status == "ambiguous"


def test_it_matches_a_negative_payout_to_a_withdrawal_not_a_deposit():
    result = reconcile(
        inputs(
            lines=[
                bank("in", "85.10", desc="SHOPIFY DES:TRANSFER"),
                bank("out", "-85.10", desc="SHOPIFY DES:DEBIT"),
            ],
            payouts=[payout("neg", "-85.10")],
        )
    )
    d = by_bank(result)
    assert d["out"].status == "matched" and d["out"].payout_refs == ("rutter:shop:neg",)
    assert d["in"].status == "unmatched"


def test_it_matches_a_converted_foreign_payout_and_reports_the_fx_difference():
    result = reconcile(
        inputs(
            lines=[bank("b", "1075.40", on=day(1))],
            payouts=[payout("eur", "1000.00", cur="EUR", arrival=day(1))],
            fx_rates=(FxRate("EUR", "USD", Decimal("1.0800")),),
        )
    )
    d = by_bank(result)["b"]
    assert d.status == "matched" and d.payout_refs == ("rutter:shop:eur",)
    assert d.fx.difference == Decimal("-4.60")
    assert d.fx.implied_rate == Decimal("1.075400")


def test_it_rejects_a_conversion_outside_the_fx_tolerance():
    result = reconcile(
        inputs(
            lines=[bank("b", "900.00", on=day(1))],
            payouts=[payout("eur", "1000.00", cur="EUR", arrival=day(1))],
            fx_rates=(FxRate("EUR", "USD", Decimal("1.0800")),),
        )
    )
    assert by_bank(result)["b"].status == "unmatched"


def test_it_never_matches_a_pending_bank_line():
    result = reconcile(
        inputs(lines=[bank("pend", "400.00", pending=True)], payouts=[payout("p", "400.00")])
    )
    d = by_bank(result)["pend"]
    assert d.status == "unmatched" and "pending" in d.reasons[0]


def test_it_trusts_an_identifier_in_the_descriptor_even_without_a_platform_name():
    result = reconcile(
        inputs(
            lines=[
                bank("b1", "77.00", desc="ACH CREDIT REF PO-99812345"),
                bank("b2", "77.00", desc="ACH CREDIT"),
            ],
            payouts=[payout("p", "77.00", ids=("PO-99812345",))],
        )
    )
    d = by_bank(result)
    assert d["b1"].status == "matched" and d["b1"].confidence > 0.95
    assert d["b2"].status == "unmatched"


def test_it_ignores_failed_payouts():
    result = reconcile(
        inputs(lines=[bank("b", "400.00")], payouts=[payout("p", "400.00", status="failed")])
    )
    assert by_bank(result)["b"].status == "unmatched"


def test_it_does_not_match_outside_the_date_window():
    result = reconcile(
        inputs(
            lines=[bank("b", "400.00", on=day(21))], payouts=[payout("p", "400.00", arrival=MON)]
        )
    )
    assert by_bank(result)["b"].status == "unmatched"


def test_it_trusts_the_original_amount_the_bank_prints_on_a_converted_credit():
    result = reconcile(
        inputs(
            lines=[bank("b", "2227.86", on=day(1), desc="SHOPIFY* PAYOUT APJKBW CAD 3009.29 FX")],
            payouts=[
                payout("right", "3009.29", cur="CAD", arrival=day(1)),
                payout("close", "3050.00", cur="CAD", arrival=day(1)),
            ],
        )
    )
    d = by_bank(result)["b"]
    assert d.status == "matched" and d.payout_refs == ("rutter:shop:right",)


def test_it_only_suggests_a_conversion_judged_by_the_builtin_rate_table():
    result = reconcile(
        inputs(
            lines=[bank("b", "2190.00", on=day(1))],
            payouts=[payout("cad", "3000.00", cur="CAD", arrival=day(1))],
        )
    )
    assert by_bank(result)["b"].status == "suggested"
