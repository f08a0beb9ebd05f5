"""Accuracy on generated worlds, every hard case on (issue 5, "Done when"):

- precision 1.0: no false automatic match, ever;
- recall >= 0.99 for platforms with payout objects, >= 0.97 for inferred payouts;
- every exported payout balanced; fee totals equal the truth per connection.

The many-seed test runs the engine through the fast path (world file -> engine inputs) on every
platform of the generator, several currencies included; one test runs the whole product
(`run_world`: sandbox -> real clients -> database -> engine -> bookings -> export) on one small
world, scored the same way.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from reconciliation.engine import reconcile
from sandbox.generator import DEFAULT_PLATFORMS, generate
from sandbox.scoring import score
from sandbox.worldfile import export, inputs_from_world

# (seed, days): a spread of companies, start dates and world lengths.
WORLDS = [
    (1, 60),
    (2, 45),
    (3, 30),
    (5, 40),
    (7, 60),
    (11, 35),
    (13, 30),
    (19, 30),
    (23, 50),
    (42, 30),
    # Longer worlds where a deposit paid through a shared gateway (PAYPAL, BRAINTREE, STRIPE)
    # was once applied to a weaker, coincidental grouping of another platform while its own,
    # stronger reading was blocked by answers that were never applied (now: it waits).
    (202, 90),
    (808, 120),
]
PRECISION = 1.0
RECALL_EXPLICIT = 0.99
RECALL_INFERRED = 0.97


# Every platform of the generator, orders-only stores (BigCommerce, Squarespace: their deposits
# inferred from orders, issue 15) included.
ALL_PLATFORMS = DEFAULT_PLATFORMS


def _world(tmp_path, seed: int, days: int, platforms=ALL_PLATFORMS) -> tuple[dict, dict, str, str]:
    world_path, truth_path = generate(seed=seed, days=days, out_prefix=tmp_path / f"w{seed}",
                                      platforms=platforms)
    with open(world_path) as w, open(truth_path) as t:
        world, truth = json.load(w), json.load(t)
    return world, truth, str(world_path), str(truth_path)


def _failures(report: dict) -> list[str]:
    out = []
    if report["precision"] < PRECISION:
        out.append(f"false positives {report['false_positive_banks']}")
    if report["recall_explicit"] < RECALL_EXPLICIT:
        out.append(f"explicit recall {report['recall_explicit']:.4f}")
    if report["recall_inferred"] < RECALL_INFERRED:
        out.append(f"inferred recall {report['recall_inferred']:.4f}")
    if not report["payouts_balanced"]:
        out.append(f"unbalanced payouts {report['payouts_unbalanced'][:5]}")
    bad_fees = {k: v for k, v in report["fees"].items() if not v["ok"]}
    if bad_fees:
        out.append(f"fees differ from the truth {bad_fees}")
    if report["recall"] < 1.0:
        out.append(f"(missed {report['missed_banks'][:10]})")
    return out


def test_it_meets_the_accuracy_targets_on_many_generated_worlds(tmp_path):
    problems = {}
    totals = {"truth_deposits": 0, "true_positives": 0}
    for seed, days in WORLDS:
        world, truth, _, _ = _world(tmp_path, seed, days)
        inputs = inputs_from_world(world)
        report = score(export=export(reconcile(inputs), inputs), truth=truth)
        assert report["truth_deposits"] > 50  # every platform produced deposits
        totals["truth_deposits"] += report["truth_deposits"]
        totals["true_positives"] += report["true_positives"]
        failures = _failures(report)
        # Misses alone (listed last) are informative; only threshold breaches fail.
        if [f for f in failures if not f.startswith("(missed")]:
            problems[(seed, days)] = failures
    assert not problems, problems
    assert totals["true_positives"] / totals["truth_deposits"] >= RECALL_EXPLICIT


def test_it_infers_orders_only_sweeps_without_a_false_match(tmp_path):
    for seed, days in [(23, 50), (1, 60), (2, 45)]:
        world, truth, _, _ = _world(tmp_path, seed, days, platforms=("BIG_COMMERCE", "SQUARESPACE", "STRIPE"))
        inputs = inputs_from_world(world)
        report = score(export=export(reconcile(inputs), inputs), truth=truth)
        assert report["precision"] == PRECISION, (seed, report["false_positive_banks"])
        assert report["recall_inferred"] >= RECALL_INFERRED, (seed, report["missed_banks"][:5])
        assert report["fees_ok"], (seed, report["fees"])


# Foreign-currency stores deposited into a USD account at the day's rate less the bank's spread,
# the bank printing no original amount for most (issue 15: FX without a supplied rate table).
MIXED = ("SHOPIFY", "SHOPIFY:CAD", "SHOPIFY:EUR", "SQUARE:GBP", "EBAY:AUD", "STRIPE")


def test_converted_payouts_meet_the_target_on_mixed_currency_worlds(tmp_path):
    for seed in (7, 8, 10):
        world, truth, _, _ = _world(tmp_path, seed, 60, platforms=MIXED)
        inputs = inputs_from_world(world)
        report = score(export=export(reconcile(inputs), inputs), truth=truth)
        assert report["precision"] == PRECISION, (seed, report["false_positive_banks"])
        assert report["recall_explicit"] >= RECALL_EXPLICIT, (seed, report["missed_banks"][:5])
        assert report["payouts_balanced"], (seed, report["payouts_unbalanced"][:5])


@pytest.mark.django_db(transaction=True)
def test_the_whole_product_meets_the_targets_on_a_generated_world(tmp_path, capsys):
    _, truth, world_path, truth_path = _world(tmp_path, 8, 21)
    export_path = tmp_path / "export.json"
    call_command("run_world", world_path, export=str(export_path))
    with open(export_path) as fh:
        exported = json.load(fh)
    report = score(export=exported, truth=truth)
    failures = [f for f in _failures(report) if not f.startswith("(missed")]
    assert not failures, failures
    assert exported["ledger"]["balanced"] is True
    call_command("score_world", str(export_path), truth_path)
    assert "fees equal truth per connection: True" in capsys.readouterr().out
