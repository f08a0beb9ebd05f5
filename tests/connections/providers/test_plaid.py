"""PlaidClient against a scripted loopback server."""

import pytest

from connections.providers.errors import ItemLoginRequired, NotReady, RateLimited
from connections.providers.http import RetryPolicy
from connections.providers.plaid import PlaidClient, SyncMutationDuringPagination
from tests.connections.conftest import Reply

SYNC = "/plaid/transactions/sync"


@pytest.fixture
def client(scripted, timing):
    return PlaidClient(
        base_url=scripted.base_url + "/plaid", client_id="pcid", secret="psecret", **timing
    )


def plaid_error(code, type_="ITEM_ERROR", status=400):
    return Reply(
        status,
        {
            "error_type": type_,
            "error_code": code,
            "error_message": "m",
            "display_message": None,
            "request_id": "rq1",
        },
    )


def page(ids, cursor, has_more):
    return Reply(
        200,
        {
            "added": [{"transaction_id": i} for i in ids],
            "modified": [],
            "removed": [],
            "next_cursor": cursor,
            "has_more": has_more,
            "request_id": "r",
        },
    )


def test_it_posts_json_with_credentials_in_the_body(client, scripted):
    scripted.script(
        "POST",
        "/plaid/item/public_token/exchange",
        Reply(200, {"access_token": "access-1", "item_id": "item-1", "request_id": "r"}),
    )

    assert client.exchange_public_token("public-1")["item_id"] == "item-1"
    seen = scripted.seen("/plaid/item/public_token/exchange")[0]
    assert seen.json == {"client_id": "pcid", "secret": "psecret", "public_token": "public-1"}
    assert seen.headers["content-type"] == "application/json"


def test_it_gets_accounts(client, scripted):
    scripted.script(
        "POST", "/plaid/accounts/get", Reply(200, {"accounts": [{"account_id": "a1"}], "item": {}})
    )

    assert client.accounts_get("access-1")["accounts"] == [{"account_id": "a1"}]


def test_it_syncs_transactions_page_by_page(client, scripted):
    scripted.script("POST", SYNC, page(["t1", "t2"], "c1", True), page(["t3"], "c2", False))

    pages = list(client.iter_transactions_sync("access-1", count=2))

    assert [[t["transaction_id"] for t in p.added] for p in pages] == [["t1", "t2"], ["t3"]]
    assert [(p.cursor, p.next_cursor, p.has_more) for p in pages] == [
        (None, "c1", True),
        ("c1", "c2", False),
    ]
    first, second = (r.json for r in scripted.seen(SYNC))
    assert "cursor" not in first and first["count"] == 2
    assert second["cursor"] == "c1"


def test_it_restarts_from_the_loop_cursor_on_mutation_during_pagination(client, scripted):
    scripted.script(
        "POST",
        SYNC,
        page(["t1"], "c1", True),
        plaid_error("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", "TRANSACTIONS_ERROR"),
        page(["t1", "t2"], "c1b", True),
        page(["t3"], "c2", False),
    )

    pages = list(client.iter_transactions_sync("access-1", cursor="c0"))

    cursors_sent = [r.json["cursor"] for r in scripted.seen(SYNC)]
    assert cursors_sent == ["c0", "c1", "c0", "c1b"]  # the restart went back to c0, not c1
    assert [p.restarted for p in pages] == [False, True, True]
    assert pages[-1].next_cursor == "c2"


def test_it_gives_up_when_mutations_keep_interrupting(client, scripted):
    scripted.script(
        "POST",
        SYNC,
        plaid_error("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", "TRANSACTIONS_ERROR"),
    )

    with pytest.raises(SyncMutationDuringPagination):
        list(client.iter_transactions_sync("access-1", max_restarts=2))
    assert len(scripted.seen(SYNC)) == 3


def test_it_treats_an_empty_next_cursor_as_no_cursor_yet(client, scripted):
    scripted.script(
        "POST",
        SYNC,
        Reply(
            200,
            {
                "added": [],
                "modified": [],
                "removed": [],
                "next_cursor": "",
                "has_more": False,
                "transactions_update_status": "NOT_READY",
            },
        ),
    )

    result = client.transactions_sync("access-1")
    assert result.next_cursor is None and result.update_status == "NOT_READY"


def test_it_types_item_login_required(client, scripted):
    scripted.script("POST", SYNC, plaid_error("ITEM_LOGIN_REQUIRED"))

    with pytest.raises(ItemLoginRequired) as caught:
        client.transactions_sync("access-1")
    assert caught.value.code == "ITEM_LOGIN_REQUIRED" and caught.value.request_id == "rq1"


def test_it_types_product_not_ready(client, scripted):
    scripted.script("POST", SYNC, plaid_error("PRODUCT_NOT_READY"))

    with pytest.raises(NotReady):
        client.transactions_sync("access-1")


def test_it_retries_plaid_rate_limits_and_reports_when_they_persist(scripted, timing):
    client = PlaidClient(
        base_url=scripted.base_url + "/plaid",
        client_id="c",
        secret="s",
        retry=RetryPolicy(max_attempts=2),
        **timing,
    )
    scripted.script(
        "POST", SYNC, plaid_error("TRANSACTIONS_SYNC_LIMIT", "RATE_LIMIT_EXCEEDED", 429)
    )

    with pytest.raises(RateLimited) as caught:
        client.transactions_sync("access-1")
    assert caught.value.code == "TRANSACTIONS_SYNC_LIMIT"
    assert len(scripted.seen(SYNC)) == 2


def test_it_fetches_a_webhook_verification_key(client, scripted):
    key = {
        "alg": "ES256",
        "crv": "P-256",
        "kid": "k1",
        "kty": "EC",
        "use": "sig",
        "x": "x",
        "y": "y",
        "created_at": 1,
        "expired_at": None,
    }
    scripted.script(
        "POST", "/plaid/webhook_verification_key/get", Reply(200, {"key": key, "request_id": "r"})
    )

    assert client.webhook_verification_key_get("k1") == key
    assert scripted.seen("/plaid/webhook_verification_key/get")[0].json["key_id"] == "k1"


def test_it_creates_link_tokens_for_new_items_and_for_update_mode(client, scripted):
    answer = {"link_token": "link-sandbox-1", "expiration": "2025-03-01T04:00:00Z", "request_id": "rq"}
    scripted.script("POST", "/plaid/link/token/create", Reply(200, answer))
    assert client.link_token_create(client_name="Tieout", client_user_id="u1", country_codes=["US"],
                                    webhook="https://t.example/webhooks/plaid") == answer
    client.link_token_create(client_name="Tieout", client_user_id="u1", country_codes=["US", "CA"],
                             language="fr", access_token="access-1", redirect_uri="https://t.example/oauth")
    new, update = (seen.json for seen in scripted.seen("/plaid/link/token/create"))
    assert new == {"client_id": "pcid", "secret": "psecret", "client_name": "Tieout", "language": "en",
                   "country_codes": ["US"], "user": {"client_user_id": "u1"}, "products": ["transactions"],
                   "webhook": "https://t.example/webhooks/plaid"}
    # Update mode names the item by its access token and leaves products out.
    assert "products" not in update and "webhook" not in update
    assert (update["access_token"], update["language"], update["redirect_uri"]) == (
        "access-1", "fr", "https://t.example/oauth")
