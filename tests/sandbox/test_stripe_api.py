from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import ACCT


def test_it_rejects_missing_and_invalid_keys(sandbox):
    missing = httpx.get(sandbox.stripe_api_base + "/v1/payouts")
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "invalid_request_error"
    wrong = httpx.get(sandbox.stripe_api_base + "/v1/payouts", headers={"Authorization": "Bearer sk_test_wrong"})
    assert wrong.status_code == 401 and "Invalid API Key" in wrong.json()["error"]["message"]


def test_it_refuses_accounts_that_are_not_connected(stripe):
    resp = stripe.get("/v1/payouts", headers={"Stripe-Account": "acct_other"})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "account_invalid"


def test_it_lists_payouts_newest_first_with_cursor_pagination(stripe):
    first = stripe.get("/v1/payouts", params={"limit": 2}).json()
    assert first["object"] == "list" and first["has_more"] is True and first["url"] == "/v1/payouts"
    assert [p["id"] for p in first["data"]] == ["po_2", "po_1"]
    rest = stripe.get("/v1/payouts", params={"limit": 2, "starting_after": "po_1"}).json()
    assert [p["id"] for p in rest["data"]] == ["po_0"] and rest["has_more"] is False
    back = stripe.get("/v1/payouts", params={"limit": 1, "ending_before": "po_0"}).json()
    assert [p["id"] for p in back["data"]] == ["po_1"]


def test_it_pages_balance_transactions_exactly_once(stripe, world):
    seen, after = [], None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = stripe.get("/v1/balance_transactions", params=params).json()
        seen += [b["id"] for b in page["data"]]
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    assert sorted(seen) == sorted(b["id"] for b in world.stripe[0].balance_transactions)
    assert len(seen) == len(set(seen))


def test_it_caps_limit_at_100(stripe):
    resp = stripe.get("/v1/balance_transactions", params={"limit": 101})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "limit"


def test_it_lists_a_payouts_balance_transactions_including_its_own(stripe):
    payout = stripe.get("/v1/payouts/po_1").json()
    data = stripe.get("/v1/balance_transactions", params={"payout": "po_1", "limit": 100}).json()["data"]
    own = [b for b in data if b["type"] == "payout"]
    assert [b["id"] for b in own] == [payout["balance_transaction"]]
    items = [b for b in data if b["type"] != "payout"]
    assert len(items) == 50 and sum(b["net"] for b in items) == payout["amount"]
    assert all("payout" not in b for b in data)  # the world-only field is not served
    assert items[0]["fee_details"][0]["type"] == "stripe_fee"


def test_it_filters_balance_transactions_by_type_and_created(stripe):
    payouts = stripe.get("/v1/balance_transactions", params={"type": "payout", "limit": 100}).json()["data"]
    assert {b["id"] for b in payouts} == {"txn_po_0", "txn_po_1", "txn_po_2"}
    late = stripe.get("/v1/balance_transactions", params={"created[gte]": 1740900000 + 86400,
                                                          "type": "payout"}).json()["data"]
    assert {b["id"] for b in late} == {"txn_po_1", "txn_po_2"}


def test_it_404s_unknown_payouts(stripe):
    resp = stripe.get("/v1/balance_transactions", params={"payout": "po_nope"})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "resource_missing"
    assert stripe.get("/v1/payouts/po_nope").status_code == 404


def test_it_exchanges_an_oauth_code(sandbox):
    key = sandbox.credentials.stripe_secret_key
    ok = httpx.post(sandbox.stripe_connect_base + "/oauth/token",
                    data={"grant_type": "authorization_code", "code": "ac_test_code", "client_secret": key})
    assert ok.status_code == 200
    assert ok.json()["stripe_user_id"] == ACCT and ok.json()["token_type"] == "bearer"
    bad = httpx.post(sandbox.stripe_connect_base + "/oauth/token",
                     data={"grant_type": "authorization_code", "code": "ac_nope", "client_secret": key})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    unauth = httpx.post(sandbox.stripe_connect_base + "/oauth/token",
                        data={"grant_type": "authorization_code", "code": "ac_test_code"})
    assert unauth.status_code == 401


def test_it_redirects_back_from_the_authorize_page_with_code_and_state(sandbox):
    params = {"client_id": sandbox.credentials.stripe_client_id, "state": "xyz",
              "redirect_uri": sandbox.credentials.stripe_redirect_uri, "response_type": "code",
              "scope": "read_write"}
    page = httpx.get(sandbox.stripe_connect_base + "/oauth/authorize", params=params)
    assert page.status_code == 200 and "<form" in page.text
    resp = httpx.post(sandbox.stripe_connect_base + "/oauth/authorize?" + httpx.QueryParams(params).__str__(),
                      data={"account": ACCT})
    assert resp.status_code == 302
    assert resp.headers["location"].startswith(sandbox.credentials.stripe_redirect_uri + "?")
    back = parse_qs(urlsplit(resp.headers["location"]).query)
    assert back["code"] == ["ac_test_code"] and back["state"] == ["xyz"]


def _authorize(sandbox, **params):
    query = {"client_id": sandbox.credentials.stripe_client_id, "state": "xyz", "response_type": "code",
             "scope": "read_write", **params}
    return httpx.get(sandbox.stripe_connect_base + "/oauth/authorize", params=query)


def test_it_refuses_a_redirect_uri_that_is_not_the_registered_one(sandbox):
    registered = sandbox.credentials.stripe_redirect_uri
    for uri in ("http://app.test/cb", registered + "?s=ours", registered.rstrip("/")):
        page = _authorize(sandbox, redirect_uri=uri)
        # Stripe cannot redirect to it: an error page, not a redirect.
        assert page.status_code == 400 and "invalid_redirect_uri" in page.text, uri
    assert _authorize(sandbox, redirect_uri=registered).status_code == 200
    assert _authorize(sandbox).status_code == 200  # none given: the registered one


def test_it_refuses_read_only_scope_for_a_platform(sandbox):
    resp = _authorize(sandbox, scope="read_only")
    assert resp.status_code == 302
    back = parse_qs(urlsplit(resp.headers["location"]).query)
    assert back["error"] == ["invalid_scope"] and back["state"] == ["xyz"]
    assert "read_write" in back["error_description"][0]


def test_it_answers_token_errors_as_oauth_errors(sandbox):
    key = sandbox.credentials.stripe_secret_key
    bad = httpx.post(sandbox.stripe_connect_base + "/oauth/token", headers={"Authorization": f"Bearer {key}"},
                     data={"grant_type": "authorization_code", "code": "ac_nope"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "invalid_grant", "error_description": "Authorization code does not exist: ac_nope"}


def _manual_payout(sandbox, payout_id="po_manual", **fields):
    payout = {"id": payout_id, "object": "payout", "amount": 9505, "currency": "usd", "status": "paid",
              "created": 1741300000, "arrival_date": 1741300000, "automatic": False, "method": "instant",
              **fields}
    with sandbox.state.lock:
        sandbox.state.stripe[ACCT].payouts.upsert(payout)
    return payout


def test_it_refuses_to_list_what_a_manual_payout_paid_out_as_stripe_does(sandbox, stripe):
    _manual_payout(sandbox)
    resp = stripe.get("/v1/balance_transactions", params={"payout": "po_manual"})
    # Exactly Stripe's answer: 400, invalid_request_error, this message, no code and no param.
    assert resp.status_code == 400
    assert resp.json() == {"error": {
        "message": "Balance transaction history can only be filtered on automatic transfers, not manual.",
        "type": "invalid_request_error"}}
    assert stripe.get("/v1/balance_transactions", params={"payout": "po_1"}).status_code == 200


def test_it_serves_reconciliation_status(sandbox, stripe):
    _manual_payout(sandbox)
    with sandbox.state.lock:
        sandbox.state.stripe[ACCT].payouts.upsert({**sandbox.state.stripe[ACCT].payouts.get("po_2"),
                                                   "status": "in_transit"})
    served = {p["id"]: p for p in stripe.get("/v1/payouts").json()["data"]}
    assert served["po_manual"]["reconciliation_status"] == "not_applicable"
    assert served["po_2"]["reconciliation_status"] == "in_progress"  # until it is paid
    assert served["po_1"]["reconciliation_status"] == "completed"
    assert (served["po_1"]["automatic"], served["po_1"]["method"]) == (True, "standard")
    assert stripe.get("/v1/payouts/po_manual").json()["method"] == "instant"


def test_it_sends_payout_reconciliation_completed_when_a_payout_is_paid(sandbox):
    from sandbox.events import apply_event

    po = sandbox.state.stripe[ACCT].payouts.get("po_1")
    moving = {"at": "2025-03-29T00:00:00Z", "provider": "stripe", "connection": ACCT, "op": "upsert",
              "kind": "payout", "object": {**po, "status": "in_transit", "reconciliation_status": "in_progress"}}
    assert [p["type"] for _, _, p in apply_event(sandbox.state, moving)] == ["payout.updated"]
    paid = {**moving, "object": {**po, "status": "paid", "reconciliation_status": "completed"}}
    events = [p for _, _, p in apply_event(sandbox.state, paid)]
    assert [e["type"] for e in events] == ["payout.paid", "payout.reconciliation_completed"]
    assert events[1]["account"] == ACCT and events[1]["data"]["object"]["reconciliation_status"] == "completed"


def test_it_deauthorizes_an_account_with_an_event_and_no_more_access(sandbox, stripe):
    resp = httpx.post(f"{sandbox.base_url}/_sandbox/stripe/{ACCT}/deauthorize")
    assert resp.status_code == 200
    (provider, event), = sandbox.emitted
    assert provider == "stripe" and event["type"] == "account.application.deauthorized"
    assert event["account"] == ACCT
    assert event["data"]["object"] == {"id": sandbox.credentials.stripe_client_id, "object": "application",
                                       "name": "Tieout sandbox platform"}
    denied = stripe.get("/v1/payouts")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "account_invalid"
    assert httpx.post(f"{sandbox.base_url}/_sandbox/stripe/acct_nope/deauthorize").status_code == 404
