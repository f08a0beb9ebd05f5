"""The live, mutable state the simulators serve: a world plus what happened since it was loaded
(token exchanges, initial syncs, applied events). All access goes through one lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from . import plaid_shapes
from . import rutter_shapes as shapes
from .collection import Collection
from .world import PlaidItem, RutterConnection, StripeAccount, World


@dataclass
class Credentials:
    rutter_client_id: str = "rutter_sandbox_client_id"
    rutter_client_secret: str = "rutter_sandbox_client_secret"
    rutter_public_key: str = "rutter_sandbox_public_key"
    stripe_secret_key: str = "sk_test_tieout_sandbox_platform_key"
    stripe_client_id: str = "ca_tieout_sandbox_client"
    stripe_webhook_secret: str = "whsec_tieout_sandbox_webhook_secret"
    stripe_platform_account: str = "acct_1TieoutSandboxPlatform"  # the platform's own account
    # The one redirect URI registered in the platform's Connect settings: Stripe's authorize page
    # refuses any other (the default is where `make demo` serves the dashboard's callback).
    stripe_redirect_uri: str = "http://127.0.0.1:8000/embed/connect/stripe/callback/"
    # Only Stripe Extensions may ask scope=read_only; a platform asks read_write.
    stripe_is_extension: bool = False
    plaid_client_id: str = "plaid_sandbox_client_id"
    plaid_secret: str = "plaid_sandbox_secret"


class RutterState:
    def __init__(self, conn: RutterConnection, ready: bool):
        self.conn = conn
        self.orders = Collection(conn.orders, "id", serve=shapes.order)
        self.transactions = Collection(conn.transactions, "id", serve=shapes.transaction)
        self.payouts = Collection(conn.payouts, "id", serve=self._serve_payout)
        self.customers = Collection(conn.customers, "id", serve=shapes.customer)
        self.ready = ready
        self.exchanged = False
        self.created_at = "2025-01-01T00:00:00.000Z"

    def _serve_payout(self, payout: dict) -> dict:
        # The world stores transaction_ids; Rutter embeds the transactions themselves.
        txns = (self.transactions.get(t) for t in payout.get("transaction_ids") or ())
        return shapes.payout(payout, [t for t in txns if t is not None])

    def transactions_by_order(self) -> dict[str, list[dict]]:
        by_order: dict[str, list[dict]] = {}
        for i in self.transactions.scan(0):
            txn = self.transactions.items[i]
            if txn.get("order_id"):
                by_order.setdefault(txn["order_id"], []).append(txn)
        return by_order

    def collection(self, kind: str) -> Collection:
        return {"order": self.orders, "transaction": self.transactions,
                "payout": self.payouts, "customer": self.customers}[kind]


def _strip_world_only(bt: dict) -> dict:
    # `payout` on a balance transaction is the world's bookkeeping, not a Stripe field.
    return {k: v for k, v in bt.items() if k != "payout"}


def serve_payout(payout: dict) -> dict:
    """A payout as Stripe shows it: `automatic` and `method` always present, and
    `reconciliation_status` (stripe-python 16.1.0 `_payout.py`: completed | in_progress |
    not_applicable) derived when the world leaves it out: manual payouts are `not_applicable`
    (Stripe cannot say which balance transactions they paid out), automatic ones `in_progress`
    until they are paid, then `completed`."""
    served = dict(payout)
    automatic = served.setdefault("automatic", True)
    served.setdefault("method", "standard")
    if "reconciliation_status" not in served:
        served["reconciliation_status"] = ("not_applicable" if not automatic else
                                           "completed" if served.get("status") in ("paid", "failed", "canceled")
                                           else "in_progress")
    return served


class StripeState:
    def __init__(self, acct: StripeAccount):
        self.acct = acct
        self.deauthorized = False  # the account disconnected the platform (account.application.deauthorized)
        by_created = lambda o: (o.get("created", 0), o["id"])  # noqa: E731
        # Stored oldest-first (new objects append); Stripe lists newest-first, so we read backwards.
        self.balance_transactions = Collection(sorted(acct.balance_transactions, key=by_created),
                                               "id", serve=_strip_world_only)
        self.payouts = Collection(sorted(acct.payouts, key=by_created), "id", serve=serve_payout)
        self.charges = Collection(sorted(acct.charges, key=by_created), "id")
        self.by_payout: dict[str, list[int]] = {}
        for i in self.balance_transactions.scan(0):
            self._index(i)

    def _index(self, i: int) -> None:
        bt = self.balance_transactions.items[i]
        # A payout's own balance transaction (source = the payout) belongs to its list too.
        # (A failed payout's `payout_failure` also names it as source, but belongs to a later payout.)
        own = bt.get("type") == "payout" and str(bt.get("source", "")).startswith("po_")
        for key in {bt.get("payout"), bt.get("source") if own else None}:
            if key:
                positions = self.by_payout.setdefault(key, [])
                if i not in positions:
                    positions.append(i)

    def upsert_balance_transaction(self, bt: dict) -> bool:
        created = self.balance_transactions.upsert(bt)
        i = self.balance_transactions.position[bt["id"]]
        for positions in self.by_payout.values():
            if i in positions:
                positions.remove(i)
        self._index(i)
        for positions in self.by_payout.values():
            positions.sort()
        return created


class PlaidState:
    """Plaid's /transactions/sync is a change log; the cursor is a position in it."""

    def __init__(self, item: PlaidItem):
        self.item = item
        self.webhook = ""  # set by exchanging a public token minted for a link token with a webhook
        self.accounts = [plaid_shapes.account(a) for a in item.accounts]  # as plaid-python needs them
        self.live: dict[str, dict] = {}
        self.log: list[tuple[str, dict]] = []  # ("added"|"modified"|"removed", transaction)
        for txn in item.transactions:  # file order is history order
            self.upsert(txn)

    def upsert(self, txn: dict) -> str:
        txn_id = txn["transaction_id"]
        kind = "modified" if txn_id in self.live else "added"
        self.live[txn_id] = txn
        self.log.append((kind, txn))
        replaced = txn.get("pending_transaction_id")
        if not txn.get("pending") and replaced and replaced in self.live:
            # The posted line replaces its pending line, which Plaid then reports as removed.
            self.delete(replaced)
        return kind

    def delete(self, txn_id: str) -> bool:
        txn = self.live.pop(txn_id, None)
        if txn is None:
            return False
        self.log.append(("removed", txn))
        return True


@dataclass
class SandboxState:
    world: World
    credentials: Credentials
    initially_ready: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self):
        self.rutter = {c.connection_id: RutterState(c, self.initially_ready) for c in self.world.rutter}
        self.rutter_by_token = {s.conn.access_token: s for s in self.rutter.values()}
        self.rutter_by_public = {s.conn.public_token: s for s in self.rutter.values()}
        self.stripe = {a.account_id: StripeState(a) for a in self.world.stripe}
        self.stripe_by_code = {s.acct.oauth_code: s for s in self.stripe.values() if s.acct.oauth_code}
        self.plaid = {p.item_id: PlaidState(p) for p in self.world.plaid}
        self.plaid_by_token = {s.item.access_token: s for s in self.plaid.values()}
        # World public tokens stand for /sandbox/public_token/create; Link mints more (plaid_link.py).
        self.plaid_by_public = {s.item.public_token: s for s in self.plaid.values() if s.item.public_token}
        self.plaid_link_tokens: dict = {}  # link_token -> plaid_link.LinkToken
        self.plaid_public_links: dict = {}  # public_token minted by Link -> its LinkToken
        self.events_applied = 0

    @property
    def events_remaining(self) -> int:
        return len(self.world.events) - self.events_applied
