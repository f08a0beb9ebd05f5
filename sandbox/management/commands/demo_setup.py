"""`make demo`: a live, reconciled demo world, served with a partner page on another origin.

Generates a world (several platforms + Stripe + a bank), serves it from the provider sandbox in
this process, creates the demo partner / company / admin, links every connection through the
sandbox's hosted connect pages (Rutter Link, Stripe OAuth, Plaid Link stand-ins) with the same
services production uses, syncs, reconciles, then serves the app on 127.0.0.1:8000 with a
django-q2 worker beside it (connect flows, webhooks) and a partner page on 127.0.0.1:8001 that
mints an embed session through the partner API and frames the dashboard.
A step that fails is reported and the demo carries on with what it has.
"""

import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from companies.models import Company
from companies.services import api_key_create, company_create, partner_create
from dashboard.partner_page import PartnerPageServer, mint_embed_url
from reconciliation.services import reconcile_company
from sandbox.onboarding import (
    connections_sync_all,
    sandbox_provider_settings,
    world_connections_link,
)
from sandbox.server import SandboxServer

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
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per sandbox call is noise
        out = Path(settings.VAR_DIR) / "demo" / f"demo-{seed}-{days}"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not Path(f"{out}.world.json").exists():
            self.step("generating a demo world", lambda: call_command(
                "sandbox", "generate", "--seed", str(seed), "--days", str(days), "--out", str(out)))
        sandbox = SandboxServer(f"{out}.world.json", webhook_url=f"{APP}/webhooks").start()
        sandbox.webhook_url = None  # nothing listens on :8000 until setup is done; polled instead
        provider = sandbox_provider_settings(sandbox)
        for name, value in provider.items():
            setattr(settings, name, value)  # this process (and its worker) talk to the sandbox
        self.stdout.write(f"  sandbox on {sandbox.base_url}")

        company = self.company()
        _, api_key = api_key_create(partner=company.partner, name="demo")
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin")

        self.step("linking stores, Stripe and the bank through their connect pages",
                  lambda: self.link(sandbox, company))
        self.step("syncing", lambda: self.sync(company))
        self.step("reconciling", lambda: self.reconcile(company))

        partner_url = f"http://127.0.0.1:{PARTNER_PORT}/"
        self.stdout.write(self.style.SUCCESS(f"""
Tieout demo is ready.
  Partner page (another origin, embeds the dashboard):  {partner_url}
  Django admin:  {APP}/admin/   login admin / admin   (Companies → "Open dashboard")
  Partner API key:  {api_key}   (docs: {APP}/api/docs/)
  Company id:  {company.public_id}
  Make something happen (new orders, payouts, bank lines, delivered as webhooks):
    curl -X POST {sandbox.base_url}/_sandbox/events/apply -d '{{"n": 20}}'
"""))
        if no_serve:
            sandbox.stop()
            return
        PartnerPageServer(
            embed_url=lambda: mint_embed_url(api_base=APP, api_key=api_key, company_id=company.public_id),
            dashboard_origin=APP, title="Acme Bank", brand="#0b5cad", port=PARTNER_PORT,
        ).start()
        sandbox.webhook_url = f"{APP}/webhooks"
        # A django-q2 worker runs connect-flow syncs and webhook processing; it reaches the
        # sandbox through the same settings, passed as environment variables.
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], env={**os.environ, **provider, "DEBUG": "1"},
        )
        try:
            call_command("runserver", "127.0.0.1:8000", use_reloader=False)
        finally:
            worker.terminate()
            sandbox.stop()

    def company(self) -> Company:
        company = Company.objects.filter(name="Demo Goods LLC").first()
        if company is None:
            partner = partner_create(
                name="Acme Bank", allowed_origins=[f"http://127.0.0.1:{PARTNER_PORT}", f"http://localhost:{PARTNER_PORT}"],
                brand_color="#0b5cad",
            )
            company = company_create(partner=partner, name="Demo Goods LLC", timezone="America/New_York")
        return company

    def link(self, sandbox, company):
        links = world_connections_link(company=company, server=sandbox)
        self.stdout.write(f"  {len(links)} connections: " + ", ".join(c.display_name or c.ref for c in links))

    def sync(self, company):
        for connection in connections_sync_all(company=company, timeout=300):
            self.stdout.write(f"  {connection.ref}: {connection.get_status_display()}")

    def reconcile(self, company):
        run = reconcile_company(company=company, by="demo")
        stats = {k: v for k, v in run.stats.items() if k != "seconds"}
        self.stdout.write(f"  {stats}")
