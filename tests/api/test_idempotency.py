"""Idempotency-Key on POST: replay, conflicting reuse, keyed per API key."""

from companies.models import Company, EmbedSession, IdempotencyRecord
from companies.services import api_key_create
from tests.api.conftest import ApiClient, v1


def test_it_replays_the_first_response_for_the_same_key_and_body(alice, alice_api):
    headers = {"Idempotency-Key": "create-1"}
    first = alice_api.post("/api/v1/companies/", {"name": "Once", "timezone": "UTC"}, headers)
    # Same content, different key order and spacing: still the same request.
    again = alice_api.client.post("/api/v1/companies/", data='{ "timezone": "UTC",  "name": "Once" }',
                                  content_type="application/json", headers={**alice_api.headers, **headers})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Company.objects.filter(partner=alice.partner, name="Once").count() == 1


def test_it_replays_an_embed_session_without_minting_another(alice, alice_api):
    headers = {"Idempotency-Key": "embed-1"}
    first = alice_api.post(v1(alice.company, "embed-sessions/"), {}, headers)
    again = alice_api.post(v1(alice.company, "embed-sessions/"), {}, headers)
    assert again.json()["client_secret"] == first.json()["client_secret"]
    assert EmbedSession.objects.filter(company=alice.company).count() == 1


def test_it_refuses_the_same_key_with_another_body(alice, alice_api):
    headers = {"Idempotency-Key": "create-2"}
    assert alice_api.post("/api/v1/companies/", {"name": "First"}, headers).status_code == 201
    reused = alice_api.post("/api/v1/companies/", {"name": "Second"}, headers)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert not Company.objects.filter(name="Second").exists()


def test_it_refuses_the_same_key_on_another_path(alice, alice_api):
    headers = {"Idempotency-Key": "k"}
    alice_api.post("/api/v1/companies/", {}, headers)
    other = alice_api.post(v1(alice.company, "embed-sessions/"), {}, headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_it_replays_validation_errors_too(alice_api):
    headers = {"Idempotency-Key": "bad-1"}
    first = alice_api.post("/api/v1/companies/", {"timezone": "Nowhere"}, headers)
    again = alice_api.post("/api/v1/companies/", {"timezone": "Nowhere"}, headers)
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


def test_it_answers_409_while_the_first_request_is_still_running(alice, alice_api):
    IdempotencyRecord.objects.create(api_key=alice.api_key, key="busy", method="POST",
                                     path="/api/v1/companies/", request_hash="x" * 64)
    response = alice_api.post("/api/v1/companies/", {"name": "Busy"}, {"Idempotency-Key": "busy"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] in ("idempotency_key_in_use", "idempotency_key_reused")


def test_it_keys_idempotency_per_api_key(alice, alice_api):
    _, other_raw = api_key_create(partner=alice.partner, name="second")
    headers = {"Idempotency-Key": "shared"}
    alice_api.post("/api/v1/companies/", {"name": "Via key 1"}, headers)
    other = ApiClient(other_raw).post("/api/v1/companies/", {"name": "Via key 2"}, headers)
    assert other.status_code == 201 and other.json()["name"] == "Via key 2"


def test_it_rejects_an_overlong_key_clearly(alice_api):
    response = alice_api.post("/api/v1/companies/", {"name": "X"}, {"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]
