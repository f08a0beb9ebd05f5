"""Engine benchmark: a synthetic busy year (>= 1,000,000 platform items, >= 5,000 bank deposits).

Prints engine time, peak memory and precision/recall against the generated answer key, next to a
naive baseline (exact amount within +/-7 days, one-to-one, first come first served) run in the
same process on the same data. `python -m bench reconcile_engine [--items N] [--seed S]`.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import date, timedelta
from decimal import Decimal

from ledger.platforms import descriptor_keywords
from reconciliation.engine import BankLine, Connection, Inputs, Payout, PlatformItem, reconcile
from reconciliation.engine.export import export_result
from sandbox.scoring import score

START = date(2025, 1, 1)
CENT = Decimal("0.01")
SHOPS = [
    ("SHOPIFY", "SHOPIFY PAYMENTS DES:TRANSFER ID:ST-{n}"),
    ("AMAZON", "AMAZON.COM SERVICES DES:SETTLEMENT"),
    ("SQUARE", "SQ *SQUARE INC DES:SETTLEMENT"),
    ("STRIPE", "STRIPE DES:TRANSFER"),
    ("EBAY", "EBAY COMMERCE DES:PAYOUT"),
]


def _bank_day(d: date, lag: int) -> date:
    while lag or d.weekday() >= 5:
        d += timedelta(days=1)
        if d.weekday() < 5:
            lag = max(lag - 1, 0)
    return d


def generate(*, items_target: int, seed: int):
    rnd = random.Random(seed)
    conns, payouts, items, lines, truth = [], [], [], [], {}
    n_conns = 14
    days = 365
    per_payout = max(1, items_target // (n_conns * days))
    bank_n = 0

    def line(amount, on, desc):
        nonlocal bank_n
        bank_n += 1
        ref = f"plaid:b{bank_n}"
        lines.append(BankLine(ref, "plaid:acc", on, amount, "USD", desc))
        return ref

    for c in range(n_conns):
        platform, desc = SHOPS[c % len(SHOPS)]
        cref = f"rutter:c{c}"
        conns.append(Connection(cref, platform, True))
        for day_n in range(days):
            created = START + timedelta(days=day_n)
            pref = f"{cref}:po{day_n}"
            net = Decimal(0)
            for k in range(per_payout):
                gross = Decimal(rnd.randint(500, 20000)) * CENT
                kind = "refund" if rnd.random() < 0.03 else "sale"
                if kind == "refund":
                    gross = -gross / 4
                fee = (
                    (gross * Decimal("0.029") + Decimal("0.30")).quantize(CENT)
                    if kind == "sale"
                    else Decimal("0.00")
                )
                items.append(
                    PlatformItem(
                        f"{cref}:t{day_n}_{k}",
                        cref,
                        pref,
                        kind,
                        gross.quantize(CENT),
                        fee,
                        (gross - fee).quantize(CENT),
                        "USD",
                        created,
                        created,
                    )
                )
                net += (gross - fee).quantize(CENT)
            if rnd.random() < 0.02:  # a chargeback-heavy day: the platform debits the bank
                debit = Decimal(rnd.randint(100, 5000)) * CENT
                adj = -net - debit
                items.append(
                    PlatformItem(
                        f"{cref}:adj{day_n}",
                        cref,
                        pref,
                        "chargeback",
                        adj,
                        Decimal(0),
                        adj,
                        "USD",
                        created,
                        created,
                    )
                )
                net = -debit
            arrival = created + timedelta(days=2)
            payouts.append(Payout(pref, cref, platform, net, "USD", created, arrival, "paid"))
            lookalike = rnd.random() < 0.03  # same amount, not platform money, just before/after
            if lookalike:
                line(
                    net,
                    _bank_day(arrival, rnd.choice([0, 3])),
                    f"ACH CREDIT CUSTOMER INV {rnd.randint(1000, 9999)}",
                )
            if rnd.random() < 0.01:
                continue  # not in the bank feed (yet)
            refs = [pref]
            if platform == "STRIPE" and day_n % 9 == 1 and net > 0:
                # Two payouts arriving the same day, credited by the bank as one line.
                extra = Decimal(rnd.randint(1000, 90000)) * CENT
                xref = f"{cref}:po{day_n}x"
                items.append(
                    PlatformItem(
                        f"{cref}:x{day_n}",
                        cref,
                        xref,
                        "sale",
                        extra,
                        Decimal(0),
                        extra,
                        "USD",
                        created,
                        created,
                    )
                )
                payouts.append(Payout(xref, cref, platform, extra, "USD", created, arrival, "paid"))
                refs.append(xref)
                net += extra
            ref = line(
                net, _bank_day(arrival, rnd.choice([0, 0, 1, 1, 2])), desc.format(n=f"{c}{day_n}")
            )
            truth[ref] = {"payouts": sorted(refs)}
    # An Etsy shop (no payout objects): weekly deposits sweep what settled up to 2 days before.
    cref = "rutter:etsy"
    conns.append(Connection(cref, "ETSY", False))
    _swept, open_items = 0, []
    for day_n in range(days):
        on = START + timedelta(days=day_n)
        for k in range(rnd.randint(20, 40)):
            gross = Decimal(rnd.randint(800, 9000)) * CENT
            fee = (gross * Decimal("0.095")).quantize(CENT)
            it = PlatformItem(
                f"{cref}:t{day_n}_{k}",
                cref,
                None,
                "sale",
                gross,
                fee,
                gross - fee,
                "USD",
                on,
                on,
                fee_category="marketplace",
            )
            items.append(it)
            open_items.append(it)
        if on.weekday() == 0 and day_n > 3:
            cutoff = on - timedelta(days=2)
            batch = [i for i in open_items if i.settled_on <= cutoff]
            open_items = [i for i in open_items if i.settled_on > cutoff]
            ref = line(
                sum((i.net for i in batch), Decimal(0)), _bank_day(on, 1), "ETSY INC DES:DEPOSIT"
            )
            truth[ref] = {"inferred": {"connection": cref, "items": sorted(i.ref for i in batch)}}
    for _n in range(400):  # unrelated deposits and withdrawals
        line(
            Decimal(rnd.randint(-900000, 900000)) * CENT,
            START + timedelta(days=rnd.randrange(days)),
            rnd.choice(["GUSTO DES:NET", "ACH CREDIT", "CHECK DEPOSIT", "ADP PAYROLL"]),
        )
    return Inputs(
        bank_lines=tuple(lines),
        connections=tuple(conns),
        payouts=tuple(payouts),
        items=tuple(items),
        platform_keywords=descriptor_keywords(),
    ), {"format": "tieout.truth/1", "deposits": truth}


def naive(inputs: Inputs) -> dict:
    """Exact amount within +/-7 calendar days, one-to-one, bank lines in date order."""
    by_amount: dict = {}
    for p in inputs.payouts:
        by_amount.setdefault((p.currency, p.amount), []).append(p)
    used, rows = set(), []
    for b in sorted(inputs.bank_lines, key=lambda b: (b.date, b.ref)):
        row = {"bank": b.ref, "status": "unmatched"}
        for p in by_amount.get((b.currency, b.amount), ()):
            anchor = p.arrival_on or p.created_on
            if p.ref not in used and abs((b.date - anchor).days) <= 7:
                used.add(p.ref)
                row = {"bank": b.ref, "status": "matched", "payouts": [p.ref]}
                break
        rows.append(row)
    return {"deposits": rows}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench reconcile_engine")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    inputs, truth = generate(items_target=args.items, seed=args.seed)
    t1 = time.perf_counter()
    print(
        f"generated {len(inputs.items):,} items, {len(inputs.payouts):,} payouts, "
        f"{len(inputs.bank_lines):,} bank lines in {t1 - t0:.1f}s (rss {_rss_mb():.0f} MB)"
    )
    t2 = time.perf_counter()
    result = reconcile(inputs)
    t3 = time.perf_counter()
    s = score(export=export_result(result=result, inputs=inputs), truth=truth)
    print(
        f"engine:   {t3 - t2:6.2f}s  precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
        f"unbalanced payouts {len(s['payouts_unbalanced'])}  peak rss {_rss_mb():.0f} MB"
    )
    t4 = time.perf_counter()
    base = naive(inputs)
    t5 = time.perf_counter()
    b = score(export=base, truth=truth)
    print(f"baseline: {t5 - t4:6.2f}s  precision {b['precision']:.4f}  recall {b['recall']:.4f}")


if __name__ == "__main__":
    main()
