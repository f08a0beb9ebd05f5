from decimal import Decimal

from reconciliation.engine import reconcile
from sandbox.worldfile import export, inputs_from_world

ARRIVAL = 1741564800  # 2025-03-10 00:00 UTC


def _world():
    bts = [
        {
            "id": "txn_1",
            "amount": 10000,
            "fee": 320,
            "net": 9680,
            "currency": "jpy",
            "type": "charge",
            "reporting_category": "charge",
            "created": ARRIVAL - 86400 * 3,
            "available_on": ARRIVAL - 86400,
            "payout": "po_1",
        },
        {
            "id": "txn_2",
            "amount": -500,
            "fee": 0,
            "net": -500,
            "currency": "jpy",
            "type": "refund",
            "reporting_category": "refund",
            "created": ARRIVAL - 86400 * 2,
            "available_on": ARRIVAL - 86400,
            "payout": "po_1",
        },
        {
            "id": "txn_po",
            "amount": -9180,
            "fee": 0,
            "net": -9180,
            "currency": "jpy",
            "type": "payout",
            "reporting_category": "payout",
            "created": ARRIVAL - 86400,
            "available_on": ARRIVAL,
            "payout": "po_1",
        },
    ]
    return {
        "format": "tieout.world/1",
        "rutter": [],
        "stripe": [
            {
                "account_id": "acct_1",
                "balance_transactions": bts,
                "payouts": [
                    {
                        "id": "po_1",
                        "amount": 9180,
                        "currency": "jpy",
                        "arrival_date": ARRIVAL,
                        "created": ARRIVAL - 86400,
                        "status": "paid",
                        "statement_descriptor": None,
                        "trace_id": {"status": "supported", "value": "TRACE0001234"},
                    }
                ],
            }
        ],
        "plaid": [
            {
                "item_id": "i",
                "transactions": [
                    {
                        "transaction_id": "pend",
                        "account_id": "a",
                        "amount": -9180,
                        "iso_currency_code": "JPY",
                        "date": "2025-03-10",
                        "name": "STRIPE",
                        "pending": True,
                    },
                    {
                        "transaction_id": "posted",
                        "account_id": "a",
                        "amount": -9180,
                        "iso_currency_code": "JPY",
                        "date": "2025-03-11",
                        "name": "STRIPE DES:TRANSFER ID:TRACE0001234",
                        "pending": False,
                        "pending_transaction_id": "pend",
                    },
                    {
                        "transaction_id": "open",
                        "account_id": "a",
                        "amount": 12,
                        "iso_currency_code": "JPY",
                        "date": "2025-03-11",
                        "name": "COFFEE",
                        "pending": True,
                    },
                ],
            }
        ],
    }


def test_it_reads_stripe_zero_decimal_minor_units_and_lowercase_currency():
    inp = inputs_from_world(_world())
    po = inp.payouts[0]
    assert (po.amount, po.currency) == (Decimal("9180"), "JPY")
    sale = next(i for i in inp.items if i.ref.endswith("txn_1"))
    assert (sale.kind, sale.gross, sale.fee, sale.net) == (
        "sale",
        Decimal("10000"),
        Decimal("320"),
        Decimal("9680"),
    )


def test_it_drops_pending_lines_superseded_by_posted_ones_and_flips_plaid_signs():
    inp = inputs_from_world(_world())
    lines = {b.ref: b for b in inp.bank_lines}
    assert "plaid:pend" not in lines
    assert lines["plaid:posted"].amount == Decimal("9180") and not lines["plaid:posted"].pending
    assert lines["plaid:open"].pending and lines["plaid:open"].amount == Decimal("-12")


def test_it_matches_by_trace_id_and_excludes_the_payout_balance_transaction():
    inp = inputs_from_world(_world())
    result = reconcile(inp)
    exp = export(result, inp)
    rows = {r["bank"]: r for r in exp["deposits"]}
    assert set(rows) == {"plaid:posted"}  # pending lines are not exported
    assert rows["plaid:posted"]["status"] == "matched"
    assert rows["plaid:posted"]["payouts"] == ["stripe:acct_1:po_1"]
    (po,) = exp["payouts"]
    assert po["balanced"] and po["fees"] == "-320" and po["refunds"] == "-500"
    assert "stripe:acct_1:txn_po" not in po["items"]


def test_it_reads_rutter_signs_from_the_type_not_the_amount():
    world = {
        "rutter": [
            {
                "connection_id": "c",
                "platform": "SHOPIFY",
                "payouts": [],
                "transactions": [
                    {
                        "id": "r",
                        "type": "refund",
                        "amount": 12.3,
                        "iso_currency_code": "USD",
                        "created_at": "2025-03-01T00:00:00Z",
                    },
                    {
                        "id": "f",
                        "type": "fee",
                        "amount": -4,
                        "iso_currency_code": "USD",
                        "created_at": "2025-03-01T00:00:00Z",
                    },
                    {
                        "id": "s",
                        "type": "sale",
                        "amount": -50,
                        "fee": 1.75,
                        "iso_currency_code": "usd",
                        "created_at": "2025-03-01T00:00:00Z",
                    },
                ],
            }
        ]
    }
    items = {i.ref.split(":")[-1]: i for i in inputs_from_world(world).items}
    assert items["r"].gross == Decimal("-12.30")
    assert items["f"].gross == Decimal("-4.00")
    assert (items["s"].gross, items["s"].net, items["s"].currency) == (
        Decimal("50.00"),
        Decimal("48.25"),
        "USD",
    )


def test_it_leaves_out_plaid_accounts_and_lines_in_unofficial_currencies():
    world = _world()
    item = world["plaid"][0]
    item["accounts"] = [*item.get("accounts", []), {"account_id": "wallet", "balances": {
        "iso_currency_code": None, "unofficial_currency_code": "USDT"}}]
    item["transactions"] += [
        {"transaction_id": "usdt-1", "account_id": "wallet", "amount": -5, "date": "2025-03-03",
         "iso_currency_code": None, "unofficial_currency_code": "USDT", "pending": False},
        {"transaction_id": "btc-1", "account_id": "other", "amount": -5, "date": "2025-03-03",
         "iso_currency_code": None, "unofficial_currency_code": "BTC", "pending": False}]
    refs = {b.ref for b in inputs_from_world(world).bank_lines}
    assert "plaid:posted" in refs and not refs & {"plaid:usdt-1", "plaid:btc-1"}
