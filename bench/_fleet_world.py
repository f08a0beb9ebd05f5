"""The fleet's world for `bench fleet`: N small generated worlds (one store on Rutter, one Stripe
account, one bank on Plaid, ~90 days each) merged into one world file that one sandbox process
serves, and each company linked through the real link flows (sandbox.onboarding).

Company i is generated with seed `seed + i`, so a fleet is the same bytes every time and a
company's books can be compared across runs by its index.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.generator import generate

STORES = ("SHOPIFY", "AMAZON", "EBAY", "SQUARE", "WOO_COMMERCE", "ETSY")


@dataclass
class FleetCompany:
    index: int
    name: str
    rutter: str   # Rutter connection id
    stripe: str   # Stripe account id
    plaid: str    # Plaid item id
    payouts: list[str] = field(default_factory=list)  # Stripe payout ids (for payout.paid deliveries)


def company_name(index: int) -> str:
    return f"Fleet {index:05d}"


def build_world(*, companies: int, seed: int, days: int, scale: float, out: Path) -> list[FleetCompany]:
    """Write OUT (tieout.world/1) for `companies` companies and OUT.manifest.json; reuse both when
    they exist (same arguments, same bytes). Returns the manifest."""
    manifest_path = out.with_suffix(".manifest.json")
    if out.exists() and manifest_path.exists():
        return [FleetCompany(**c) for c in json.loads(manifest_path.read_text())]
    out.parent.mkdir(parents=True, exist_ok=True)
    fleet: list[FleetCompany] = []
    events: list[dict] = []
    sections = {"rutter": [], "stripe": [], "plaid": []}
    with tempfile.TemporaryDirectory(prefix="fleet-world-") as tmp:
        spools = {name: (Path(tmp) / name).open("w+", encoding="utf-8") for name in sections}
        for i in range(companies):
            world_path, truth_path = generate(seed=seed + i, days=days, out_prefix=Path(tmp) / "one",
                                              platforms=(STORES[i % len(STORES)], "STRIPE"), scale=scale)
            world = json.loads(world_path.read_text())
            for name, spool in spools.items():
                for conn in world[name]:
                    if spool.tell():
                        spool.write(",")
                    spool.write(json.dumps(conn, separators=(",", ":")))
            events.extend(world.get("events") or [])
            fleet.append(FleetCompany(
                index=i, name=company_name(i), rutter=world["rutter"][0]["connection_id"],
                stripe=world["stripe"][0]["account_id"], plaid=world["plaid"][0]["item_id"],
                payouts=[p["id"] for p in world["stripe"][0]["payouts"] if p.get("status") == "paid"][-3:]))
            world_path.unlink()
            truth_path.unlink()
        partial = out.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as fh:
            fh.write('{"format":"tieout.world/1","company":{"name":"Fleet","currency":"USD"}')
            for name, spool in spools.items():
                spool.seek(0)
                fh.write(f',"{name}":[')
                while chunk := spool.read(1 << 20):
                    fh.write(chunk)
                fh.write("]")
                spool.close()
            events.sort(key=lambda e: e["at"])
            fh.write(',"events":' + json.dumps(events, separators=(",", ":")) + "}\n")
        partial.rename(out)
    manifest_path.write_text(json.dumps([c.__dict__ for c in fleet]))
    return fleet


class _State:
    def __init__(self, company: FleetCompany):
        self.rutter, self.stripe, self.plaid = {company.rutter: None}, {company.stripe: None}, {company.plaid: None}


class RemoteSandbox:
    """What `sandbox.onboarding` reads from a SandboxServer, for a sandbox in another process; its
    `state` names only the one company's store, account and bank (`for_company`)."""

    def __init__(self, base_url: str):
        from sandbox.state import Credentials

        self.credentials = Credentials()
        self.base_url = base_url
        self.rutter_base_url = base_url + "/rutter/versioned"
        self.stripe_api_base = base_url + "/stripe"
        self.stripe_connect_base = base_url + "/stripe-connect"
        self.plaid_base_url = base_url + "/plaid"
        self.plaid_link_js_url = self.plaid_base_url + "/link/v2/stable/link-initialize.js"
        self.state = None

    def for_company(self, company: FleetCompany) -> RemoteSandbox:
        view = object.__new__(RemoteSandbox)
        view.__dict__.update(self.__dict__, state=_State(company))
        return view

    def settings(self) -> dict[str, str]:
        from sandbox.onboarding import sandbox_provider_settings

        return sandbox_provider_settings(self)


def link_fleet(*, fleet: list[FleetCompany], sandbox: RemoteSandbox, partners: int = 2) -> dict[int, int]:
    """Create the partners and companies and link each company's three connections through the
    hosted connect pages and the linking services, then queue each connection's initial sync as
    the dashboard's connect page does. Returns {fleet index: company pk}."""
    from django_q.tasks import async_task

    from companies.services import company_create, partner_create
    from sandbox.onboarding import world_connections_link

    # One large partner and a small one (the fleet as partners bring it: uneven).
    owners = [partner_create(name=f"Fleet partner {p}") for p in range(partners)]
    linked: dict[int, int] = {}
    for company in fleet:
        owner = owners[-1] if partners > 1 and company.index % 20 == 19 else owners[0]
        row = company_create(partner=owner, name=company.name, timezone="America/New_York")
        for connection in world_connections_link(company=row, server=sandbox.for_company(company)):
            async_task("connections.tasks.initial_sync", connection.pk)
        linked[company.index] = row.pk
    return linked
