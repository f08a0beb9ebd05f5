"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server,
with the dashboard framed by a partner page served from another origin (another port)."""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from reconciliation.embed_partner_page import PartnerPageServer, mint_embed_url
from reconciliation.models import MatchStatus
from tests import factories as F
from tests.dashboard.conftest import deposit_with_payout

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make browser installs Debian's)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    # Server errors show up in the test output instead of as a bare timeout.
    pg.on("response", lambda r: r.status >= 500 and print("SERVER ERROR", r.status, r.url, r.text()[:2000]))
    yield pg
    context.close()


def screenshot(target, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def dashboard_world(company):
    """Deposits across platforms: booked ones, suggestions to review, one with no payout yet."""
    applied = [
        deposit_with_payout(company, platform="SHOPIFY", day=dt.date(2025, 3, 14)),
        deposit_with_payout(company, platform="AMAZON", day=dt.date(2025, 2, 20),
                            sales=(Decimal("820.00"), Decimal("310.00"), Decimal("95.50")), commission=Decimal("-183.83")),
        deposit_with_payout(company, platform="STRIPE", day=dt.date(2025, 1, 28), commission=Decimal("0")),
    ]
    suggested = [
        deposit_with_payout(company, platform="ETSY", day=dt.date(2025, 3, 10), status=MatchStatus.SUGGESTED,
                            sales=(Decimal("120.00"), Decimal("64.00")), refund=Decimal("0"), commission=Decimal("-12.04")),
        deposit_with_payout(company, platform="SHOPIFY", day=dt.date(2025, 3, 3), status=MatchStatus.SUGGESTED),
    ]
    F.BankTransactionFactory(company=company, date=dt.date(2025, 3, 12), amount=Decimal("431.18"),
                             name="WOO PAYMENTS DEPOSIT 8841", status="unreconciled")
    F.BankTransactionFactory(company=company, date=dt.date(2025, 3, 1), amount=Decimal("-2400.00"),
                             name="ACH RENT MARCH", status="unreconciled")
    return applied, suggested


@pytest.fixture
def partner_page(live_server, alice):
    """Alice's bank's web app on another origin, allowed to frame the dashboard."""

    def mint():
        return mint_embed_url(api_base=live_server.url, api_key=alice.raw_key, company_id=alice.company.public_id)

    with PartnerPageServer(embed_url=mint, dashboard_origin=live_server.url, title="Alice Bank",
                           brand="#0b5cad") as server:
        alice.partner.allowed_origins = [server.origin]
        alice.partner.brand_color = "#0b5cad"
        alice.partner.save()
        yield server


def open_dashboard(page, partner_page):
    page.goto(partner_page.url)
    frame = page.frame_locator("#tieout")
    frame.locator("nav#tabs").wait_for()
    htmx_settled(page)
    return frame


def _dashboard(page):
    return next(f for f in page.frames if "/embed/" in f.url)


def htmx_settled(page) -> None:
    """Wait until htmx has finished requesting, swapping and settling in the dashboard frame."""
    _dashboard(page).wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def after_swap(page, action) -> None:
    """Do `action` (a click) and wait for the htmx swap it causes to settle.

    New content gets its htmx behaviour while it settles; a click in that instant does nothing
    (or submits a form natively, without the embed token). People are slower than that; tests
    wait for htmx's own htmx:afterSettle event of that very action.
    """
    frame = _dashboard(page)
    frame.evaluate(
        "() => { window.__tieoutSettled = false; document.body.addEventListener("
        "'htmx:afterSettle', () => { window.__tieoutSettled = true; }, {once: true}); }"
    )
    action()
    frame.wait_for_function("() => window.__tieoutSettled === true")
