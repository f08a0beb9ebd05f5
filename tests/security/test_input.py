"""What an attacker can send the partner API: anything unreadable is a 400 with the usual body,
never a 500, and no number that is not finite gets in."""

import json

from companies.models import Company


def _post(api, body: str):
    return api.client.post("/api/v1/companies/", data=body, content_type="application/json", headers=api.headers)


def _malformed(response):
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "malformed_request"


def test_deeply_nested_json_is_a_400(alice_api):
    _malformed(_post(alice_api, "[" * 100_000 + "]" * 100_000))
    _malformed(_post(alice_api, '{"name": ' + "[" * 50_000 + "]" * 50_000 + "}"))


def test_numbers_that_are_not_finite_are_refused(alice_api):
    before = Company.objects.count()
    for body in ('{"name": 1e309}', '{"name": -1e400}', '{"name": NaN}', '{"name": Infinity}'):
        _malformed(_post(alice_api, body))
    assert Company.objects.count() == before


def test_an_ordinary_body_still_works(alice_api):
    response = _post(alice_api, json.dumps({"name": "Fine Co", "external_id": "fine-1"}))
    assert response.status_code == 201, response.content
