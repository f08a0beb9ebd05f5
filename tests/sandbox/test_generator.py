"""Generated worlds are internally consistent: payouts equal their items, and the answer key agrees
with the world (after its events are applied), for many seeds."""

import json
from datetime import date
from decimal import Decimal

import httpx
import pytest

from sandbox.events import apply_events
from sandbox.generator import generate
from sandbox.generator.bank import FX_SPREADS, market_rate
from sandbox.generator.rutter import PROFILES
from sandbox.server import SandboxServer
from sandbox.state import Credentials, SandboxState
from sandbox.world import load_world

SEEDS = range(12)


def D(x) -> Decimal:
    return Decimal(str(x))


def rutter_effect(txn: dict) -> Decimal:
    """How a Rutter transaction moves the payout: by type and absolute value, as Rutter advises."""
    value = abs(D(txn["amount"]))
    kind = txn["type"]
    if kind == "sale":
        return value - abs(D(txn.get("fee") or 0))
    if kind in ("refund", "fee"):
        return -value
    if kind == "other":  # reserves: the sign says which way the money went
        return D(txn["amount"])
    return Decimal("0")


def order_net(platform: str, order: dict) -> Decimal:
    """What a paid order of an orders-only store adds to its sweep: the total less the gateway's
    fee (the platform's card rate; reported nowhere)."""
    profile, total = PROFILES[platform], D(order["total_price"])
    return total - (total * D(profile.fee_rate)).quantize(D("0.01"), "ROUND_HALF_UP") - D(profile.fee_fixed)


def final_state(world_path):
    state = SandboxState(load_world(world_path), Credentials())
    apply_events(state, None)
    return state


def live(coll):
    return [coll.items[i] for i in coll.scan(0)]


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    out = []
    for seed in SEEDS:
        prefix = tmp_path_factory.mktemp("gen") / f"s{seed}"
        world, truth = generate(seed=seed, days=16, scale=0.25, out_prefix=prefix)
        out.append((seed, world, json.loads(truth.read_text()), final_state(world)))
    return out


def test_it_makes_every_rutter_payout_equal_its_items(worlds):
    checked = 0
    for _, _, _, state in worlds:
        for rs in state.rutter.values():
            for payout in live(rs.payouts):
                items = [rs.transactions.get(t) for t in payout["transaction_ids"]]
                assert sum((rutter_effect(t) for t in items), Decimal("0")) == D(payout["amount"]), payout["id"]
                checked += 1
    assert checked > 100


def test_it_makes_every_stripe_payout_equal_its_balance_transactions(worlds):
    for _, _, _, state in worlds:
        for ss in state.stripe.values():
            for payout in live(ss.payouts):
                bts = [ss.balance_transactions.items[i] for i in ss.by_payout[payout["id"]]]
                own = [b for b in bts if b["id"] == payout["balance_transaction"]]
                items = [b for b in bts if b["id"] != payout["balance_transaction"]]
                assert len(own) == 1 and own[0]["amount"] == -payout["amount"] and own[0]["type"] == "payout"
                assert own[0]["net"] == own[0]["amount"] - own[0]["fee"]
                if not payout["automatic"]:  # an Instant Payout: a fee on top, nothing itemized
                    assert payout["method"] == "instant" and own[0]["fee"] > 0 and not items
                    assert own[0]["fee_details"][0]["description"] == "Instant Payout fee"
                    continue
                assert own[0]["fee"] == 0
                assert sum(b["net"] for b in items) == payout["amount"]
                assert all(b["net"] == b["amount"] - b["fee"] and b["currency"] == "usd" for b in items)


def test_it_makes_instant_and_failed_payouts_whose_money_comes_back(worlds):
    kinds = set()
    for _, _, truth, state in worlds:
        deposited = {p for answer in truth["deposits"].values() for p in answer.get("payouts", [])}
        deposited |= set(truth["payouts_not_deposited"])  # on its way on the world's last day
        for ss in state.stripe.values():
            ref = f"stripe:{ss.acct.account_id}"
            for payout in live(ss.payouts):
                if not payout["automatic"]:
                    kinds.add("instant")
                    assert f"{ref}:{payout['id']}" in deposited
                if payout["status"] == "failed":
                    kinds.add("failed")
                    assert f"{ref}:{payout['id']}" not in deposited  # it never reaches the bank, nor ever will
                    back = ss.balance_transactions.get(payout["failure_balance_transaction"])
                    assert back["type"] == "payout_failure" and back["amount"] == payout["amount"]
                    assert back["source"] == payout["id"]
                    later = [p for p, positions in ss.by_payout.items()
                             if ss.balance_transactions.position[back["id"]] in positions]
                    assert later and later != [payout["id"]]  # paid out again by a later payout
    assert kinds == {"instant", "failed"}


def test_it_writes_truth_consistent_with_the_world(worlds):
    for seed, _, truth, state in worlds:
        item = next(iter(state.plaid.values()))
        posted = {t["transaction_id"]: t for t in item.live.values() if not t["pending"]}
        payouts = {}
        for rs in state.rutter.values():
            payouts.update({f"rutter:{rs.conn.connection_id}:{p['id']}": (D(p["amount"]), p["iso_currency_code"])
                            for p in live(rs.payouts)})
        for ss in state.stripe.values():
            payouts.update({f"stripe:{ss.acct.account_id}:{p['id']}": (D(p["amount"]) / 100, "USD")
                            for p in live(ss.payouts) if p["status"] != "failed"})  # failed: never deposited
        seen = []
        for ref, answer in truth["deposits"].items():
            bank = posted[ref.removeprefix("plaid:")]
            received = -D(bank["amount"])
            if "payouts" in answer:
                seen += answer["payouts"]
                total = sum(payouts[p][0] for p in answer["payouts"])
                currency = payouts[answer["payouts"][0]][1]
            else:
                conn = state.rutter[answer["inferred"]["connection"].removeprefix("rutter:")]
                ids = [i.rsplit(":", 1)[1] for i in answer["inferred"]["items"]]
                if conn.conn.platform in ("BIG_COMMERCE", "SQUARESPACE"):  # orders only
                    total = sum(order_net(conn.conn.platform, conn.orders.get(i)) for i in ids)
                else:
                    total = sum(rutter_effect(conn.transactions.get(i)) for i in ids)
                currency = "USD"
                assert conn.conn.platform in ("WOO_COMMERCE", "BIG_COMMERCE", "SQUARESPACE", "ETSY")
            if currency == "USD":
                assert received == total, (seed, ref)
            else:
                # the day's market rate less the bank's spread (converted on arrival, posted later)
                market = D(market_rate(currency, date.fromisoformat(bank["date"])))
                low, high = D(1 - FX_SPREADS[1]) - D("0.02"), D(1 - FX_SPREADS[0]) + D("0.02")
                assert total * market * low <= received <= total * market * high, (seed, ref)
        seen += truth["payouts_not_deposited"]
        assert sorted(seen) == sorted(payouts), seed  # every explicit payout accounted for once
        for ref in truth["non_payout_deposits"]:
            assert ref not in truth["deposits"] and D(posted[ref.removeprefix("plaid:")]["amount"]) < 0
        deposits = {f"plaid:{i}" for i, t in posted.items() if t["amount"] < 0}
        assert deposits <= set(truth["deposits"]) | set(truth["non_payout_deposits"])
        for ref in truth["pending"]:
            assert item.live[ref.removeprefix("plaid:")]["pending"] is True


def test_it_totals_fees_per_connection_in_the_truth(worlds):
    for _, _, truth, state in worlds:
        for rs in state.rutter.values():
            total = Decimal("0")
            for t in live(rs.transactions):
                total += abs(D(t.get("fee") or 0)) + (abs(D(t["amount"])) if t["type"] == "fee" else 0)
            if rs.conn.platform in ("BIG_COMMERCE", "SQUARESPACE"):  # orders only: the gateway's fee
                assert not live(rs.transactions)
                total = sum((D(o["total_price"]) - order_net(rs.conn.platform, o) for o in live(rs.orders)), total)
            currency = next(iter(truth["fees"][f"rutter:{rs.conn.connection_id}"]))
            assert D(truth["fees"][f"rutter:{rs.conn.connection_id}"][currency]) == total
        for ss in state.stripe.values():
            bts = live(ss.balance_transactions)
            total = sum(b["fee"] for b in bts) - sum(b["amount"] for b in bts if b["type"] == "stripe_fee")
            assert D(truth["fees"][f"stripe:{ss.acct.account_id}"]["USD"]) == D(total) / 100


def test_it_covers_the_hard_cases_across_seeds(worlds):
    seen = set()
    for _, _, truth, state in worlds:
        answers = list(truth["deposits"].values())
        seen |= {"combined" for a in answers if len(a.get("payouts", [])) > 1}
        seen |= {"inferred" for a in answers if "inferred" in a}
        seen |= {"in_transit"} if truth["payouts_not_deposited"] else set()
        seen |= {"pending"} if truth["pending"] else set()
        for rs in state.rutter.values():
            seen |= {"negative" for p in live(rs.payouts) if p["amount"] < 0}
            seen |= {"foreign" for p in live(rs.payouts) if p["iso_currency_code"] != "USD"}
            seen |= {"reserve" for t in live(rs.transactions) if t["type"] == "other"}
            seen |= {"positive_refund" for t in live(rs.transactions) if t["type"] == "refund" and t["amount"] > 0}
            seen |= {"negative_refund" for t in live(rs.transactions) if t["type"] == "refund" and t["amount"] < 0}
        for ss in state.stripe.values():
            seen |= {"dispute" for b in live(ss.balance_transactions) if b["reporting_category"] == "dispute"}
        seen |= {"events"} if state.world.events else set()
    assert seen >= {"combined", "inferred", "in_transit", "pending", "negative", "foreign", "reserve",
                    "positive_refund", "negative_refund", "dispute", "events"}


def test_it_is_deterministic_per_seed(tmp_path):
    a, _ = generate(seed=5, days=5, scale=0.2, out_prefix=tmp_path / "a")
    b, _ = generate(seed=5, days=5, scale=0.2, out_prefix=tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_it_serves_a_generated_world_whose_stripe_payouts_sum_over_http(worlds):
    _, world_path, _, _ = worlds[0]
    with SandboxServer(load_world(world_path)) as sb:
        acct = sb.state.world.stripe[0].account_id
        headers = {"Authorization": f"Bearer {sb.credentials.stripe_secret_key}", "Stripe-Account": acct}
        with httpx.Client(base_url=sb.stripe_api_base, headers=headers) as client:
            payout = client.get("/v1/payouts", params={"limit": 1, "status": "paid"}).json()["data"][0]
            data, after = [], None
            while True:
                page = client.get("/v1/balance_transactions", params={
                    "payout": payout["id"], "limit": 100, **({"starting_after": after} if after else {})}).json()
                data += page["data"]
                if not page["has_more"]:
                    break
                after = page["data"][-1]["id"]
        assert sum(b["net"] for b in data if b["type"] != "payout") == payout["amount"]
        assert [b["source"] for b in data if b["type"] == "payout"] == [payout["id"]]


def test_it_writes_bank_lines_with_every_location_and_payment_meta_key(worlds):
    """plaid-python requires all eight keys of both objects (null allowed); `{}` is rejected."""
    from sandbox.plaid_shapes import LOCATION_KEYS, PAYMENT_META_KEYS

    world = load_world(worlds[0][1])
    txns = [t for item in world.plaid for t in item.transactions]
    assert txns
    for txn in txns:
        assert set(txn["location"]) == set(LOCATION_KEYS)
        assert set(txn["payment_meta"]) == set(PAYMENT_META_KEYS)
