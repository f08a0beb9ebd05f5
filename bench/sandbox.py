"""Pages per second the sandbox serves for a large generated world, against a baseline measured in
the same run on the same server: a trivial static endpoint (/_sandbox/ping).

    python -m bench sandbox [--days 60] [--scale 3] [--seconds 3] [--no-append]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from sandbox.generator import generate
from sandbox.server import SandboxServer
from sandbox.world import load_world

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def _rate(fn, seconds: float) -> tuple[float, int]:
    """Calls per second of fn over about `seconds` (fn returns the objects it fetched)."""
    calls = objects = 0
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    while time.perf_counter() < deadline:
        objects += fn()
        calls += 1
    return calls / (time.perf_counter() - began), objects


def main(argv=()):
    parser = argparse.ArgumentParser(prog="python -m bench sandbox")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scale", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(list(argv))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        world_path, _ = generate(seed=42, days=args.days, scale=args.scale, out_prefix=Path(tmp) / "big")
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        world = load_world(world_path)
        load_s = time.perf_counter() - t0
        size_mb = world_path.stat().st_size / 1e6
    n_txn = sum(len(c.transactions) for c in world.rutter) + sum(len(a.balance_transactions) for a in world.stripe)
    biggest = max(world.rutter, key=lambda c: len(c.transactions))
    acct = world.stripe[0].account_id
    item = world.plaid[0]
    with SandboxServer(world, rutter_rate_limit=None) as sb:
        c = sb.credentials
        client = httpx.Client(timeout=30)
        rutter = {"cursor": None}
        stripe = {"after": None}
        plaid = {"cursor": ""}

        def ping():
            client.get(sb.base_url + "/_sandbox/ping")
            return 0

        def rutter_page():  # walk /transactions 500 at a time, wrapping around at the end
            params = {"access_token": biggest.access_token, "limit": 500,
                      **({"cursor": rutter["cursor"]} if rutter["cursor"] else {})}
            body = client.get(sb.rutter_base_url + "/transactions", params=params,
                              auth=(c.rutter_client_id, c.rutter_client_secret),
                              headers={"X-Rutter-Version": "2024-08-31"}).json()
            rutter["cursor"] = body["next_cursor"]
            return len(body["transactions"])

        def stripe_page():
            params = {"limit": 100, **({"starting_after": stripe["after"]} if stripe["after"] else {})}
            body = client.get(sb.stripe_api_base + "/v1/balance_transactions", params=params,
                              headers={"Authorization": f"Bearer {c.stripe_secret_key}",
                                       "Stripe-Account": acct}).json()
            stripe["after"] = body["data"][-1]["id"] if body["has_more"] else None
            return len(body["data"])

        def plaid_page():
            body = client.post(sb.plaid_base_url + "/transactions/sync", json={
                "client_id": c.plaid_client_id, "secret": c.plaid_secret,
                "access_token": item.access_token, "cursor": plaid["cursor"], "count": 500}).json()
            plaid["cursor"] = body["next_cursor"] if body["has_more"] else ""
            return len(body["added"]) + len(body["modified"]) + len(body["removed"])

        for fn in (ping, rutter_page, stripe_page):  # warm the encoders' caches and connections
            fn()
        results = {name: _rate(fn, args.seconds) for name, fn in
                   (("baseline ping", ping), ("rutter /transactions limit=500", rutter_page),
                    ("stripe /v1/balance_transactions limit=100", stripe_page),
                    ("plaid /transactions/sync count=500", plaid_page))}
        client.close()
    base = results["baseline ping"][0]
    lines = [f"world: {n_txn:,} platform transactions, {size_mb:.1f} MB; generated in {gen_s:.1f}s, "
             f"loaded in {load_s:.1f}s", "", "| endpoint | pages/s | objects/s | vs baseline |",
             "| --- | ---: | ---: | ---: |"]
    for name, (rate, objects) in results.items():
        per_s = objects / args.seconds
        lines.append(f"| {name} | {rate:,.0f} | {per_s:,.0f} | {rate / base:.2f}x |")
    report = "\n".join(lines)
    print(report)
    if not args.no_append:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with open(RESULTS, "a", encoding="utf-8") as fh:
            fh.write(f"\n## sandbox — {stamp}\n\n`python -m bench sandbox --days {args.days} --scale {args.scale}` "
                     f"(one keep-alive client, sequential, same server for baseline)\n\n{report}\n")


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
