"""The engine's reference data: the ECB's daily rates for converted deposits, and bank holidays."""

from datetime import date
from decimal import Decimal

from reconciliation.calendars import bank_holidays
from reconciliation.engine import Settings, reconcile
from reconciliation.engine.calendar import business_days_between
from reconciliation.fx import reference_rates
from reconciliation.reference import with_reference_data
from tests.reconciliation.engine.builders import bank, by_bank, day, inputs, payout


def _ecb(base: str, quote: str, on: date) -> Decimal:
    (rate,) = reference_rates(payout_currencies={base}, bank_days={(quote, on)})
    assert rate.on == on and (rate.base, rate.quote) == (base, quote)
    return rate.rate


def test_the_ecb_series_gives_dated_cross_rates():
    # ECB euro reference rates of 2025-03-04: USD 1.0557, CAD 1.5224 -> 1 CAD = 0.69344 USD.
    assert abs(_ecb("CAD", "USD", day(1)) - Decimal("1.0557") / Decimal("1.5224")) < Decimal("0.00001")
    assert _ecb("CAD", "USD", day(1)) != _ecb("CAD", "USD", date(2025, 1, 6))  # it is daily


def test_a_converted_deposit_is_applied_against_the_days_reference_rate():
    """A bank converting 3,000 CAD at the day's rate less a 1.5% spread: within the band of the
    ECB's rate, the only candidate, named by its platform, and at the spread of the connection's
    earlier conversion (its original amount printed): applied, with its FX difference. Without
    that earlier conversion there is nothing to check the bank's spread against: suggested."""
    def at_spread(cad, n):
        return (Decimal(cad) * _ecb("CAD", "USD", day(n)) * Decimal("0.985")).quantize(Decimal("0.01"))

    line = bank("b", at_spread("3000", 8), on=day(8))
    earlier = bank("e", at_spread("1200", 1), on=day(1), desc="SHOPIFY* PAYOUT X7Y8Z9 CAD 1200.00 FX")
    pays = [payout("cad", "3000.00", cur="CAD", arrival=day(8)),
            payout("old", "1200.00", cur="CAD", arrival=day(1))]
    world = inputs(lines=[line, earlier], payouts=pays)

    with_rates = by_bank(reconcile(with_reference_data(world)))["b"]
    first = by_bank(reconcile(with_reference_data(inputs(lines=[line], payouts=pays[:1]))))["b"]
    without = by_bank(reconcile(world))["b"]

    assert with_rates.status == "matched" and with_rates.fx.reference_source == "reference"
    assert with_rates.fx.difference < 0
    assert first.status == "suggested"  # no tied conversion of this connection yet
    assert without.status == "suggested"  # the rough built-in table alone only suggests


def test_a_conversion_far_from_the_reference_is_not_matched():
    off = (Decimal("3000") * _ecb("CAD", "USD", day(1)) * Decimal("0.90")).quantize(Decimal("0.01"))
    world = with_reference_data(inputs(lines=[bank("b", off, on=day(1))],
                                       payouts=[payout("cad", "3000.00", cur="CAD", arrival=day(1))]))
    assert by_bank(reconcile(world))["b"].status != "matched"


def test_business_days_skip_the_federal_reserves_holidays():
    us = bank_holidays("US", 2025, 2025)
    assert date(2025, 7, 4) in us and date(2025, 11, 27) in us  # Independence Day, Thanksgiving
    assert date(2026, 7, 3) not in bank_holidays("US", 2026, 2026)  # Saturday holiday: Fed open Friday
    # Wednesday before Thanksgiving -> the Friday after: one business day, not two.
    assert business_days_between(date(2025, 11, 26), date(2025, 11, 28), us) == 1
    assert business_days_between(date(2025, 11, 26), date(2025, 11, 28)) == 2
    assert business_days_between(date(2025, 11, 28), date(2025, 11, 26), us) == -1


def test_a_deposit_held_over_a_holiday_is_on_time():
    """Arrival on the Wednesday before Thanksgiving, posted the Friday after: +1 business day."""
    wednesday, friday = date(2025, 11, 26), date(2025, 11, 28)
    world = inputs(lines=[bank("b", "100.00", on=friday)], payouts=[payout("p", "100.00", arrival=wednesday)])
    plain = by_bank(reconcile(world))["b"]
    held = by_bank(reconcile(with_reference_data(world)))["b"]
    assert held.status == "matched"
    assert any("+1 business day" in r for r in held.reasons) and any("+2 business day" in r for r in plain.reasons)
    assert isinstance(with_reference_data(world).settings, Settings)
