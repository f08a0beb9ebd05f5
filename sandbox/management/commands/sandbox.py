"""`manage.py sandbox generate|serve|validate` — the provider sandbox from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sandbox.world import WorldError, load_world


class Command(BaseCommand):
    help = "Generate, validate and serve sandbox worlds (simulated Rutter, Stripe and Plaid)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="write PREFIX.world.json and PREFIX.truth.json")
        gen.add_argument("--seed", type=int, required=True)
        gen.add_argument("--days", type=int, required=True)
        gen.add_argument("--platforms", nargs="+", default=None,
                         help="e.g. SHOPIFY AMAZON ETSY STRIPE SHOPIFY:CAD (default: all)")
        gen.add_argument("--scale", type=float, default=1.0, help="multiplies daily order volume")
        gen.add_argument("--out", required=True, help="output prefix")
        serve = sub.add_parser("serve", help="serve a world over HTTP on 127.0.0.1")
        serve.add_argument("world")
        serve.add_argument("--port", type=int, default=8765)
        serve.add_argument("--webhook-url", default=None, help="base URL; /rutter, /stripe, /plaid appended")
        serve.add_argument("--faults", default=None, help="e.g. 429=0.05,5xx=0.05,slow=0.01,drop=0.1")
        serve.add_argument("--initial-sync-delay", type=float, default=0.0,
                           help="seconds after token exchange until Rutter data is ready; -1 = manual")
        val = sub.add_parser("validate", help="check a world file")
        val.add_argument("world")

    def handle(self, *args, action, **opts):
        return getattr(self, f"_{action}")(**opts)

    def _load(self, path):
        try:
            return load_world(path)
        except WorldError as exc:
            raise CommandError(f"{path}: {exc}") from None

    def _generate(self, *, seed, days, platforms, scale, out, **_):
        from sandbox.generator import DEFAULT_PLATFORMS, generate
        try:
            world, truth = generate(seed=seed, days=days, platforms=platforms or DEFAULT_PLATFORMS,
                                    scale=scale, out_prefix=out)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"wrote {world} and {truth}")

    def _validate(self, *, world, **_):
        w = self._load(world)
        counts = (f"{len(w.rutter)} Rutter connections, {len(w.stripe)} Stripe accounts, "
                  f"{len(w.plaid)} Plaid items, {len(w.events)} events")
        self.stdout.write(f"{world}: valid tieout.world/1 ({counts})")

    def _serve(self, *, world, port, webhook_url, faults, initial_sync_delay, **_):
        from sandbox.faults import parse_faults
        from sandbox.server import SandboxServer
        try:
            faults = parse_faults(faults)
        except ValueError as exc:
            raise CommandError(f"--faults: {exc}") from None
        server = SandboxServer(self._load(world), port=port, webhook_url=webhook_url, faults=faults,
                               initial_sync_delay=None if initial_sync_delay < 0 else initial_sync_delay)
        c = server.credentials
        self.stdout.write(f"sandbox on {server.base_url}\n"
                          f"  Rutter  {server.rutter_base_url}  (Basic {c.rutter_client_id}:{c.rutter_client_secret})\n"
                          f"  Stripe  {server.stripe_api_base}  (Bearer {c.stripe_secret_key}); "
                          f"OAuth {server.stripe_connect_base}\n"
                          f"  Plaid   {server.plaid_base_url}  ({c.plaid_client_id} / {c.plaid_secret})\n"
                          f"  control {server.base_url}/_sandbox/health   Ctrl-C to stop")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
