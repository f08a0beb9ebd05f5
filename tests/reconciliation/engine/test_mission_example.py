import json
from decimal import Decimal
from pathlib import Path

from reconciliation.engine import reconcile
from sandbox.scoring import score
from sandbox.worldfile import export, inputs_from_world

DATA = Path(__file__).resolve().parents[2] / "data"
SHOP = "rutter:11111111-1111-4111-8111-111111111111"
AMZ = "rutter:22222222-2222-4222-8222-222222222222"


def _run():
    world = json.loads((DATA / "mission-example.world.json").read_text())
    inp = inputs_from_world(world)
    result = reconcile(inp)
    return inp, result, export(result, inp)


def test_it_matches_both_deposits_to_the_right_payouts():
    _, result, _ = _run()
    assert result.decision_for("plaid:bank-txn-1").status == "matched"
    assert result.decision_for("plaid:bank-txn-1").payout_refs == (f"{SHOP}:shp-po-3001",)
    assert result.decision_for("plaid:bank-txn-2").status == "matched"
    assert result.decision_for("plaid:bank-txn-2").payout_refs == (f"{AMZ}:amz-po-9001",)


def test_it_leaves_the_wholesale_look_alike_and_payroll_alone():
    _, result, _ = _run()
    assert result.decision_for("plaid:bank-txn-4").status == "unmatched"
    assert result.decision_for("plaid:bank-txn-3").status == "unmatched"


def test_it_books_the_fees_and_balances_the_payouts():
    _, result, exp = _run()
    fees = {b.connection_ref: b.fees for b in result.breakdowns}
    assert fees == {SHOP: Decimal("-117.20"), AMZ: Decimal("-460.00")}
    assert all(b.balanced for b in result.breakdowns)
    shop = next(b for b in result.breakdowns if b.connection_ref == SHOP)
    assert (shop.gross, shop.refunds, shop.net) == (
        Decimal("4000.00"),
        Decimal("-32.80"),
        Decimal("3850.00"),
    )
    assert {(e["connection"], e["amount"]) for e in exp["expenses"]} == {
        (SHOP, "117.20"),
        (AMZ, "460.00"),
    }


def test_it_scores_perfectly_against_the_truth_file():
    _, _, exp = _run()
    truth = json.loads((DATA / "mission-example.truth.json").read_text())
    s = score(export=exp, truth=truth)
    assert (s["precision"], s["recall"]) == (1.0, 1.0)
    assert s["payouts_balanced"] and s["fees_ok"]
