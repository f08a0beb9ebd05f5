"""The test base: two tenants everywhere ("alice" and "bob"), so ownership is always checked."""

import os
from types import SimpleNamespace

import pytest

from companies.services import api_key_create, company_create, partner_create


def _tenant(name: str, origin: str) -> SimpleNamespace:
    partner = partner_create(name=f"{name.title()} Bank", allowed_origins=[origin])
    key, raw_key = api_key_create(partner=partner)
    company = company_create(partner=partner, name=f"{name.title()} Goods LLC", timezone="America/New_York")
    return SimpleNamespace(partner=partner, api_key=key, raw_key=raw_key, company=company)


@pytest.fixture
def bob(db):
    return _tenant("bob", "http://127.0.0.1:8002")


@pytest.fixture
def alice(db, bob):
    """The tenant under test. Requesting it always creates bob too."""
    return _tenant("alice", "http://127.0.0.1:8001")


def pytest_collection_modifyitems(config, items):
    config._browser_items = [item.nodeid for item in items if item.get_closest_marker("browser")]


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped browser test is a failure: skipping would hide an untested dashboard."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    browser_items = set(getattr(session.config, "_browser_items", []))
    skipped = [r.nodeid for r in reporter.stats.get("skipped", []) if r.nodeid in browser_items] if reporter else []
    if skipped:
        reporter.write_line(f"FAIL: {len(skipped)} browser test(s) were skipped in CI", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and throttles live in Django's cache: every test starts without any."""
    from django.core.cache import cache

    cache.clear()
    yield
