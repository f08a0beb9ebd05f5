import httpx

from sandbox.server import SandboxServer

from .conftest import SHOP


def test_it_applies_events_over_http(sandbox):
    health = httpx.get(sandbox.base_url + "/_sandbox/health").json()
    assert health["status"] == "ok" and health["events_remaining"] == 6
    resp = httpx.post(sandbox.base_url + "/_sandbox/events/apply", json={"n": 4})
    assert resp.json() == {"applied": 4, "remaining": 2}
    assert httpx.post(sandbox.base_url + "/_sandbox/events/apply").json() == {"applied": 2, "remaining": 0}
    hooks = httpx.get(sandbox.base_url + "/_sandbox/webhooks").json()["webhooks"]
    assert [h["provider"] for h in hooks].count("stripe") == 3


def test_it_marks_initial_sync_done_over_http(world):
    with SandboxServer(world, initial_sync_delay=None) as sb:
        assert httpx.get(sb.base_url + "/_sandbox/health").json()["rutter"][SHOP]["ready"] is False
        assert httpx.post(sb.base_url + f"/_sandbox/rutter/{SHOP}/initial_sync_done").status_code == 200
        assert httpx.get(sb.base_url + "/_sandbox/health").json()["rutter"][SHOP]["ready"] is True
        assert httpx.post(sb.base_url + "/_sandbox/rutter/nope/initial_sync_done").status_code == 404


def test_it_injects_429s_with_retry_after_in_each_providers_format(world):
    with SandboxServer(world, faults="429=1.0") as sb:
        c = sb.credentials
        rutter = httpx.get(sb.rutter_base_url + "/orders", params={"access_token": "tok-shop"})
        stripe = httpx.get(sb.stripe_api_base + "/v1/payouts")
        plaid = httpx.post(sb.plaid_base_url + "/transactions/sync", json={})
        assert [r.status_code for r in (rutter, stripe, plaid)] == [429, 429, 429]
        assert all(int(r.headers["Retry-After"]) >= 1 for r in (rutter, stripe, plaid))
        assert rutter.json()["error_code"] == "RATE_LIMIT_EXCEEDED"
        assert stripe.json()["error"]["code"] == "rate_limit"
        assert plaid.json()["error_type"] == "RATE_LIMIT_EXCEEDED"
        # the control surface is never faulted
        assert httpx.get(sb.base_url + "/_sandbox/health").status_code == 200
        del c


def test_it_injects_server_errors(world):
    with SandboxServer(world, faults="5xx=1.0") as sb:
        resp = httpx.get(sb.stripe_api_base + "/v1/payouts")
        assert resp.status_code in (500, 502, 503) and resp.json()["error"]["type"] == "api_error"


def test_it_serves_some_requests_normally_under_partial_faults(world):
    with SandboxServer(world, faults="429=0.3,seed=7") as sb:
        c = sb.credentials
        with httpx.Client(headers={"Authorization": f"Bearer {c.stripe_secret_key}"}) as client:
            codes = {client.get(sb.stripe_api_base + "/v1/payouts").status_code for _ in range(40)}
        assert codes == {200, 429}
