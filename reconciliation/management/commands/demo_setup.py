"""`make demo`: a live, reconciled demo world, served with a partner page on another origin.

Generates a world (several platforms + Stripe + a bank), runs the sandbox in this process, creates
the demo partner / company / admin, links every connection with the tokens the sandbox's Link and
OAuth stand-ins hand back, syncs, reconciles, then serves the app on 127.0.0.1:8000 and a partner
page on 127.0.0.1:8001 that mints an embed session through the partner API and frames the dashboard.
A step that fails is reported and the demo carries on with what it has.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

APP = "http://127.0.0.1:8000"
PARTNER_PORT = 8001


class Command(BaseCommand):
    help = "Build the demo world and serve it (app on :8000, partner page on :8001)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--no-serve", action="store_true", help="set up only (tests)")

    def step(self, title, fn):
        self.stdout.write(f"• {title}…")
        try:
            return fn()
        except Exception as exc:  # the demo degrades and says so instead of stopping
            self.stdout.write(self.style.WARNING(f"  ✗ {title} failed: {exc}"))
            self.stdout.write(traceback.format_exc(limit=3))
            return None

    def handle(self, *args, days, seed, no_serve, **opts):
        from companies.models import Company
        from companies.services import api_key_create, company_create, partner_create
        from connections.sandbox.server import SandboxServer

        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per sandbox call is noise
        out = Path(settings.VAR_DIR) / "demo" / "demo"
        out.parent.mkdir(parents=True, exist_ok=True)
        self.step("generating a demo world", lambda: call_command(
            "sandbox", "generate", "--seed", str(seed), "--days", str(days), "--out", str(out)))
        sandbox = SandboxServer(str(out) + ".world.json").start()
        c = sandbox.credentials
        for name, value in {
            "RUTTER_BASE_URL": sandbox.rutter_base_url, "RUTTER_CLIENT_ID": c.rutter_client_id,
            "RUTTER_CLIENT_SECRET": c.rutter_client_secret, "STRIPE_API_BASE": sandbox.stripe_api_base,
            "STRIPE_CONNECT_BASE": sandbox.stripe_connect_base, "STRIPE_SECRET_KEY": c.stripe_secret_key,
            "STRIPE_CLIENT_ID": c.stripe_client_id, "STRIPE_WEBHOOK_SECRET": c.stripe_webhook_secret,
            "PLAID_BASE_URL": sandbox.plaid_base_url, "PLAID_CLIENT_ID": c.plaid_client_id,
            "PLAID_SECRET": c.plaid_secret, "SYNC_ENQUEUE_RECONCILIATION": False,
        }.items():
            setattr(settings, name, value)  # this process talks to the in-process sandbox
        self.stdout.write(f"  sandbox on {sandbox.base_url}")

        partner_origin = f"http://127.0.0.1:{PARTNER_PORT}"
        company = Company.objects.filter(name="Demo Goods LLC").first()
        if company is None:
            partner = partner_create(name="Acme Bank", allowed_origins=[partner_origin, "http://localhost:8001"],
                                     brand_color="#0b5cad")
            company = company_create(partner=partner, name="Demo Goods LLC", timezone="America/New_York")
        _, api_key = api_key_create(partner=company.partner, name="demo")
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin")

        links = self.step("linking store, Stripe and bank connections", lambda: self.link_all(sandbox, company))
        if links:
            self.step("syncing", lambda: self.sync_all(links))
        self.step("reconciling", lambda: self.reconcile(company))

        from reconciliation.embed_partner_page import PartnerPageServer, mint_embed_url

        partner_page = PartnerPageServer(
            embed_url=lambda: mint_embed_url(api_base=APP, api_key=api_key, company_id=company.public_id),
            dashboard_origin=APP, title="Acme Bank", brand="#0b5cad", port=PARTNER_PORT)
        self.stdout.write(self.style.SUCCESS(f"""
Tieout demo is ready.
  Partner page (another origin, embeds the dashboard):  {partner_page.url}
  Django admin:  {APP}/admin/   login admin / admin   (Companies → "Open dashboard")
  Partner API key:  {api_key}
  Company id:  {company.public_id}
"""))
        if no_serve:
            partner_page._httpd.server_close()
            sandbox.stop()
            return
        partner_page.start()
        call_command("runserver", "127.0.0.1:8000", use_reloader=False)

    def link_all(self, sandbox, company):
        from connections.services.linking import (
            connection_link_plaid,
            connection_link_rutter,
            connection_link_stripe,
            stripe_oauth_start_url,
        )

        links = []
        # The tokens below are exactly what the sandbox's Rutter Link / Plaid Link / Stripe
        # authorize pages hand back to the browser; the linking services exchange them as usual.
        for rs in sandbox.state.rutter.values():
            links.append(connection_link_rutter(company=company, public_token=rs.conn.public_token))
        for acct in sandbox.state.stripe.values():
            url = stripe_oauth_start_url(company=company, redirect_uri=f"{APP}/embed/connect/stripe/callback/")
            state = parse_qs(urlsplit(url).query)["state"][0]
            links.append(connection_link_stripe(state=state, code=acct.acct.oauth_code))
        for item in sandbox.state.plaid.values():
            links.append(connection_link_plaid(company=company, public_token=item.item.public_token))
        self.stdout.write(f"  {len(links)} connections: " + ", ".join(c.platform or c.provider for c in links))
        return links

    def sync_all(self, links):
        from connections.services import connection_sync

        for connection in links:
            run = connection_sync(connection=connection, kind="initial")
            self.stdout.write(f"  {connection.ref}: {run.status}, {run.records} records")

    def reconcile(self, company):
        from reconciliation.services import reconcile_company

        run = reconcile_company(company=company, by="demo")
        self.stdout.write(f"  {getattr(run, 'stats', run)}")
