"""One error format for every 4xx/5xx under /api/, and a per-key throttle."""

from django.conf import settings
from django.test import override_settings
from rest_framework.settings import api_settings

from tests.api.conftest import v1


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_it_answers_unknown_api_paths_with_json_404(alice_api):
    _error(alice_api.get("/api/v1/nope/"), 404, "not_found")
    error = _error(alice_api.get("/api/v1/companies"), 404, "not_found")
    assert "Did you mean /api/v1/companies/" in error["message"]


def test_it_answers_a_wrong_method_with_405(alice, alice_api):
    response = alice_api.request("put", v1(alice.company), {})
    _error(response, 405, "method_not_allowed")


def test_it_answers_malformed_json_with_400(alice_api):
    response = alice_api.client.post("/api/v1/companies/", data="{not json", content_type="application/json",
                                     headers=alice_api.headers)
    _error(response, 400, "malformed_request")


def test_it_answers_non_json_bodies_with_415(alice_api):
    response = alice_api.client.post("/api/v1/companies/", data="name=x", content_type="application/x-www-form-urlencoded",
                                     headers=alice_api.headers)
    _error(response, 415, "unsupported_media_type")


def test_it_throttles_per_api_key(alice_api, bob_api):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "3/minute"}
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [alice_api.get("/api/v1/companies/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        error = _error(alice_api.get("/api/v1/companies/"), 429, "rate_limited")
        assert error["details"]["retry_after"] > 0
        assert bob_api.get("/api/v1/companies/").status_code == 200  # another key, another budget


def test_it_answers_a_post_to_an_unknown_path_with_a_json_404_not_a_csrf_403(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/api/v1/companies/{alice.company.public_id}/connections/-1/disconnect/",
        HTTP_AUTHORIZATION=f"Bearer {alice.raw_key}",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
