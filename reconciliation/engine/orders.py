"""Orders-only stores: deposits explained from paid orders net of a fee nothing reports.

Rutter serves BigCommerce and Squarespace through `/orders` alone (no transactions, no payouts),
and their gateways (PayPal, Braintree, Stripe, Squarespace Payments) keep a per-order fee the
order does not carry. A deposit is still a *sweep*: a run of consecutive paid orders (and
refunds) in settlement time, each sale net of `round(rate x gross + fixed)`, refunds returning
no fee (Stripe, PayPal and Squarespace keep the original fee on a refund). The schedule is
unknown, so it is chosen per connection, by evidence:

1. a schedule stored for the connection (`FeeSchedule`; person- or learned-confirmed ones are
   used as they are);
2. else hypotheses: the platform's documented rate cards (`ledger.platforms.FEE_CARDS`), and
   schedules *fitted* to the deposits (each run of orders near a deposit implies a rate for each
   common fixed fee; rates that several deposits imply are tried), each under the three rounding
   rules gateways use (half up, half even, down: Braintree rounds fees down);
3. a hypothesis is judged by its **chained sole ties**: deposits naming the platform (or its
   gateway) that exactly one run of orders explains to the cent, on a chain of at least
   `CONFIRM_K` (3) such runs that tile the timeline (each starts right after the previous one
   ends). A wrong rate tying one deposit exactly is a ~1/(order size in cents) chance per run
   end; three coincidental runs that also adjoin each other are negligible, so such a schedule
   counts as confirmed for this run. Two hypotheses whose chains put one deposit on different
   runs confirm neither.

The chosen schedule prices the orders into ordinary `PlatformItem`s, and the inferred-payout
machinery (inferred.py) finds, ranks and resolves their windows like any store's transactions.
Until the schedule is confirmed, an orders-only window is a suggestion at best (`auto=False`),
though it competes at full strength: two windows that tie stay ambiguous either way.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from ledger.money import minor_exponent, minor_unit

from .deposits import LineView
from .inferred import Book, settlement_order, windows
from .inferred import units as _units
from .types import Connection, FeeSchedule, PlatformItem, Settings

ROUNDINGS = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
CONFIRM_K = 3  # chained sole ties that confirm a schedule within a run
# Fixed per-order fees in use (cents): Stripe/Squarespace Payments 30, PayPal/Braintree 49, ...
FIXED_CENTS = (0, 5, 10, 15, 20, 25, 29, 30, 35, 39, 40, 45, 49, 50)
MAX_FIXED = FIXED_CENTS[-1]
MAX_RATE_BP = 700  # a fitted rate above 7 % is not a card rate
FITTED_BINS = 4  # most-voted (fixed, rate) pairs tried
# Runs looked at when fitting a rate: a store with a thousand orders a day has ~10^8 runs near its
# deposits (a realistic year took minutes and gigabytes). Deposits are read oldest first, and the
# fit stops when the budget is spent: what was found by then votes (fewer confirmations at
# worst, never a different answer for the same evidence).
FIT_BUDGET = 3_000_000
UNCONFIRMED = (
    "the store reports no fees: priced with {}, not yet confirmed by a person or by {} "
    "deposits tied exactly, so it is a suggestion"
)


def order_fee(gross: Decimal, s: FeeSchedule, currency: str) -> Decimal:
    """The gateway's fee on a sale of `gross` (refunds and zero orders carry none)."""
    if gross <= 0:
        return Decimal(0)
    unit, rounding = minor_unit(currency), ROUNDINGS[s.rounding]
    fee = (gross * s.rate + s.fixed).quantize(unit, rounding=rounding)
    if s.extra_rate:
        fee += (gross * s.extra_rate).quantize(unit, rounding=rounding)
    return min(fee, gross)


def priced(orders: list[PlatformItem], s: FeeSchedule) -> list[PlatformItem]:
    """The orders with their fee under `s`. Copies are made field by field, as
    dataclasses.replace would, without its per-call introspection: every hypothesis prices every
    open order (a realistic year: 2 million copies, 23 s through replace)."""
    out = []
    for o in orders:
        fee = order_fee(o.gross, s, o.currency) if o.kind == "sale" else Decimal(0)
        copy = object.__new__(PlatformItem)
        copy.__dict__.update(o.__dict__, fee=fee, net=o.gross - fee)
        out.append(copy)
    return out


def _rounded(n: int, d: int, rounding: str) -> int:
    """n / d (n >= 0, d > 0) to an integer under `rounding`, exactly as Decimal.quantize rounds."""
    q, r = divmod(n, d)
    if rounding == "down" or 2 * r < d:
        return q
    if 2 * r > d or rounding == "half_up":
        return q + 1
    return q + (q & 1)  # half even, on a tie


class _Pricer:
    """Nets in `inferred._units` of one store's open orders under fee hypotheses, in integers
    (each hypothesis prices every open order: a realistic year, ~40 hypotheses of ~37,000
    orders; in Decimal, with a copy of each order to carry its fee, that was a large part of the
    fee choice). A rate is an exact ratio (Decimal.as_integer_ratio), so the fee
    `round(gross x rate + fixed)` is the same integer Decimal would round to; an order whose gross
    is not a whole number of minor units is priced by `order_fee` itself."""

    def __init__(self, orders: list[PlatformItem]):
        self.rows = []  # (gross in minor units or None, minor exponent, is a sale, order)
        for o in orders:
            e = minor_exponent(o.currency)
            g = o.gross.scaleb(e)
            whole = e <= 3 and g == g.to_integral_value()
            self.rows.append((int(g) if whole else None, e, o.kind == "sale" and o.gross > 0, o))

    def units(self, s: FeeSchedule) -> list[int]:
        ra, rb = s.rate.as_integer_ratio()
        fa, fb = s.fixed.as_integer_ratio()
        xa, xb = s.extra_rate.as_integer_ratio()
        out = []
        nets: dict[tuple[int, int], int] = {}  # (gross, exponent) -> net: order totals repeat
        for g, e, sale, o in self.rows:
            if g is None:
                out.append(_units(o.gross - (order_fee(o.gross, s, o.currency) if sale else 0)))
                continue
            if sale:
                net = nets.get((g, e))
                if net is None:
                    fee = _rounded(g * ra * fb + fa * 10**e * rb, rb * fb, s.rounding)
                    if xa:
                        fee += _rounded(g * xa, xb, s.rounding)
                    net = nets[(g, e)] = g - min(fee, g)
                g = net
            out.append(g * 10 ** (3 - e))
        return out


def describe(s: FeeSchedule) -> str:
    extra = f" + {s.extra_rate * 100:.2f}% plan fee" if s.extra_rate else ""
    return f"{s.rate * 100:.2f}% + {s.fixed}{extra} ({s.source}, rounded {s.rounding.replace('_', ' ')})"


@dataclass(frozen=True)
class Choice:
    schedule: FeeSchedule
    confirmed: bool
    evidence: int  # chained sole ties


def _cents(x: Decimal) -> int:
    return int(x.scaleb(2))


def _chained_ties(book: Book, views: list[LineView], s: Settings):
    """bank ref -> (first, last) order ref of its sole window, for the sole windows that lie on
    a chain of >= CONFIRM_K adjoining sole windows (each starting right after the previous one
    ends). Coincidental windows land anywhere: two adjoining is a ~1/(orders) chance, a chain
    of three next to nothing."""
    if not book.items:
        return {}
    sole = {}
    for v in views:
        found = windows(book, v, s)
        if len(found) == 1:
            sole[v.line.ref] = found[0]
    spans = sorted(set(sole.values()))
    by_end = defaultdict(list)
    for w in spans:
        by_end[w[1]].append(w)
    before: dict[tuple, int] = {}  # longest chain ending with this window
    for w in spans:
        before[w] = 1 + max((before[p] for p in by_end.get(w[0] - 1, ())), default=0)
    after: dict[tuple, int] = {}  # longest chain starting with it
    by_start = defaultdict(list)
    for w in spans:
        by_start[w[0]].append(w)
    for w in reversed(spans):
        after[w] = 1 + max((after[n] for n in by_start.get(w[1] + 1, ())), default=0)
    return {
        ref: (book.items[a].ref, book.items[b].ref)
        for ref, (a, b) in sole.items()
        if before[(a, b)] + after[(a, b)] - 1 >= CONFIRM_K
    }


def _fitted(items: list[PlatformItem], views: list[LineView], s: Settings) -> list[tuple]:
    """(rate, fixed) pairs that runs of orders before several deposits imply: for a run of
    gross G (n sales) before a deposit D, rate = (G - D - n x fixed) / G, in basis points."""
    dates = [i.settled_on for i in items]
    days = [d.toordinal() for d in dates]
    span = s.inferred_max_span_days
    gross = [0]
    sales = [0]
    for it in items:
        gross.append(gross[-1] + _cents(it.gross))
        sales.append(sales[-1] + (it.kind == "sale"))
    found_at: dict[tuple, set] = defaultdict(set)  # (bp, fixed) -> {(start, end, line)}
    budget = FIT_BUDGET
    for v in sorted(views, key=lambda v: (v.line.date, v.line.ref)):
        target = _cents(v.line.amount)
        if target <= 0:
            continue
        last = v.line.date
        lo = bisect.bisect_left(dates, last - timedelta(days=s.inferred_max_lag_days))
        for end in range(bisect.bisect_right(dates, last) - 1, lo - 1, -1):
            if budget <= 0:
                break
            first_day, g_end, n_end = days[end] - span, gross[end + 1], sales[end + 1]
            for start in range(end, -1, -1):
                budget -= 1
                if days[start] < first_day:  # the run would span more than `span` days
                    break
                g = g_end - gross[start]
                n = n_end - sales[start]
                fee = g - target
                if fee > g * MAX_RATE_BP // 10_000 + n * MAX_FIXED:
                    break
                if fee < 0 or n == 0:
                    continue
                for fixed in FIXED_CENTS:
                    bp = round((fee - n * fixed) * 10_000 / g)
                    if 0 < bp <= MAX_RATE_BP:
                        found_at[(bp, fixed)].add((start, end, v.line.ref))
    # Many deposits (other stores' too) imply some rate by coincidence; the true rate's runs
    # also adjoin one another. Score each (rate, fixed) by the deposits whose run adjoins
    # another deposit's run under it.
    votes: Counter = Counter()
    for key, wins in found_at.items():
        if len({w[2] for w in wins}) < CONFIRM_K:
            continue
        starts, ends = defaultdict(set), defaultdict(set)
        for a, b, line in wins:
            starts[a].add(line)
            ends[b].add(line)
        chained = set()  # lines whose run adjoins another line's run (no set built per run)
        for a, b, line in wins:
            before, after = ends.get(a - 1), starts.get(b + 1)
            if (before and (len(before) > 1 or line not in before)) or (
                    after and (len(after) > 1 or line not in after)):
                chained.add(line)
        if len(chained) >= CONFIRM_K:
            votes[key] = len(chained)
    top = [k for k, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:FITTED_BINS]]
    out = []
    for bp, fixed in top:  # rounding down biases the implied rate up to a point: neighbours too
        out += [(Decimal(b) / 10_000, Decimal(fixed) / 100) for b in (bp, bp - 1, bp + 1)]
    return out


def _hypotheses(conn, cards, currency):
    return [
        FeeSchedule(conn.ref, Decimal(card[0]), Decimal(card[1]), rounding, currency, source,
                    extra_rate=Decimal(card[2]) if len(card) > 2 else Decimal(0))
        for source, pairs in cards
        for card in pairs
        for rounding in ROUNDINGS
    ]


def choose(conn: Connection, orders: list[PlatformItem], views: list[LineView], paid: set[str],
           settings: Settings, stored: FeeSchedule | None, cards) -> Choice | None:
    """The schedule to price this connection's orders with, and whether it is confirmed."""
    if not orders:
        return None
    currency = orders[0].currency
    mine = [v for v in views if v.line.currency == currency and v.signal(conn.platform) == "own"]
    if stored is not None and stored.confirmed:
        return Choice(stored, True, 0)
    ordered = settlement_order(orders)
    template = Book(ordered, paid)  # what does not depend on the prices, built once
    pricer = _Pricer(template.items)

    def ties(h: FeeSchedule) -> dict:
        return _chained_ties(template.with_nets(pricer.units(h)), mine, settings)

    tried = ([stored] if stored is not None else []) + _hypotheses(conn, [("default", cards)], currency)
    results = [(h, ties(h)) for h in tried]
    if not any(len(t) >= CONFIRM_K for _, t in results):
        fitted = _hypotheses(conn, [("learned", _fitted(ordered, mine, settings))], currency)
        results += [(h, ties(h)) for h in fitted]
    best_h, best_t = max(results, key=lambda r: len(r[1])) if results else (None, {})
    if best_h is None:
        return None
    rivals = [t for h, t in results if len(t) >= CONFIRM_K and any(
        best_t.get(ref, w) != w for ref, w in t.items())]
    confirmed = len(best_t) >= CONFIRM_K and not rivals
    return Choice(replace(best_h, confirmed=confirmed), confirmed, len(best_t))


def choices_for(*, connections: list[Connection], orders: tuple[PlatformItem, ...],
                views: list[LineView], paid: set[str], settings: Settings,
                stored: tuple[FeeSchedule, ...], cards) -> dict[str, Choice]:
    by_conn: dict[str, list[PlatformItem]] = defaultdict(list)
    for o in orders:
        if o.settled_on is not None and o.payout_ref is None:
            by_conn[o.connection_ref].append(o)
    saved = {s.connection_ref: s for s in stored}
    out = {}
    for conn in connections:
        if not conn.orders_only:
            continue
        choice = choose(conn, by_conn.get(conn.ref, []), views, paid, settings,
                        saved.get(conn.ref), tuple(cards.get(conn.platform, ())))
        if choice is not None:
            out[conn.ref] = choice
    return out


def gate(cands: list, choices: dict[str, Choice | None]) -> list:
    """Windows of an orders-only store whose schedule is not confirmed: suggestions at best (a
    full-strength rival all the same)."""
    out = []
    for c in cands:
        ch = choices.get(c.inferred.connection_ref) if c.inferred is not None else None
        if ch is not None and not ch.confirmed and c.auto:
            c = replace(c, auto=False, reasons=c.reasons + (
                UNCONFIRMED.format(describe(ch.schedule), CONFIRM_K),))
        out.append(c)
    return out


CHARGE_WINDOW = timedelta(hours=1)
THROUGH_GATEWAY = 0.8  # share of a store's orders found as charges for it to be paid through it


def gateway_charges(orders, items, connections: list[Connection]) -> dict[str, str]:
    """Route (a): an orders-only store whose gateway is a connected Stripe account. Its order
    is that account's charge (same currency and amount, created within an hour of the order),
    and the charge's payout, an explicit one, carries it: such orders are not inferred. Tied
    one to one only: an order with two such charges, or a charge two orders could be, stays
    with the inference, and so does a store fewer than 80 % of whose orders are found as
    charges. -> order ref -> charge ref."""
    stripe = {c.ref for c in connections if c.platform == "STRIPE"}
    charges: dict[tuple, list[PlatformItem]] = defaultdict(list)
    for it in items:
        if it.connection_ref in stripe and it.kind == "sale" and it.occurred_at is not None:
            charges[(it.currency, it.gross)].append(it)
    if not charges:
        return {}
    found: dict[str, str] = {}
    claims: Counter = Counter()
    for o in orders:
        if o.kind != "sale" or o.occurred_at is None:
            continue
        near = [ch.ref for ch in charges.get((o.currency, o.gross), ())
                if abs(ch.occurred_at - o.occurred_at) <= CHARGE_WINDOW]
        claims.update(near)
        if len(near) == 1:
            found[o.order_ref or o.ref] = near[0]
    tied = {o: ch for o, ch in found.items() if claims[ch] == 1}
    # A store paid through the account has nearly every order there; a few equal amounts
    # within the hour elsewhere are coincidences and tie nothing.
    sales: Counter = Counter(o.connection_ref for o in orders if o.kind == "sale")
    hits: Counter = Counter(o.connection_ref for o in orders if o.kind == "sale" and o.ref in tied)
    through = {c for c, n in hits.items() if n >= THROUGH_GATEWAY * sales[c]}
    return {o: ch for o, ch in sorted(tied.items()) if o.rsplit(":", 1)[0] in through}


UNSEEN = (
    "the descriptor names only a gateway that also pays {}, whose sweeps cannot be checked "
    "(no orders or no confirmed fee schedule): this could be its deposit, so it is not applied"
)


def unseen_rivals(cands, named: dict, platform_of, descriptors, blind: list[str]) -> list:
    """A deposit read only through a gateway's name ("PAYPAL" for a WooCommerce sweep) may be a
    store that gateway pays which the engine cannot evaluate (no orders, or no confirmed fee
    schedule to price them with): that reading is never applied. A store that *can* be
    evaluated is a rival only through its own candidate windows, which the resolver weighs."""
    if not blind:
        return cands
    out = []
    for c in cands:
        words = named.get(c.bank_ref, frozenset())
        if c.auto and descriptors.strength(platform_of(c), words) == 1:
            rivals = [p for p in blind if p != platform_of(c) and descriptors.strength(p, words) >= 1]
            if rivals:
                c = replace(c, auto=False, reasons=c.reasons + (UNSEEN.format(", ".join(rivals)),))
        out.append(c)
    return out
