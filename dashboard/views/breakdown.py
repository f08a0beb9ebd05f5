"""A deposit opened into its line items, grouped so the subtotals visibly add up to the deposit.

Signs are those of the books: sales +, refunds/fees/commissions −. Per payout the groups sum to
the items' net; a payout whose items do not cover its amount shows the gap as its own line (never
hidden), and a foreign-exchange difference between the bank amount and the payouts is a line too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0.00")
# (key, label, item kinds): the order people read a payout statement in.
GROUPS = (
    ("sales", "Orders paid", ("sale",)),
    ("refunds", "Refunds", ("refund", "void")),
    ("fees", "Processing fees", ("fee",)),
    ("commissions", "Marketplace commissions", ("commission",)),
    ("chargebacks", "Chargebacks", ("chargeback", "chargeback_reversal")),
    ("reserves", "Reserves", ("reserve_hold", "reserve_release")),
    ("adjustments", "Adjustments", ("adjustment", "transfer", "other")),
)
KIND_GROUP = {kind: key for key, _, kinds in GROUPS for kind in kinds}
MAX_LINES = 200  # per group; subtotals always cover every item


@dataclass
class Line:
    label: str
    detail: str
    amount: Decimal


@dataclass
class Group:
    key: str
    label: str
    total: Decimal = ZERO
    count: int = 0
    lines: list[Line] = field(default_factory=list)

    def add(self, line: Line) -> None:
        self.total += line.amount
        self.count += 1
        if len(self.lines) < MAX_LINES:
            self.lines.append(line)

    @property
    def hidden(self) -> int:
        return self.count - len(self.lines)


@dataclass
class PayoutBreakdown:
    payout: object
    groups: list[Group]
    items_net: Decimal
    gap: Decimal  # payout amount not explained by its items


@dataclass
class DepositBreakdown:
    deposit: object
    payouts: list[PayoutBreakdown]
    fx_difference: Decimal
    total: Decimal

    @property
    def adds_up(self) -> bool:
        return self.total == self.deposit.amount


def _item_label(item, invoice) -> str:
    if invoice is not None:
        return f"Invoice {invoice.number or invoice.external_id}"
    if item.order_external_id:
        return f"Order {item.order_external_id}"
    return item.description or item.kind.replace("_", " ").capitalize()


def _groups(items, invoices) -> list[Group]:
    groups = {key: Group(key, label) for key, label, _ in GROUPS}
    for item in items:
        if item.kind == "payout":  # the transfer itself, not a movement it settles
            continue
        label = _item_label(item, invoices.get(item.pk))
        detail = item.occurred_at.date().isoformat()
        if item.amount:
            groups[KIND_GROUP.get(item.kind, "adjustments")].add(Line(label, detail, item.amount))
        if item.fee:
            groups["fees"].add(Line(f"Fee on {label.lower()}", detail, -item.fee))
    return [g for g in groups.values() if g.count]


def _deposit(deposit, match, payouts) -> DepositBreakdown:
    fx = match.fx_difference or ZERO
    total = sum((p.items_net + p.gap for p in payouts), ZERO) + fx
    return DepositBreakdown(deposit, payouts, fx, total)


def build(*, deposit, match, items, invoices) -> DepositBreakdown:
    by_payout: dict[int, list] = {}
    for item in items:
        by_payout.setdefault(item.payout_id, []).append(item)
    payouts = []
    for link in match.links:  # set by selectors.dashboard.attach_matches
        payout = link.payout
        shown = _groups(by_payout.get(payout.pk, []), invoices)
        items_net = sum((g.total for g in shown), ZERO)
        payouts.append(PayoutBreakdown(payout, shown, items_net, payout.amount - items_net))
    return _deposit(deposit, match, payouts)


@dataclass
class InferredPayout:
    """Stands in for the payout row an inferred match gets only once it is applied."""

    platform: str
    external_id: str
    amount: Decimal
    arrival_date: object = None
    is_inferred: bool = True


def build_inferred(*, deposit, match, lines, invoices) -> DepositBreakdown:
    """An inferred suggestion: its platform transactions grouped like a payout's lines.

    The grouping has no payout of its own until accepted, so its "payout amount" is what its items
    net to (no unitemised gap); an FX difference, if any, is still its own line.
    """
    shown = _groups(lines.items, invoices)
    items_net = sum((g.total for g in shown), ZERO)
    count = len(lines.items)
    payout = InferredPayout(platform=lines.platform, amount=items_net,
                            external_id=f"grouped from {count} transaction{'s' if count != 1 else ''}")
    return _deposit(deposit, match, [PayoutBreakdown(payout, shown, items_net, ZERO)])
