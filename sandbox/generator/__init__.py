"""Realistic world generator: `generate(seed=…, days=…, out_prefix=…)` writes
PREFIX.world.json (tieout.world/1) and PREFIX.truth.json (tieout.truth/1), streaming both.

The world ends on its last day: what happens that day (new orders and transactions, payouts
created or landing, bank lines posting) is written as `events`, so incremental sync and webhooks
have something to do. The truth describes the final state, after every event is applied.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

from .bank import BankGenerator
from .common import Context, Ids
from .rutter import PROFILES, RutterGenerator
from .stripe import StripeGenerator
from .writer import WorldWriter

DEFAULT_PLATFORMS = ("SHOPIFY", "AMAZON", "EBAY", "SQUARE", "WOO_COMMERCE", "BIG_COMMERCE", "SQUARESPACE",
                     "ETSY", "STRIPE", "SHOPIFY:CAD")
COMPANIES = ("Acme Goods", "Juniper & Pine", "Northwind Supply", "Bluebird Ceramics", "Tidewater Outfitters")


def parse_platform(spec: str) -> tuple[str, str]:
    """"SHOPIFY" or "SHOPIFY:CAD" -> (platform, currency); ValueError for unknown platforms."""
    platform, _, currency = spec.strip().upper().partition(":")
    if platform != "STRIPE" and platform not in PROFILES:
        raise ValueError(f"unknown platform {platform!r}; expected STRIPE or one of {', '.join(PROFILES)}")
    if currency and platform == "STRIPE":
        raise ValueError("a direct Stripe account settles in USD here; drop the currency")
    if currency and currency != "USD":
        from .bank import FX_CURRENCIES
        if currency not in FX_CURRENCIES:
            raise ValueError(f"unsupported payout currency {currency!r}; use one of {', '.join(FX_CURRENCIES)}")
    return platform, currency or "USD"


def generate(*, seed: int, days: int, out_prefix: str | Path, platforms=DEFAULT_PLATFORMS,
             scale: float = 1.0, start: date | None = None) -> tuple[Path, Path]:
    if days < 2:
        raise ValueError("days must be at least 2")
    specs = [parse_platform(p) for p in platforms]
    rng = random.Random(seed)
    company = rng.choice(COMPANIES)
    start = start or date(2025, 1, 1) + timedelta(days=rng.randrange(0, 120))
    ctx = Context(rng=rng, ids=Ids(rng), start=start, days=days, scale=scale, company=company)
    rutter_gens, stripe_gens = [], []
    for platform, currency in specs:
        if platform == "STRIPE":
            stripe_gens.append(StripeGenerator(ctx))
        else:
            name = f"{company} on {platform.replace('_', ' ').title()}" + (f" ({currency})" if currency != "USD" else "")
            rutter_gens.append(RutterGenerator(ctx, platform, currency, name))
    world_path = Path(f"{out_prefix}.world.json")
    truth_path = Path(f"{out_prefix}.truth.json")
    world_path.parent.mkdir(parents=True, exist_ok=True)
    with open(world_path, "w", encoding="utf-8") as out:
        writer = WorldWriter(out, {"name": f"{company} LLC", "currency": "USD", "timezone": "America/New_York"})
        # Day by day across all connections so the shared random stream interleaves like real life;
        # each connection's objects stream to its own spool files meanwhile.
        gens = rutter_gens + stripe_gens
        for d in ctx.dates():
            for gen in gens:
                gen.day(d)
        for gen in stripe_gens:
            gen.finish()
        writer.section("rutter")
        for gen in rutter_gens:
            writer.connection(gen.header, gen.spools)
        writer.section("stripe")
        for gen in stripe_gens:
            writer.connection(gen.header, gen.spools)
        bank = BankGenerator(ctx)
        bank.settle(ctx.settlements)
        bank.noise()
        writer.section("plaid")
        writer.item(bank.item())
        writer.section("events")
        for event in sorted(ctx.events, key=lambda e: e["at"]):
            writer.item(event)
        writer.close()
    with open(truth_path, "w", encoding="utf-8") as out:
        json.dump(bank.finish_truth(), out, indent=1)
    return world_path, truth_path
