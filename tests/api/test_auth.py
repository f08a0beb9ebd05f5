"""API keys: Bearer only; missing, malformed, unknown and revoked keys are 401 in the one format."""

from companies.services import api_key_revoke
from tests.api.conftest import ApiClient


def _assert_401(response, code):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_answers_401_without_a_key(alice):
    _assert_401(ApiClient(None).get("/api/v1/companies/"), "unauthenticated")


def test_it_answers_401_to_a_malformed_header(alice):
    for header in ("Basic abc", "Bearer", "Token " + alice.raw_key, alice.raw_key):
        client = ApiClient(None)
        client.headers = {"Authorization": header}
        _assert_401(client.get("/api/v1/companies/"), "invalid_api_key")


def test_it_answers_401_to_a_malformed_or_unknown_key(alice):
    forged = alice.raw_key[:-4] + ("aaaa" if not alice.raw_key.endswith("aaaa") else "bbbb")
    for raw in ("tk_short", "not-a-key", forged):
        _assert_401(ApiClient(raw).get("/api/v1/companies/"), "invalid_api_key")


def test_it_answers_401_to_a_revoked_key(alice, alice_api):
    assert alice_api.get("/api/v1/companies/").status_code == 200
    api_key_revoke(api_key=alice.api_key)
    _assert_401(alice_api.get("/api/v1/companies/"), "invalid_api_key")


def test_it_lets_a_key_reach_only_its_partners_companies(alice, bob, alice_api):
    ids = [c["id"] for c in alice_api.get("/api/v1/companies/").json()["results"]]
    assert ids == [str(alice.company.public_id)]


def test_it_sends_a_request_id_and_honours_an_incoming_one(alice_api):
    generated = alice_api.get("/api/v1/companies/")
    assert generated["Request-Id"].startswith("req_")
    echoed = alice_api.client.get("/api/v1/companies/", headers={**alice_api.headers, "X-Request-Id": "lb-123.abc"})
    assert echoed["Request-Id"] == "lb-123.abc"
    unsafe = alice_api.client.get("/api/v1/companies/", headers={**alice_api.headers, "X-Request-Id": "a b<script>"})
    assert unsafe["Request-Id"].startswith("req_")


def test_it_sends_a_request_id_on_errors_too(alice):
    response = ApiClient(None).get("/api/v1/companies/")
    assert response.status_code == 401 and response["Request-Id"]
