"""FX judged by rate alone (the bank prints no original amount): applied only when the bank's
rate sits where this connection's tied conversions sit against the reference (fxhistory.py)."""

from decimal import Decimal

from reconciliation.engine import FxRate, PriorDecision, reconcile

from .builders import bank, by_bank, day, inputs, payout

RATES = tuple(FxRate("CAD", "USD", Decimal("0.7300"), on=day(n)) for n in range(0, 40))


def _printed(ref, cad, usd, n):
    """A converted credit whose original amount the bank printed: tied for certain."""
    line = bank(ref, usd, on=day(n), desc=f"SHOPIFY* PAYOUT {ref.upper()} CAD {cad} FX")
    return line, payout(ref, cad, cur="CAD", arrival=day(n))


def _by_rate(ref, cad, usd, n):
    return bank(ref, usd, on=day(n), desc="SHOPIFY PAYMENTS DES:TRANSFER"), payout(
        ref, cad, cur="CAD", arrival=day(n)
    )


def _run(pairs, prior=()):
    lines, payouts = zip(*pairs, strict=True)
    return by_bank(reconcile(inputs(lines=lines, payouts=payouts, fx_rates=RATES, prior=prior)))


def test_a_conversion_by_rate_with_no_tied_conversion_to_compare_is_only_suggested():
    # 1000 CAD at 0.73 less a 1.5 % spread: within 3 % of the reference, the only candidate.
    d = _run([_by_rate("b", "1000.00", "719.05", 1)])["b"]
    assert d.status == "suggested" and d.payout_refs == ("rutter:shop:b",)
    assert any("no conversion of this connection" in r for r in d.reasons)


def test_a_conversion_at_the_connections_usual_spread_is_applied():
    d = _run([
        _printed("p1", "2000.00", "1438.10", 0),  # -1.50 % from the reference
        _printed("p2", "500.00", "359.60", 7),  # -1.48 %
        _by_rate("b", "1000.00", "720.50", 10),  # -1.30 %
    ])
    assert d["p1"].status == d["p2"].status == "matched"
    assert d["b"].status == "matched" and d["b"].payout_refs == ("rutter:shop:b",)
    # FX gain/loss from the reference: 720.50 - 1000.00 x 0.73
    assert d["b"].fx.difference == Decimal("-9.50")


def test_a_conversion_off_the_connections_usual_spread_is_only_suggested():
    d = _run([
        _printed("p1", "2000.00", "1438.10", 0),  # -1.50 %
        _by_rate("b", "1000.00", "737.30", 10),  # +1.00 %: within 3 % of the reference only
    ])
    assert d["p1"].status == "matched"
    assert d["b"].status == "suggested"


def test_a_conversion_a_person_matched_earlier_is_history_too():
    line, po = _by_rate("old", "2000.00", "1438.10", 0)
    prior = (PriorDecision("plaid:old", "manual", payout_refs=("rutter:shop:old",)),)
    d = _run([(line, po), _by_rate("b", "1000.00", "719.50", 10)], prior=prior)
    assert d["old"].locked
    assert d["b"].status == "matched"


def test_a_connections_first_conversions_that_agree_on_the_spread_are_applied():
    # No conversion tied yet (the bank never prints the original amount): three conversions, each
    # its deposit's only answer, all about -1.5 % from the reference.
    d = _run([
        _by_rate("a", "1000.00", "719.05", 1),  # -1.50 %
        _by_rate("b", "2000.00", "1438.50", 8),  # -1.47 %
        _by_rate("c", "1500.00", "1078.30", 15),  # -1.53 %
    ])
    assert {d[k].status for k in "abc"} == {"matched"}
    assert all(d[k].payout_refs == (f"rutter:shop:{k}",) for k in "abc")
    assert any("agree on the bank's spread" in r for r in d["a"].reasons)


def test_two_agreeing_first_conversions_or_three_that_disagree_are_only_suggested():
    two = _run([_by_rate("a", "1000.00", "719.05", 1), _by_rate("b", "2000.00", "1438.50", 8)])
    assert {two[k].status for k in "ab"} == {"suggested"}
    apart = _run([
        _by_rate("a", "1000.00", "719.05", 1),  # -1.50 %
        _by_rate("b", "2000.00", "1430.00", 8),  # -2.05 %
        _by_rate("c", "1500.00", "1108.80", 15),  # +1.26 %
        _by_rate("e", "1200.00", "883.88", 22),  # +0.90 %
    ])
    # The median is -0.30 %: none of the four within 1 point of it (a wrong pairing lands anywhere).
    assert {apart[k].status for k in "abce"} == {"suggested"}


def _rival(ref, cad, n):
    return payout(ref, cad, cur="CAD", arrival=day(n))


def test_of_two_conversions_that_fit_a_line_the_one_at_the_usual_spread_is_applied():
    history = [_printed("p1", "2000.00", "1438.10", 0), _printed("p2", "500.00", "359.60", 7)]  # -1.5 %
    line, own = _by_rate("b", "1000.00", "720.50", 10)  # -1.30 %
    odd = _rival("x", "980.00", 10)  # 720.50 USD would be +0.71 %: within the 3 % band, off the usual
    lines = [*(h[0] for h in history), line]
    d = by_bank(reconcile(inputs(lines=lines, payouts=[*(h[1] for h in history), own, odd], fx_rates=RATES)))
    assert d["b"].status == "matched" and d["b"].payout_refs == ("rutter:shop:b",)
    assert any("off their connection's usual spread" in r for r in d["b"].reasons)

    twin = _rival("y", "1002.00", 10)  # -1.50 %: as usual as the right one, so a person decides
    d = by_bank(reconcile(inputs(lines=lines, payouts=[*(h[1] for h in history), own, twin], fx_rates=RATES)))
    assert d["b"].status != "matched"
