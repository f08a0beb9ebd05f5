"""Reference data the engine receives as data: the daily FX reference rates for the pairs and
days in play (fx.py) and the holidays of the bank calendars (calendars.py)."""

from dataclasses import replace

from reconciliation import engine as E
from reconciliation.calendars import holidays_for
from reconciliation.fx import reference_rates


def with_reference_data(inputs: E.Inputs) -> E.Inputs:
    """`inputs` with the FX reference rates and bank holidays of its lines and payouts added."""
    lines = inputs.bank_lines
    rates = reference_rates(payout_currencies={p.currency for p in inputs.payouts} | {i.currency for i in inputs.items},
                            bank_days={(b.currency, b.date) for b in lines})
    days = [b.date for b in lines] + [p.arrival_on or p.created_on for p in inputs.payouts]
    holidays = holidays_for(currencies={b.currency for b in lines}, days=days)
    return replace(inputs, fx_rates=inputs.fx_rates + rates,
                   settings=replace(inputs.settings, bank_holidays=inputs.settings.bank_holidays | holidays))
