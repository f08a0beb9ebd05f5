"""Plaid Link in the sandbox: /link/token/create, a Link page that needs a valid link token and
mints a public_token for the token's item, and the stand-in of Link's JS."""

import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.sandbox.conftest import ITEM

TOKEN = "access-sandbox-test"
REQUEST = {"client_name": "Tieout", "language": "en", "country_codes": ["US"],
           "user": {"client_user_id": "company-1"}, "products": ["transactions"],
           "webhook": "https://tieout.example/webhooks/plaid"}


def _link_token(plaid, **changes) -> str:
    resp = plaid.post("/link/token/create", **{**REQUEST, **changes})
    assert resp.status_code == 200, resp.text
    return resp.json()["link_token"]


def _choose(sandbox, token: str, item: str = ITEM, **extra) -> httpx.Response:
    return httpx.post(sandbox.plaid_base_url + "/link", data={"token": token, "item": item, **extra})


def test_it_creates_a_link_token(plaid):
    resp = plaid.post("/link/token/create", **REQUEST)
    body = resp.json()
    assert resp.status_code == 200 and set(body) == {"link_token", "expiration", "request_id"}
    assert body["link_token"].startswith("link-sandbox-")
    expires = datetime.fromisoformat(body["expiration"].replace("Z", "+00:00"))
    assert 3.9 * 3600 < (expires - datetime.now(UTC)).total_seconds() <= 4 * 3600  # Plaid: 4 hours


def test_it_refuses_link_token_requests_without_the_required_fields(plaid):
    resp = plaid.post("/link/token/create", products=["transactions"], user={})
    body = resp.json()
    assert resp.status_code == 400 and (body["error_type"], body["error_code"]) == ("INVALID_REQUEST", "MISSING_FIELDS")
    for field in ("client_name", "language", "country_codes", "user.client_user_id"):
        assert field in body["error_message"]
    bad_webhook = plaid.post("/link/token/create", **{**REQUEST, "webhook": "not a url"})
    assert bad_webhook.status_code == 400 and bad_webhook.json()["error_code"] == "INVALID_FIELD"


def test_it_refuses_link_token_requests_with_bad_credentials(sandbox):
    resp = httpx.post(sandbox.plaid_base_url + "/link/token/create",
                      json={"client_id": "x", "secret": "y", **REQUEST})
    body = resp.json()
    assert resp.status_code == 400 and (body["error_type"], body["error_code"]) == ("INVALID_INPUT", "INVALID_API_KEYS")
    assert body["error_message"] == "invalid client_id or secret provided" and body["display_message"] is None


def test_it_opens_link_only_with_a_valid_unexpired_link_token(plaid, sandbox):
    link = sandbox.plaid_base_url + "/link"
    token = _link_token(plaid)
    assert httpx.get(link, params={"token": token}).status_code == 200
    sandbox.state.plaid_link_tokens[token].expires_at = time.time() - 1  # 4 hours later
    for params in ({}, {"token": "link-sandbox-forged"}, {"token": token}):
        page = httpx.get(link, params=params)
        assert page.status_code == 400 and "INVALID_LINK_TOKEN" in page.text and "invalid link_token provided" in page.text
        refused = httpx.post(link, data={**params, "item": ITEM, "redirect_uri": "http://app.test/cb"})
        assert refused.status_code == 400 and "location" not in refused.headers


def test_it_hands_back_a_fresh_public_token_tied_to_the_link_tokens_item(plaid, sandbox):
    token = _link_token(plaid)
    page = httpx.get(sandbox.plaid_base_url + "/link", params={"token": token, "redirect_uri": "http://app.test/cb"})
    assert page.status_code == 200 and ITEM in page.text
    resp = _choose(sandbox, token, redirect_uri="http://app.test/cb", state="s1")
    back = parse_qs(urlsplit(resp.headers["location"]).query)
    public_token = back["public_token"][0]
    assert back["state"] == ["s1"] and public_token.startswith("public-sandbox-")
    assert public_token != "public-sandbox-test"  # minted for this Link session, not the world's
    exchanged = plaid.post("/item/public_token/exchange", public_token=public_token).json()
    assert (exchanged["item_id"], exchanged["access_token"]) == (ITEM, TOKEN)
    item = plaid.post("/accounts/get", access_token=TOKEN).json()["item"]
    assert item["webhook"] == REQUEST["webhook"]  # the link token's webhook is now the item's


def test_an_update_mode_link_token_links_only_its_own_item(plaid, sandbox):
    token = _link_token(plaid, access_token=TOKEN, products=None)
    assert _choose(sandbox, token, item="item-other").status_code == 400
    assert _choose(sandbox, token).status_code == 200
    refused = plaid.post("/link/token/create", **{**REQUEST, "access_token": "access-sandbox-nope"})
    assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_ACCESS_TOKEN"


def _posted_message(html: str) -> dict:
    found = re.search(r"window\.opener\.postMessage\((.*), '\*'\);</script>", html)
    assert found, html
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_the_link_page_reports_to_the_js_stand_in_by_post_message(plaid, sandbox):
    """Opened by Plaid.create(...).open() (no redirect_uri), the page posts its outcome to the
    opener: SUCCESS with the public_token and onSuccess's metadata, or EXIT with Plaid's error."""
    token = _link_token(plaid)
    message = _posted_message(_choose(sandbox, token, link_session_id="sess-1").text)
    assert (message["source"], message["type"]) == ("tieout-plaid-link", "SUCCESS")
    metadata = message["metadata"]
    assert message["public_token"] == metadata["public_token"]
    assert metadata["institution"] == {"name": "Checking", "institution_id": "ins_sandbox"}
    assert [a["id"] for a in metadata["accounts"]] == ["acc-1"] and metadata["accounts"][0]["mask"] == "0001"
    exchanged = plaid.post("/item/public_token/exchange", public_token=message["public_token"]).json()
    assert exchanged["item_id"] == ITEM

    exit_message = _posted_message(httpx.get(sandbox.plaid_base_url + "/link", params={"token": "bogus"}).text)
    assert exit_message["type"] == "EXIT" and exit_message["error"] == {
        "error_type": "INVALID_INPUT", "error_code": "INVALID_LINK_TOKEN",
        "error_message": "invalid link_token provided", "display_message": None}


def test_it_serves_the_link_js_stand_in(sandbox):
    resp = httpx.get(sandbox.plaid_link_js_url)
    assert sandbox.plaid_link_js_url == sandbox.plaid_base_url + "/link/v2/stable/link-initialize.js"
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/javascript")
    for part in ("window.Plaid", "create", "onSuccess", "onExit", "onEvent", "open:", "exit:", "destroy:",
                 "addEventListener(\"message\"", "tieout-plaid-link"):
        assert part in resp.text
