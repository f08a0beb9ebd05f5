"""One Rutter commerce connection: orders, transactions and (where the platform has them) payouts,
following each platform's fee model, payout schedule and sign convention.

Rutter preserves the platform's sign, so e.g. Shopify refunds are positive while Amazon, eBay,
WooCommerce and Etsy refunds are negative; consumers must use `type` + absolute value. Reserve
holds/releases are type `other`, whose sign is meaningful (negative = withheld from the merchant).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ledger.platforms import has_payout_objects, supports

from .common import (
    Context,
    Settlement,
    add_business_days,
    at,
    is_business_day,
    iso,
    money,
    pct,
    to_float,
)
from .writer import ArraySpool


@dataclass(frozen=True)
class Profile:
    base_orders: float
    price: tuple[int, int]
    fee_rate: str                # on the sale's `fee` field ("0" when fees are separate lines)
    fee_fixed: str
    refund_sign: int             # the platform's own sign for refunds
    schedule: str                # daily | business | weekly | biweekly
    lag: int                     # business days from payout creation to arrival
    gateway: str
    chargebacks: bool = True
    reserves: bool = False
    separate_fees: tuple[tuple[str, str, str], ...] = ()  # per sale: (description, rate, fixed)


PROFILES = {
    "SHOPIFY": Profile(30, (15, 180), "0.029", "0.30", +1, "daily", 2, "shopify_payments", reserves=True),
    "AMAZON": Profile(25, (10, 120), "0.15", "0.00", -1, "biweekly", 3, "amazon", chargebacks=False, reserves=True),
    "EBAY": Profile(10, (20, 300), "0.1325", "0.30", -1, "business", 1, "ebay_managed_payments"),
    "SQUARE": Profile(40, (5, 60), "0.026", "0.10", +1, "business", 1, "square"),
    "WOO_COMMERCE": Profile(15, (20, 150), "0.029", "0.30", -1, "business", 2, "woocommerce_payments"),
    "BIG_COMMERCE": Profile(10, (25, 200), "0.0289", "0.49", +1, "business", 1, "paypal"),
    "SQUARESPACE": Profile(8, (20, 120), "0.029", "0.30", +1, "weekly", 2, "squarespace_payments"),
    "ETSY": Profile(12, (10, 90), "0", "0", -1, "weekly", 3, "etsy_payments", chargebacks=False,
                    separate_fees=(("Transaction fee", "0.065", "0"), ("Processing fee", "0.03", "0.25"),
                                   ("Listing fee", "0", "0.20"))),
}
ZERO = Decimal("0")


def _payout_day(profile: Profile, d: date, start: date, weekday: int = 0) -> bool:
    if d == start:
        return False
    if profile.schedule == "daily":
        return True
    if profile.schedule == "business":
        return is_business_day(d)
    if profile.schedule == "weekly":
        return d.weekday() == weekday  # the store's own sweep day
    return (d - start).days % 14 == 0  # biweekly settlement


class RutterGenerator:
    def __init__(self, ctx: Context, platform: str, currency: str = "USD", store_name: str | None = None):
        self.ctx, self.platform, self.currency = ctx, platform, currency
        self.profile = PROFILES[platform]
        self.has_payouts = has_payout_objects(platform)  # the platform catalogue's word
        # BigCommerce and Squarespace: Rutter serves their orders only (no /transactions): a
        # deposit is a sweep of paid orders, net of the gateway's fee, which nothing reports.
        self.orders_only = not supports(platform, "transactions")
        self.weekday = ctx.rng.randrange(5) if self.profile.schedule == "weekly" else 0
        self.id = ctx.ids.uuid()
        self.ref = f"rutter:{self.id}"
        self.prefix = platform[:3].lower()
        self.header = {"connection_id": self.id, "access_token": ctx.ids.uuid(),
                       "public_token": ctx.ids.token("pub-"), "platform": platform,
                       "store_name": store_name or f"{ctx.company} on {platform.replace('_', ' ').title()}"}
        self.spools = {"orders": ArraySpool(), "transactions": ArraySpool(), "payouts": ArraySpool()}
        self.seq = 1000
        self.unpaid: list[tuple[str, Decimal]] = []  # (transaction id, effect on the payout)
        self.recent_sales: deque = deque(maxlen=500)
        self.reserves: list[tuple[date, Decimal]] = []

    def _next(self) -> str:
        self.seq += 1
        return str(self.seq)

    def _emit(self, kind: str, obj: dict, created: date) -> None:
        if created == self.ctx.last_day:  # today's activity arrives after the initial sync
            self.ctx.event(at(created, 86399), "rutter", self.id, kind, obj)
        else:
            self.spools[kind + "s"].append(obj)

    def _txn(self, d: date, second: int, type_: str, amount: Decimal, effect: Decimal, *,
             order_id=None, fee: Decimal | None = None, description: str = "") -> str:
        n = self._next()
        moment = iso(at(d, second))
        txn = {"id": f"{self.prefix}-txn-{n}", "platform_id": n, "order_id": order_id,
               "platform_customer_id": None, "payment_method_type": "card", "status": "success",
               "type": type_, "amount": to_float(amount), "gateway": self.profile.gateway,
               "gateway_data": None, "iso_currency_code": self.currency, "platform_type": "card",
               "description": description, "created_at": moment, "updated_at": moment,
               "platform_data": {}}
        if fee is not None:
            txn["fee"] = to_float(fee)
        self._emit("transaction", txn, d)
        self.unpaid.append((txn["id"], effect))
        return txn["id"]

    def _order(self, d: date, second: int, total: Decimal) -> tuple[str, str]:
        n = self._next()
        moment = iso(at(d, second))
        order_id = f"{self.prefix}-ord-{n}"
        price = to_float(total)
        # Rutter's line item `price` is the line's total and `unit_cost` the price of one unit
        # (LineItem in Rutter's OpenAPI); every third order sells two units when the total splits.
        cents = int(total * 100)
        quantity = 2 if self.seq % 3 == 0 and cents % 2 == 0 else 1
        unit_cost = to_float(total / quantity)
        self._emit("order", {
            "id": order_id, "platform_id": n, "order_number": n, "name": f"#{n}", "source_name": "web",
            "tags": [], "status": "active", "payment_status": "paid", "fulfillment_status": "fulfilled",
            "iso_currency_code": self.currency, "total_price": price, "total_discount": 0,
            "total_line_items_price": price, "total_shipping": 0, "total_shipping_discount": 0,
            "total_tax": 0, "billing_address": None, "shipping_address": None, "customer": None,
            "fulfillments": [], "refunds": [],
            "line_items": [{"id": f"{order_id}-li1", "platform_id": None, "product_id": "prod-1",
                            "variant_id": None, "price": price, "quantity": quantity,
                            "iso_currency_code": self.currency, "sku": "SKU-1", "title": "Goods",
                            "unit_cost": unit_cost, "created_at": moment, "updated_at": moment}],
            "cancelled_at": None, "created_at": moment, "updated_at": moment}, d)
        return order_id, n

    # --- one day -------------------------------------------------------------------------------

    def day(self, d: date) -> None:
        if _payout_day(self.profile, d, self.ctx.start, self.weekday):
            self._settle(d)
        rng, p = self.ctx.rng, self.profile
        weekend = 1.3 if d.weekday() >= 5 else 1.0
        for _ in range(self.ctx.volume(p.base_orders * weekend)):
            second = rng.randrange(3600, 86000)
            total = money(rng.uniform(*p.price))
            order_id, n = self._order(d, second, total)
            fee = pct(total, p.fee_rate) + Decimal(p.fee_fixed) if p.fee_rate != "0" else None
            if self.orders_only:  # the order is the record; its gateway fee is reported nowhere
                self.unpaid.append((order_id, total - fee))
                self.ctx.fees.add(self.ref, self.currency, fee)
                continue
            self._txn(d, second + 5, "sale", total, total - (fee or ZERO), order_id=order_id, fee=fee,
                      description=f"Sale for order #{n}")
            self.ctx.fees.add(self.ref, self.currency, fee or ZERO)
            for desc, rate, fixed in p.separate_fees:
                amount = pct(total, rate) + Decimal(fixed)
                self._txn(d, second + 6, "fee", -amount, -amount, order_id=order_id, description=desc)
                self.ctx.fees.add(self.ref, self.currency, amount)
            self.recent_sales.append((order_id, n, total))
        if self.orders_only:
            return  # refunds would be updates of already written orders: not generated
        self._refunds(d)
        self._platform_fees(d)
        self._reserve(d)

    def _refunds(self, d: date) -> None:
        rng = self.ctx.rng
        count = sum(1 for _ in range(len(self.recent_sales) // 20) if rng.random() < 0.5)
        for _ in range(count):
            order_id, n, total = rng.choice(self.recent_sales)
            partial = rng.random() < 0.4
            amount = money(total * Decimal(str(round(rng.uniform(0.1, 0.6), 2)))) if partial else total
            self._txn(d, rng.randrange(3600, 86000), "refund", amount * self.profile.refund_sign, -amount,
                      order_id=order_id, description=f"{'Partial refund' if partial else 'Refund'} for order #{n}")
        if self.profile.chargebacks and self.recent_sales and rng.random() < 0.03:
            order_id, n, total = rng.choice(self.recent_sales)
            second = rng.randrange(3600, 86000)
            self._txn(d, second, "refund", total * self.profile.refund_sign, -total, order_id=order_id,
                      description=f"Chargeback for order #{n}")
            fee = Decimal("15.00")
            self._txn(d, second + 1, "fee", -fee, -fee, order_id=order_id, description="Chargeback fee")
            self.ctx.fees.add(self.ref, self.currency, fee)

    def _platform_fees(self, d: date) -> None:
        rng, fees = self.ctx.rng, []
        if self.platform == "AMAZON":
            if d.day == 1:
                fees.append(("Subscription fee", Decimal("39.99")))
            if d.day == 7:
                fees.append(("FBA Inventory Storage Fee", money(rng.uniform(20, 200) * self.ctx.scale)))
        elif self.platform == "EBAY" and d.weekday() == 0:
            fees.append(("Promoted listings fee", money(rng.uniform(5, 60) * self.ctx.scale)))
        elif self.platform == "SHOPIFY" and d.day == 15 and rng.random() < 0.5:
            fees.append(("Shopify Payments adjustment fee", money(rng.uniform(1, 20))))
        for desc, amount in fees:
            self._txn(d, 60, "fee", -amount, -amount, description=desc)
            self.ctx.fees.add(self.ref, self.currency, amount)

    def _reserve(self, d: date) -> None:
        rng = self.ctx.rng
        for release_day, amount in [r for r in self.reserves if r[0] == d]:
            self._txn(d, 120, "other", amount, amount, description="Reserve release")
            self.reserves.remove((release_day, amount))
        if self.profile.reserves and self.recent_sales and rng.random() < 0.02:
            amount = money(sum(t for _, _, t in list(self.recent_sales)[-20:]) * Decimal("0.1"))
            if amount > 0:
                self._txn(d, 130, "other", -amount, -amount, description="Reserve hold")
                self.reserves.append((d + timedelta(days=rng.choice((7, 14, 30))), amount))

    # --- payouts -------------------------------------------------------------------------------

    def _settle(self, d: date) -> None:
        amount = sum((effect for _, effect in self.unpaid), ZERO)
        if not self.unpaid or amount == 0 or (amount < 0 and not self.has_payouts):
            return  # nothing to pay; a negative balance without payout objects carries over
        txn_ids, self.unpaid = [t for t, _ in self.unpaid], []
        arrival = add_business_days(d, self.profile.lag)
        if not self.has_payouts:
            self.ctx.settlements.append(Settlement(self.ref, self.platform, self.currency, amount, arrival,
                                                   items=[f"{self.ref}:{t}" for t in txn_ids]))
            return
        n = self._next()
        payout = {"id": f"{self.prefix}-po-{n}", "platform_id": n, "gateway_account_id": f"{self.prefix}-acct-1",
                  "arrival_at": iso(at(arrival)), "amount": to_float(amount), "gateway": self.profile.gateway,
                  "iso_currency_code": self.currency, "schedule": "automatic",
                  "status": "paid" if arrival <= self.ctx.last_day else "in_transit",
                  "type": "bank_account", "method": "standard",
                  "destination": {"destination_id": None, "account_number_last_digits": "6789",
                                  "bank_name": "First Bank", "brand": None, "last_four": None,
                                  "routing_number": None},
                  "transaction_ids": txn_ids, "created_at": iso(at(d, 7200)),
                  "updated_at": iso(at(min(arrival, self.ctx.last_day))), "platform_data": {}}
        if d < self.ctx.last_day == arrival:
            # Known at the initial sync as in transit; the event marks it paid when it lands.
            self.spools["payouts"].append({**payout, "status": "in_transit", "updated_at": iso(at(d, 7200))})
            self.ctx.event(at(arrival, 3600), "rutter", self.id, "payout", payout)
        else:
            self._emit("payout", payout, d)
        ref = f"{self.ref}:{payout['id']}"
        self.ctx.settlements.append(Settlement(self.ref, self.platform, self.currency, amount, arrival, payout=ref))
