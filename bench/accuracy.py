"""`python -m bench accuracy [kind:seed ...]`: precision and recall per kind of deposit on
generated worlds, through the fast path (world file -> engine -> export -> sandbox.scoring).

Kinds of world (platform lists, days): `all` (the defaults, 45 days), `inferred` (stores without
payout objects, 60), `mixed` (foreign-currency payouts converted by the bank, 60), `orders`
(orders-only stores beside Shopify and Stripe, 60). Recall is split into
`explicit` (payouts in the bank's currency), `fx` (converted), `inferred` (transactions) and
`orders` (orders-only sweeps). Printed, not appended to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

KINDS = {
    "all": (None, 45),
    "inferred": (("WOO_COMMERCE", "BIG_COMMERCE", "SQUARESPACE", "ETSY"), 60),
    "mixed": (("SHOPIFY", "SHOPIFY:CAD", "SHOPIFY:EUR", "SQUARE:GBP", "EBAY:AUD", "STRIPE"), 60),
    "orders": (("BIG_COMMERCE", "SQUARESPACE", "SHOPIFY", "STRIPE"), 60),
}
DEFAULT = ("all:1", "all:2", "inferred:4", "inferred:5", "mixed:7", "mixed:8", "orders:10", "orders:11")


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def classify(truth: dict, inputs) -> dict[str, str]:
    """bank ref -> kind of its truth answer."""
    payouts = {p.ref: p for p in inputs.payouts}
    lines = {b.ref: b for b in inputs.bank_lines}
    from ledger.platforms import supports

    orders_only = {c.ref for c in inputs.connections if not supports(c.platform, "transactions")}
    out = {}
    for bank, entry in truth["deposits"].items():
        if entry.get("inferred"):
            out[bank] = "orders" if entry["inferred"]["connection"] in orders_only else "inferred"
        else:
            cur = {payouts[p].currency for p in entry["payouts"] if p in payouts}
            line = lines.get(bank)
            out[bank] = "fx" if line is not None and cur and cur != {line.currency} else "explicit"
    return out


def run(kind: str, seed: int) -> dict:
    from reconciliation.engine import reconcile
    from sandbox.generator import DEFAULT_PLATFORMS, generate
    from sandbox.scoring import score
    from sandbox.worldfile import export, inputs_from_world

    platforms, days = KINDS[kind]
    with tempfile.TemporaryDirectory() as tmp:
        world_path, truth_path = generate(seed=seed, days=days, out_prefix=Path(tmp) / "w",
                                          platforms=platforms or DEFAULT_PLATFORMS)
        world, truth = json.loads(world_path.read_text()), json.loads(truth_path.read_text())
    inputs = inputs_from_world(world)
    result = reconcile(inputs)
    report = score(export=export(result, inputs), truth=truth)
    kinds = classify(truth, inputs)
    status = {d.bank_ref: d.status for d in result.decisions}
    missed = set(report["missed_banks"])
    per = {}
    for k in sorted(set(kinds.values())):
        banks = [b for b, v in kinds.items() if v == k]
        hit = sum(1 for b in banks if b not in missed and b not in report["false_positive_banks"])
        per[k] = (hit, len(banks), Counter(status.get(b, "absent") for b in banks if b in missed))
    return {"precision": report["precision"], "fp": report["false_positive_banks"], "per": per,
            "fees_ok": report["fees_ok"], "balanced": report["payouts_balanced"]}


def main(args):
    _setup()
    for spec in args or DEFAULT:
        kind, _, seed = spec.partition(":")
        r = run(kind, int(seed or 1))
        parts = [f"{k} {h}/{n}={h / n:.4f}" + (f" (missed {dict(m)})" if m else "")
                 for k, (h, n, m) in r["per"].items()]
        print(f"{kind}:{seed} precision {r['precision']:.4f} fp {len(r['fp'])} | " + " | ".join(parts)
              + f" | fees_ok {r['fees_ok']}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
