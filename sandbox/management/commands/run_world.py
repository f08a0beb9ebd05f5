"""The whole product on one world: sandbox → real clients → books → reconciliation → export."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from companies.services import company_create, partner_create
from reconciliation.selectors.export import reconciliation_export
from reconciliation.services import reconcile_company
from sandbox.onboarding import (
    connections_sync_all,
    using_sandbox,
    world_connections_link,
)
from sandbox.server import SandboxServer
from sandbox.world import WorldError, load_world


class Command(BaseCommand):
    help = (
        "Create a partner and company, serve WORLD from the sandbox on a free loopback port, link "
        "every connection through the real flows, sync, reconcile and export."
    )

    def add_arguments(self, parser):
        parser.add_argument("world")
        parser.add_argument("--export", required=True, help="where to write tieout.reconciliation/1")
        parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for syncs")

    def handle(self, *args, world, export, timeout, **options):
        try:
            loaded = load_world(world)
        except (WorldError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        timings = {}
        started = time.perf_counter()
        with SandboxServer(loaded, port=0) as server, using_sandbox(server):
            meta = loaded.company or {}
            partner = partner_create(name="run_world")
            company = company_create(
                partner=partner, name=meta.get("name") or "World company",
                base_currency=(meta.get("currency") or "USD").upper(), timezone=meta.get("timezone") or "UTC",
            )
            world_connections_link(company=company, server=server)
            connections_sync_all(company=company, timeout=timeout)
            # A world's events are what happens after the initial sync; the truth is the state
            # after all of them, reached by the incremental sync (webhooks are not needed here).
            if server.apply_events(None):
                connections_sync_all(company=company, timeout=timeout)
            timings["sync"] = time.perf_counter() - started
        run = reconcile_company(company=company, by="command:run_world")
        timings["reconcile"] = time.perf_counter() - started - timings["sync"]
        with open(export, "w") as fh:
            json.dump(reconciliation_export(company=company), fh, indent=1)
        self.stdout.write(
            f"company {company.pk}: synced in {timings['sync']:.1f}s, reconciled in "
            f"{timings['reconcile']:.1f}s ({run.stats}); wrote {export}"
        )
