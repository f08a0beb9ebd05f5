
import httpx

TOKEN = "access-sandbox-test"


def test_it_rejects_invalid_api_keys(sandbox):
    resp = httpx.post(sandbox.plaid_base_url + "/transactions/sync",
                      json={"client_id": "x", "secret": "y", "access_token": TOKEN})
    body = resp.json()
    assert resp.status_code == 400 and body["error_code"] == "INVALID_API_KEYS"
    assert {"error_type", "error_code", "error_message", "display_message", "request_id"} <= set(body)


def test_it_accepts_keys_in_headers(sandbox):
    c = sandbox.credentials
    resp = httpx.post(sandbox.plaid_base_url + "/accounts/get", json={"access_token": TOKEN},
                      headers={"PLAID-CLIENT-ID": c.plaid_client_id, "PLAID-SECRET": c.plaid_secret})
    assert resp.status_code == 200 and resp.json()["accounts"][0]["account_id"] == "acc-1"


def test_it_exchanges_a_public_token(plaid):
    resp = plaid.post("/item/public_token/exchange", public_token="public-sandbox-test")
    assert resp.json()["access_token"] == TOKEN and resp.json()["item_id"] == "item-test-1"
    bad = plaid.post("/item/public_token/exchange", public_token="public-sandbox-nope")
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PUBLIC_TOKEN"


def test_it_rejects_unknown_access_tokens(plaid):
    resp = plaid.post("/transactions/sync", access_token="access-sandbox-nope")
    assert resp.status_code == 400 and resp.json()["error_code"] == "INVALID_ACCESS_TOKEN"


def _sync_all(plaid, cursor="", count=7):
    added, removed = {}, set()
    while True:
        body = plaid.post("/transactions/sync", access_token=TOKEN, cursor=cursor, count=count).json()
        for t in body["added"] + body["modified"]:
            added[t["transaction_id"]] = t
        for r in body["removed"]:
            removed.add(r["transaction_id"])
            added.pop(r["transaction_id"], None)
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return added, removed, cursor


def test_it_syncs_every_transaction_once_across_pages(plaid, world):
    added, removed, cursor = _sync_all(plaid)
    assert set(added) == {t["transaction_id"] for t in world.plaid[0].transactions}
    assert not removed
    again = plaid.post("/transactions/sync", access_token=TOKEN, cursor=cursor).json()
    assert again["added"] == [] and again["has_more"] is False and again["next_cursor"] == cursor


def test_it_removes_a_pending_line_when_its_posted_line_arrives(plaid, sandbox):
    _, _, cursor = _sync_all(plaid)
    sandbox.apply_events()
    body = plaid.post("/transactions/sync", access_token=TOKEN, cursor=cursor).json()
    assert [t["transaction_id"] for t in body["added"]] == ["post-1"]
    assert body["added"][0]["pending_transaction_id"] == "pend-1"
    assert body["removed"] == [{"transaction_id": "pend-1", "account_id": "acc-1"}]


def test_it_caps_count_at_500_and_rejects_bad_cursors(plaid):
    assert plaid.post("/transactions/sync", access_token=TOKEN, count=501).status_code == 400
    assert plaid.post("/transactions/sync", access_token=TOKEN, cursor="bogus!").status_code == 400


def test_it_serves_the_webhook_verification_key_as_a_jwk(plaid, sandbox):
    kid = sandbox.plaid_signer.kid
    key = plaid.post("/webhook_verification_key/get", key_id=kid).json()["key"]
    assert key["kid"] == kid and key["alg"] == "ES256" and key["crv"] == "P-256" and key["kty"] == "EC"
    assert plaid.post("/webhook_verification_key/get", key_id="other").status_code == 400


def test_it_refuses_a_mid_update_cursor_once_the_transactions_changed(plaid, sandbox):
    """Plaid: TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION (HTTP 400, TRANSACTIONS_ERROR); the
    update must restart from its first cursor, which still works, as does a finished update's."""
    first = plaid.post("/transactions/sync", access_token=TOKEN, count=7).json()
    assert first["has_more"] is True
    assert plaid.post("/transactions/sync", access_token=TOKEN, cursor=first["next_cursor"], count=7).status_code == 200
    sandbox.apply_events()
    resp = plaid.post("/transactions/sync", access_token=TOKEN, cursor=first["next_cursor"], count=7)
    body = resp.json()
    assert resp.status_code == 400
    assert (body["error_type"], body["error_code"]) == ("TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
    assert body["error_message"] == ("Underlying transaction data changed since last page was fetched. "
                                     "Please restart pagination from last update.")
    assert body["display_message"] is None and body["request_id"]
    added, removed, _ = _sync_all(plaid)  # restarting from the update's first cursor ("") works
    assert "post-1" in added and "pend-1" not in added
