"""Generated: every route and method under /api/v1/ answers another partner's key with 404.

The routes come from the URL resolver, so an endpoint added later is covered without touching
this file; a route with a URL kwarg this file cannot fill fails the test (add it to OBJECTS).
"""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver, path
from rest_framework.views import APIView

from companies.api.base import CompanyListApi
from config.api_urls import _assert_partner_views
from ledger.selectors import payout_list

# URL kwarg -> how to find the first partner's object for it (books: see conftest.books_for).
OBJECTS = {
    "company_id": lambda books: books.company.public_id,
    "bank_account_id": lambda books: books.bank_account.pk,
    "bank_transaction_id": lambda books: books.bank_transaction.pk,
    "invoice_id": lambda books: books.invoice.pk,
    "payout_id": lambda books: books.payout.pk,
    "expense_id": lambda books: books.expense.pk,
    "journal_entry_id": lambda books: books.journal_entry.pk,
    "connection_id": lambda books: books.connection.pk,
    "match_id": lambda books: books.match.pk,
    "run_id": lambda books: books.run.pk,
    "session_id": lambda books: books.embed_session.public_id,
}
METHODS = ("get", "post", "put", "patch", "delete")
KWARG = re.compile(r"<(?:\w+:)?(\w+)>")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def v1_routes():
    """(route, [methods]) for every endpoint under api/v1/ in the real URL conf."""
    found = []
    for route, callback in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        view_class = getattr(callback, "view_class", None)
        methods = [m for m in METHODS if view_class and hasattr(view_class, m)
                   and m in view_class.http_method_names]
        found.append((route, methods))
    return found


def _url(route: str, values: dict) -> str:
    def fill(match):
        name = match.group(1)
        if name not in values:
            pytest.fail(f"/{route} has a URL kwarg {name!r} this test cannot fill: add it to OBJECTS")
        return str(values[name])

    return "/" + KWARG.sub(fill, route)


def _values(books, **overrides) -> dict:
    return {name: find(books) for name, find in OBJECTS.items()} | overrides


def test_it_finds_every_v1_route():
    routes = dict(v1_routes())
    assert len(routes) >= 15
    assert "api/v1/companies/<uuid:company_id>/payouts/<int:payout_id>/" in routes
    assert all(methods for methods in routes.values())


OBJECT_ROUTES = [(r, m) for r, m in v1_routes() if KWARG.search(r)]


@pytest.mark.parametrize("route,methods", OBJECT_ROUTES, ids=[r for r, _ in OBJECT_ROUTES])
def test_it_answers_404_to_another_partners_key(route, methods, alice_api, bob_api, alice_books, bob_books):
    alice_url = _url(route, _values(alice_books))
    # Bob's own company with Alice's object ids: only routes naming objects inside a company.
    mixed_url = _url(route, _values(alice_books, company_id=bob_books.company.public_id))
    for method in methods:
        response = bob_api.request(method, alice_url, {} if method in ("post", "put", "patch") else None)
        assert response.status_code == 404, (method, alice_url, response.content)
        assert response.json()["error"]["code"] == "not_found"
        if mixed_url != _url(route, _values(bob_books)):
            response = bob_api.request(method, mixed_url, {} if method in ("post", "put", "patch") else None)
            assert response.status_code == 404, (method, mixed_url, response.content)
    # The URL is real: its owner is not told "not found" (so the 404s above are not vacuous).
    for method in methods:
        response = alice_api.request(method, alice_url, {} if method in ("post", "put", "patch") else None)
        assert response.status_code != 404, (method, alice_url, response.content)
        assert response.status_code < 500, (method, alice_url, response.content)


def test_it_never_lists_another_partners_company(alice, bob_api, alice_books):
    for route, methods in v1_routes():
        if KWARG.search(route):
            continue
        for method in methods:
            response = bob_api.request(method, "/" + route, {"name": "Bob 2"} if method == "post" else None)
            assert response.status_code < 500
            assert str(alice.company.public_id) not in response.content.decode()


def test_it_refuses_to_mount_a_view_that_is_not_a_partner_api():
    class Open(APIView):
        pass

    with pytest.raises(ImproperlyConfigured):
        _assert_partner_views([path("leak/", Open.as_view())])


def test_it_refuses_a_list_view_with_its_own_queryset():
    with pytest.raises(ImproperlyConfigured):
        type("Leaky", (CompanyListApi,), {"get_queryset": lambda self: None})


def test_it_refuses_a_selector_that_is_not_scoped():
    with pytest.raises(ImproperlyConfigured):
        type("Leaky", (CompanyListApi,), {"selector": payout_list.__wrapped__})
