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
