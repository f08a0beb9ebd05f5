"""A bookkeeper's March on the sandbox: a Shopify store through Rutter and a checking account
through Plaid. Every payout is a list of sales with their fees; the bank shows the payouts it
received, plus money that is not platform money (wholesale customers paying invoices, interest),
and one deposit whose payout arrived weeks earlier than the bank shows (the engine cannot
place it; the bookkeeper finds it by hand). The last payout is still in transit at month end."""

SHOP = "aaaaaaaa-0000-4000-8000-00000000b001"
ITEM = "item-month-1"
ACCOUNT = "acc-month"


def _ts(day: str) -> str:
    return f"{day}T12:00:00.000Z"


def _payout(n: int, arrival: str, sales: list[float], fee_rate: float = 0.029):
    txns, orders = [], []
    for i, amount in enumerate(sales):
        tid, oid = f"t{n}-{i}", f"o{n}-{i}"
        fee = round(amount * fee_rate + 0.30, 2)
        orders.append({"id": oid, "order_number": f"{n}{i:02d}", "total_price": amount,
                       "total_line_items_price": amount, "iso_currency_code": "USD", "payment_status": "paid",
                       "created_at": _ts(arrival), "updated_at": _ts(arrival),
                       "customer": {"id": "c1", "email": "c1@example.com"},
                       "line_items": [{"id": f"{oid}-l1", "sku": "MUG", "title": "Mug", "price": amount, "quantity": 1}]})
        txns.append({"id": tid, "order_id": oid, "type": "sale", "status": "success", "amount": amount, "fee": fee,
                     "iso_currency_code": "USD", "created_at": _ts(arrival), "updated_at": _ts(arrival)})
    net = round(sum(t["amount"] - t["fee"] for t in txns), 2)
    payout = {"id": f"p{n}", "amount": net, "iso_currency_code": "USD", "status": "paid", "arrival_at": _ts(arrival),
              "created_at": _ts(arrival), "updated_at": _ts(arrival), "transaction_ids": [t["id"] for t in txns]}
    return orders, txns, payout


def _bank(n: int, day: str, amount: float, name: str) -> dict:
    # Plaid's sign: positive is money out of the account, so a deposit is negative.
    return {"transaction_id": f"bt-{n}", "account_id": ACCOUNT, "amount": -amount, "iso_currency_code": "USD",
            "date": day, "name": name, "pending": False, "pending_transaction_id": None}


PAYOUTS = [  # (arrival, sales, the day the bank shows it or None if still in transit, its description)
    ("2025-03-03", [120.0, 80.0], "2025-03-04", "SHOPIFY TRANSFER"),
    ("2025-03-06", [45.5, 99.0, 12.25], "2025-03-10", "ONLINE DEPOSIT"),   # late, no name: suggested
    ("2025-03-10", [300.0], "2025-03-11", "SHOPIFY TRANSFER"),
    ("2025-03-13", [64.0, 64.0], "2025-03-19", "ONLINE DEPOSIT"),          # late, no name: suggested
    ("2025-03-17", [210.0, 18.0], "2025-03-18", "SHOPIFY TRANSFER"),
    ("2025-03-20", [75.0, 75.0, 75.0], "2025-03-21", "SHOPIFY TRANSFER"),
    ("2025-02-01", [500.0, 250.0], "2025-03-02", "SHOPIFY TRANSFER"),    # a month late: found by hand
    ("2025-03-31", [140.0, 60.0], None, ""),                              # in transit at month end
]
WHOLESALE = 22  # invoice payments from wholesale customers: more than one page of open lines


def month_world() -> dict:
    orders, txns, payouts, bank = [], [], [], []
    for n, (arrival, sales, banked, name) in enumerate(PAYOUTS, start=1):
        o, t, p = _payout(n, arrival, sales)
        orders += o
        txns += t
        payouts.append(p)
        if banked:
            bank.append(_bank(n, banked, p["amount"], name))
    for k in range(WHOLESALE):
        bank.append(_bank(100 + k, f"2025-03-{5 + k:02d}", 410.0 + k, f"ACH CREDIT ACME WHOLESALE INV {2200 + k}"))
    bank.append(_bank(200, "2025-03-28", 3.12, "INTEREST PAYMENT"))
    account = {"account_id": ACCOUNT, "mask": "0042", "name": "Checking", "type": "depository",
               "subtype": "checking", "balances": {"current": 10000.0, "iso_currency_code": "USD"}}
    return {
        "format": "tieout.world/1", "company": {"name": "March Mugs", "currency": "USD"},
        "rutter": [{"connection_id": SHOP, "access_token": "tok-month-shop", "public_token": "pub-month-shop",
                    "platform": "SHOPIFY", "store_name": "March Mugs", "orders": orders, "transactions": txns,
                    "payouts": payouts}],
        "stripe": [],
        "plaid": [{"item_id": ITEM, "access_token": "access-sandbox-month", "public_token": "public-sandbox-month",
                   "accounts": [account], "transactions": bank}],
        "events": [],
    }
