"""OpenAPI: served with its docs (no CDN), and fuzzed by schemathesis with no 5xx or violations."""

import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.api.conftest import books_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def test_it_serves_the_schema_and_interactive_docs_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/companies/{company_id}/payouts/{payout_id}/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "/static/" in html


NO_THROTTLE = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "100000/second"}}


@override_settings(REST_FRAMEWORK=NO_THROTTLE)
def test_it_conforms_to_its_schema_with_no_server_errors(alice, bob):
    books = books_for(alice.company)
    books_for(bob.company)
    # Real ids half the time, so the fuzzer reaches existing objects, not only 404s.
    real = {"company_id": str(alice.company.public_id), "payout_id": books.payout.pk,
            "bank_account_id": books.bank_account.pk, "bank_transaction_id": books.bank_transaction.pk,
            "invoice_id": books.invoice.pk, "expense_id": books.expense.pk,
            "journal_entry_id": books.journal_entry.pk, "connection_id": books.connection.pk,
            "match_id": books.match.pk, "run_id": books.run.pk}
    headers = {"Authorization": f"Bearer {alice.raw_key}"}
    # As Django's test client does: the test's transaction must outlive each WSGI request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30
        for operation in operations:
            _fuzz(operation, real, headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(operation, real, headers):
    @given(case=operation.as_strategy(), use_real=st.booleans())
    @hypothesis_settings(max_examples=30, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))
    def run(case, use_real):
        if use_real and case.path_parameters:
            case.path_parameters = {k: real.get(k, v) for k, v in case.path_parameters.items()}
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
