"""The Plaid bank feed and the answer key: settlements become deposits (or withdrawals, for
negative payouts) under varied descriptors, sometimes late, sometimes first pending, sometimes
several payouts in one line, a foreign-currency payout converted by the bank; around them the
business's unrelated money movements, including deposits of exactly a payout's amount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from currency_converter import CurrencyConverter

from ..plaid_shapes import empty_location, empty_payment_meta
from .common import (
    Context,
    Settlement,
    at,
    is_business_day,
    money,
    next_bank_day,
    to_float,
)

# Foreign payouts converted into the USD account: banks convert at the day's market rate (the
# ECB's reference through the euro, as `currencyconverter` ships it) less their own spread,
# steady for one bank (drawn per world within FX_SPREADS), with a little intraday noise.
FX_CURRENCIES = ("CAD", "EUR", "GBP", "AUD")
FX_SPREADS = (0.004, 0.025)
FX_NOISE = 0.0004


@lru_cache(maxsize=1)
def _converter() -> CurrencyConverter:
    return CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=True)


def market_rate(currency: str, day: date) -> float:
    """USD per unit of `currency` on `day` (the ECB reference; past the shipped series, its last)."""
    return float(_converter().convert(1, currency, "USD", date=day))

DESCRIPTORS = {
    "SHOPIFY": ["SHOPIFY PAYMENTS DES:TRANSFER ID:ST-{code} INDN:{company} CO ID:{num} CCD",
                "Shopify Transfer ST-{code}", "ORIG CO NAME:SHOPIFY ORIG ID:{num} CO ENTRY DESCR:TRANSFER SEC:CCD",
                "SHOPIFY* PAYOUT {code}"],
    "AMAZON": ["AMAZON.COM SERVICES DES:SETTLEMENT ID:{num} INDN:{company}", "AMZN MKTP US DES:PAYMENTS ID:{num}",
               "AMAZON SELLER PAYMENTS {num}"],
    "EBAY": ["EBAY COMMERCE INC DES:PAYOUT ID:{num}", "eBay ComUSA Payout {code}"],
    "SQUARE": ["SQUARE INC DES:{yymmdd}P2 ID:L{code} INDN:{company}", "SQ *SQUARE INC TRANSFER", "Square Inc - Transfer"],
    "WOO_COMMERCE": ["WOOPAYMENTS DES:DEPOSIT ID:{code}", "WCPAY DEPOSIT {code}", "STRIPE DES:TRANSFER ID:ST-{code}"],
    "BIG_COMMERCE": ["PAYPAL DES:TRANSFER ID:{num}", "BRAINTREE DES:DEPOSIT ID:{num}"],
    "SQUARESPACE": ["SQUARESPACE PAYMENTS DES:PAYOUT ID:{code}", "SQSP* PAYOUT {code}"],
    "ETSY": ["ETSY, INC. DES:DEPOSIT ID:{num}", "ETSY INC DEP {code}"],
    "STRIPE": ["STRIPE DES:TRANSFER ID:ST-{code} INDN:{company} CCD", "STRIPE PAYMENTS TRANSFER {code}",
               "ORIG CO NAME:STRIPE CO ENTRY DESCR:TRANSFER SEC:CCD"],
}
DEBIT_DESCRIPTORS = ["{platform} DES:DEBIT ID:{code}", "{platform} BALANCE DEBIT {code}"]
UNRELATED_DEPOSITS = ["ACH CREDIT {company} WHOLESALE INV {num}", "MOBILE DEPOSIT CHECK {num}",
                      "ONLINE TRANSFER FROM SAV ...{num}", "PAYPAL DES:TRANSFER ID:{num}",
                      "ZELLE FROM JORDAN LEE {code}", "INTEREST PAYMENT"]
UNRELATED_WITHDRAWALS = ["GUSTO DES:NET {yymmdd} ID:{num}", "RENT PAYMENT {num}", "AMEX EPAYMENT ACH PMT",
                         "UPS BILLING {num}", "ULINE *SHIP SUPPLIES", "ADP PAYROLL FEES", "IRS USATAXPYMT {num}",
                         "SHOPIFY* {num} APP SUBSCRIPTION", "AMAZON WEB SERVICES AWS.AMAZON.CO"]


class BankGenerator:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.item_id = ctx.ids.token("", 37)
        self.fx_spread = ctx.rng.uniform(*FX_SPREADS)  # this bank's margin on conversions
        self.account_id = ctx.ids.token("", 37)
        self.base: list[dict] = []
        self.truth = {"format": "tieout.truth/1", "deposits": {}, "non_payout_deposits": [],
                      "payouts_not_deposited": [], "pending": [], "fees": {}}

    def _fill(self, template: str, d: date, platform: str = "") -> str:
        ids = self.ctx.ids
        return template.format(code=ids.token("", 6).upper(), num=ids.digits(10), yymmdd=f"{d:%y%m%d}",
                               company=self.ctx.company.upper()[:16], platform=platform)

    def _line(self, d: date, amount: Decimal, name: str, *, pending=False, replaces=None, currency="USD") -> dict:
        txn = {"transaction_id": self.ctx.ids.token("", 37), "account_id": self.account_id,
               "amount": to_float(amount), "iso_currency_code": currency, "unofficial_currency_code": None,
               "date": d.isoformat(), "authorized_date": None, "authorized_datetime": None, "datetime": None,
               "name": name, "merchant_name": None, "original_description": None, "payment_channel": "other",
               "pending": pending, "pending_transaction_id": replaces, "personal_finance_category": None,
               "category": None, "category_id": None, "account_owner": None, "check_number": None,
               "location": empty_location(), "payment_meta": empty_payment_meta(), "counterparties": [],
               "merchant_entity_id": None,
               "transaction_code": None, "transaction_type": "special", "logo_url": None, "website": None}
        if d == self.ctx.last_day and not pending:
            self.ctx.event(at(d, 80000), "plaid", self.item_id, "bank_transaction", txn)
        else:
            self.base.append(txn)
        return txn

    def _post(self, bank_date: date, amount: Decimal, name: str) -> tuple[dict | None, dict | None]:
        """A bank line, maybe first seen pending; returns (posted or None, pending or None)."""
        last = self.ctx.last_day
        pending = None
        if bank_date > last or self.ctx.rng.random() < 0.35:
            seen = min(max(bank_date - timedelta(days=1), self.ctx.start), last)
            pending = self._line(seen, amount, name, pending=True)
        if bank_date > last:
            return None, pending
        return self._line(bank_date, amount, name, replaces=pending and pending["transaction_id"]), pending

    def settle(self, settlements: list[Settlement]) -> None:
        rng, last = self.ctx.rng, self.ctx.last_day
        groups: dict[tuple, list[Settlement]] = {}
        for s in settlements:
            # Nothing posts on a weekend or a Federal Reserve holiday: a payout due then lands on
            # the next bank day (the platforms' own arrival dates skip weekends only).
            bank_date = next_bank_day(s.arrival)
            if rng.random() < 0.15:
                bank_date = next_bank_day(bank_date + timedelta(days=1))
            key = (s.connection, bank_date, s.payout is not None and s.amount > 0)
            groups.setdefault(key, []).append(s)
        for (_connection, bank_date, combinable), group in sorted(groups.items(), key=lambda kv: kv[0][1]):
            # The bank sometimes books same-day credits from one originator as a single line.
            lines = [group] if combinable and len(group) > 1 and rng.random() < 0.5 else [[s] for s in group]
            for members in lines:
                self._deposit(members, bank_date if bank_date <= last + timedelta(days=1) else None)

    def _deposit(self, members: list[Settlement], bank_date: date | None) -> None:
        first = members[0]
        total = sum((s.amount for s in members), Decimal("0"))
        if first.currency != "USD":
            rate = market_rate(first.currency, first.arrival) * (1 - self.fx_spread)
            rate *= 1 + self.ctx.rng.uniform(-FX_NOISE, FX_NOISE)
            total = money(total * Decimal(str(round(rate, 6))))
        if bank_date is None:  # still in transit at the end of the world
            self.truth["payouts_not_deposited"] += [s.payout for s in members if s.payout]
            return
        if total > 0:
            name = self._fill(self.ctx.rng.choice(DESCRIPTORS[first.platform]), bank_date)
            if first.currency != "USD":
                name += f" {first.currency} {sum(s.amount for s in members)} FX"
        else:
            label = first.platform.replace("_", " ")
            name = self._fill(self.ctx.rng.choice(DEBIT_DESCRIPTORS), bank_date, label)
        posted, pending = self._post(bank_date, -total, name)  # Plaid: deposits are negative
        if posted is None:
            self.truth["payouts_not_deposited"] += [s.payout for s in members if s.payout]
            self.truth["pending"].append(f"plaid:{pending['transaction_id']}")
            return
        ref = f"plaid:{posted['transaction_id']}"
        if first.payout:
            self.truth["deposits"][ref] = {"payouts": [s.payout for s in members]}
        else:
            self.truth["deposits"][ref] = {"inferred": {"connection": first.connection, "items": first.items}}
        if total > 0 and self.ctx.rng.random() < 0.08:  # a look-alike: same amount, unrelated money
            when = min(self.ctx.last_day, bank_date + timedelta(days=self.ctx.rng.randint(-3, 3)))
            self._unrelated(max(when, self.ctx.start), -total, UNRELATED_DEPOSITS[0])

    def _unrelated(self, d: date, amount: Decimal, template: str) -> None:
        posted, _ = self._post(d, amount, self._fill(template, d))
        if posted is not None and amount < 0:
            self.truth["non_payout_deposits"].append(f"plaid:{posted['transaction_id']}")

    def noise(self) -> None:
        rng = self.ctx.rng
        for d in self.ctx.dates():
            if not is_business_day(d):
                continue
            if rng.random() < 0.3:
                self._unrelated(d, -money(rng.uniform(200, 9000)), rng.choice(UNRELATED_DEPOSITS))
            for _ in range(rng.randint(0, 3)):
                self._unrelated(d, money(rng.uniform(12, 2500)), rng.choice(UNRELATED_WITHDRAWALS[2:]))
            if d.weekday() == 4 and (d - self.ctx.start).days // 7 % 2 == 0:
                self._unrelated(d, money(rng.uniform(6000, 15000) * self.ctx.scale ** 0.5), UNRELATED_WITHDRAWALS[0])
            if d.day <= 3 and rng.random() < 0.4:
                self._unrelated(d, money(rng.uniform(2500, 4500)), UNRELATED_WITHDRAWALS[1])

    def item(self) -> dict:
        self.base.sort(key=lambda t: (t["date"], not t["pending"]))  # history order: pending first
        account = {"account_id": self.account_id, "balances": {"available": 25000.0, "current": 25000.0,
                   "iso_currency_code": "USD", "limit": None, "unofficial_currency_code": None},
                   "mask": "6789", "name": "Business Checking", "official_name": "First Bank Business Checking",
                   "subtype": "checking", "type": "depository"}
        return {"item_id": self.item_id, "access_token": "access-sandbox-" + self.ctx.ids.uuid(),
                "public_token": "public-sandbox-" + self.ctx.ids.uuid(), "accounts": [account],
                "transactions": self.base}

    def finish_truth(self) -> dict:
        self.truth["fees"] = {conn: {cur: f"{amount:.2f}" for cur, amount in per.items()}
                              for conn, per in self.ctx.fees.totals.items()}
        return self.truth
