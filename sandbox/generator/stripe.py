"""One directly connected Stripe account: balance transactions (integer minor units, lowercase
currency, fee/net/fee_details/reporting_category) settled by daily automatic payouts on a two
business day rolling schedule. Each payout has its own `type: payout` balance transaction; the
world-only `payout` field names the payout that settled an item (null on the payout's own).

Now and then, as real accounts do:
- the merchant takes an Instant Payout (`automatic: false`, `method: instant`, arriving the same
  day) of part of the available balance; its own balance transaction carries the Instant Payout
  fee (`fee`, `fee_details` stripe_fee "Instant Payout fee") on top of the amount. Stripe cannot
  say which balance transactions a manual payout paid out, so those it drew on name no payout;
- an automatic payout fails (`status: failed`, `failure_code`, `failure_balance_transaction`):
  it never reaches the bank, and its money comes back as a positive `payout_failure` balance
  transaction that the next automatic payout pays out.
These draw on a random stream of their own (seeded by the account id), so the shared stream, and
with it everything else in a world of a given seed, is unchanged."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

from .common import (
    Context,
    Ids,
    Settlement,
    add_business_days,
    at,
    is_business_day,
    money,
    pct,
    to_minor,
    unix,
)
from .writer import ArraySpool


class StripeGenerator:
    base_orders = 30
    platform = "STRIPE"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.id = "acct_" + ctx.ids.token("1", 15)
        self.ref = f"stripe:{self.id}"
        self.header = {"account_id": self.id, "oauth_code": ctx.ids.token("ac_", 24)}
        self.spools = {"balance_transactions": ArraySpool(), "payouts": ArraySpool()}
        self.available: list[tuple[date, dict]] = []  # (available_on, balance transaction) not paid out
        self.recent: list[tuple[str, int]] = []       # (charge id, amount) for refunds/disputes
        self.reversals: list[tuple[date, int, str]] = []  # disputes won later
        self.rare = random.Random(self.id)  # instant and failed payouts (see the module docstring)
        self.rare_ids = Ids(self.rare)

    INSTANT_RATE = 0.08  # chance per business day of an Instant Payout
    FAILURE_RATE = 0.06  # chance that an automatic payout fails

    def _emit(self, kind: str, obj: dict, created: date) -> None:
        if created == self.ctx.last_day:
            self.ctx.event(at(created, 86399), "stripe", self.id, kind, obj)
        else:
            self.spools[kind + "s"].append(obj)

    def _bt(self, d: date, second: int, type_: str, category: str, amount: int, fee: int, source: str,
            description: str, fee_desc: str = "Stripe processing fees", exchange_rate=None) -> dict:
        bt = {"id": self.ctx.ids.token("txn_"), "object": "balance_transaction", "amount": amount,
              "available_on": unix(at(add_business_days(d, 2))), "created": unix(at(d, second)),
              "currency": "usd", "description": description, "exchange_rate": exchange_rate, "fee": fee,
              "fee_details": ([{"amount": fee, "application": None, "currency": "usd",
                                "description": fee_desc, "type": "stripe_fee"}] if fee else []),
              "net": amount - fee, "reporting_category": category, "source": source,
              "status": "pending", "type": type_, "payout": None}
        if fee:
            self.ctx.fees.add(self.ref, "USD", Decimal(fee) / 100)
        self.available.append((add_business_days(d, 2), bt))
        return bt

    def day(self, d: date) -> None:
        rng = self.ctx.rng
        if is_business_day(d) and d != self.ctx.start:
            if self.rare.random() < self.INSTANT_RATE:
                self._instant_payout(d)
            self._payout(d)
        for _ in range(self.ctx.volume(self.base_orders)):
            second = rng.randrange(3600, 86000)
            charge = self.ctx.ids.token("ch_")
            if rng.random() < 0.1:  # presented in EUR, converted into the USD balance
                eur = money(rng.uniform(10, 150))
                rate = Decimal(str(round(rng.uniform(1.05, 1.12), 6)))
                usd = money(eur * rate)
                fee = to_minor(pct(usd, "0.029") + pct(usd, "0.01") + Decimal("0.30"))  # + conversion fee
                bt = self._bt(d, second, "charge", "charge", to_minor(usd), fee, charge,
                              f"Charge for order (EUR {eur})", exchange_rate=float(rate))
            else:
                usd = money(rng.uniform(8, 250))
                bt = self._bt(d, second, "charge", "charge", to_minor(usd), to_minor(pct(usd, "0.029") + Decimal("0.30")),
                              charge, "Charge for order")
            self.recent = (self.recent + [(charge, bt["amount"])])[-300:]
        for _ in range(sum(1 for _ in range(len(self.recent) // 25) if rng.random() < 0.5)):
            charge, amount = rng.choice(self.recent)
            refund = amount if rng.random() < 0.6 else int(amount * rng.uniform(0.1, 0.7))
            bt = self._bt(d, rng.randrange(3600, 86000), "refund", "refund", -refund, 0,
                          self.ctx.ids.token("re_"), "REFUND FOR CHARGE")
        if self.recent and rng.random() < 0.03:
            charge, amount = rng.choice(self.recent)
            bt = self._bt(d, 50000, "adjustment", "dispute", -amount, 1500, self.ctx.ids.token("dp_"),
                          "Chargeback withdrawal for " + charge, fee_desc="Dispute fee")
            if rng.random() < 0.4:  # won later: funds come back (the dispute fee does not)
                self.reversals.append((add_business_days(d, rng.randint(10, 30)), amount, bt["source"]))
        for _when, amount, source in [r for r in self.reversals if r[0] == d]:
            bt = self._bt(d, 40000, "adjustment", "dispute_reversal", amount, 0, source,
                          "Chargeback reversal")
        if d.day == 3:
            fee = money(rng.uniform(5, 40))
            bt = self._bt(d, 100, "stripe_fee", "fee", -to_minor(fee), 0, self.ctx.ids.token("sfi_"),
                          f"Billing - Usage Fee ({d:%Y-%m})")
            self.ctx.fees.add(self.ref, "USD", fee)

    def _emit_bt(self, bt: dict) -> None:
        self._emit("balance_transaction", bt, datetime.fromtimestamp(bt["created"], UTC).date())

    def finish(self) -> None:
        """Write what no payout has settled yet (still pending or awaiting a positive balance)."""
        for _, bt in self.available:
            self._emit_bt(bt)
        self.available = []

    def _own_bt(self, d: date, second: int, payout_id: str, amount: int, fee: int = 0,
                ids: Ids | None = None) -> dict:
        """The payout's own balance transaction: −amount, plus a fee that is charged on top."""
        details = ([{"amount": fee, "application": None, "currency": "usd",
                     "description": "Instant Payout fee", "type": "stripe_fee"}] if fee else [])
        return {"id": (ids or self.ctx.ids).token("txn_"), "object": "balance_transaction", "amount": -amount,
                "available_on": unix(at(d)), "created": unix(at(d, second)), "currency": "usd",
                "description": "STRIPE PAYOUT", "exchange_rate": None, "fee": fee, "fee_details": details,
                "net": -amount - fee, "reporting_category": "payout", "source": payout_id,
                "status": "available", "type": "payout", "payout": None}

    def _instant_payout(self, d: date) -> None:
        """A manual Instant Payout of some of what is available: no itemization, a fee on top."""
        due = [(w, bt) for w, bt in self.available if w <= d]
        taken = [pair for pair in due if self.rare.random() < 0.5]
        drawn = sum(bt["net"] for _, bt in taken)
        fee = max(50, to_minor(pct(Decimal(drawn) / 100, "0.015")))
        if drawn - fee <= 100:
            return
        ids = self.rare_ids
        self.available = [pair for pair in self.available if pair not in taken]
        payout_id, amount = ids.token("po_"), drawn - fee
        for _, bt in taken:  # paid out, but Stripe cannot say by which payout
            bt["status"] = "available"
            self._emit_bt(bt)
        own = self._own_bt(d, 1800, payout_id, amount, fee, ids)
        self._emit("balance_transaction", own, d)
        self.ctx.fees.add(self.ref, "USD", Decimal(fee) / 100)
        payout = self._payout_object(payout_id, amount, d, d) | {
            "balance_transaction": own["id"], "automatic": False, "method": "instant", "reconciliation_status": "not_applicable",
            "description": "STRIPE INSTANT PAYOUT", "created": unix(at(d, 1800))}
        self._emit("payout", payout, d)
        self.ctx.settlements.append(Settlement(self.ref, "STRIPE", "USD", Decimal(amount) / 100, d,
                                               payout=f"{self.ref}:{payout_id}"))

    def _payout_object(self, payout_id: str, amount: int, d: date, arrival: date) -> dict:
        return {"id": payout_id, "object": "payout", "amount": amount, "arrival_date": unix(at(arrival)),
                "automatic": True, "balance_transaction": None, "created": unix(at(d, 3600)),
                "currency": "usd", "description": "STRIPE PAYOUT", "destination": "ba_" + self.id[5:],
                "failure_balance_transaction": None, "failure_code": None, "failure_message": None,
                "livemode": False, "metadata": {}, "method": "standard", "original_payout": None,
                "reconciliation_status": "completed", "reversed_by": None, "source_type": "card",
                "statement_descriptor": None, "status": "paid" if arrival <= self.ctx.last_day else "in_transit",
                "type": "bank"}

    def _fail(self, payout: dict, arrival: date) -> None:
        """The bank refuses the payout: its money returns to the balance for the next payout."""
        back = {"id": self.rare_ids.token("txn_"), "object": "balance_transaction", "amount": payout["amount"],
                "available_on": unix(at(arrival)), "created": unix(at(arrival, 7200)), "currency": "usd",
                "description": "STRIPE PAYOUT FAILURE", "exchange_rate": None, "fee": 0, "fee_details": [],
                "net": payout["amount"], "reporting_category": "payout_reversal", "source": payout["id"],
                "status": "available", "type": "payout_failure", "payout": None}
        payout.update(status="failed", failure_code="account_closed", failure_balance_transaction=back["id"],
                      failure_message="The bank account has been closed.")
        self.available.append((arrival, back))

    def _payout(self, d: date) -> None:
        due = [bt for when, bt in self.available if when <= d]
        total = sum(bt["net"] for bt in due)
        if total <= 0:
            return  # Stripe keeps a non-positive balance until it turns positive
        self.available = [(w, bt) for w, bt in self.available if w > d]
        payout_id = self.ctx.ids.token("po_")
        arrival = add_business_days(d, 1)
        own = self._own_bt(d, 3600, payout_id, total)
        for bt in due:
            bt["payout"], bt["status"] = payout_id, "available"
            self._emit_bt(bt)
        payout = self._payout_object(payout_id, total, d, arrival) | {"balance_transaction": own["id"]}
        fails = arrival < self.ctx.last_day and self.rare.random() < self.FAILURE_RATE
        if fails:
            self._fail(payout, arrival)
        self._emit("balance_transaction", own, d)
        if fails:
            self._emit("payout", payout, d)
            return  # it never reaches the bank: no settlement
        if d < self.ctx.last_day == arrival:
            self.spools["payouts"].append({**payout, "status": "in_transit"})
            self.ctx.event(at(arrival, 3600), "stripe", self.id, "payout", payout)
        else:
            self._emit("payout", payout, d)
        self.ctx.settlements.append(Settlement(self.ref, "STRIPE", "USD", Decimal(total) / 100, arrival,
                                               payout=f"{self.ref}:{payout_id}"))
