"""Embed sessions: a single-use client secret and the URL that opens the dashboard."""

from companies.models import EmbedSession
from companies.tokens import hash_secret
from tests.api.conftest import v1


def test_it_mints_a_client_secret_and_an_embed_url(alice, alice_api):
    response = alice_api.post(v1(alice.company, "embed-sessions/"), {"permissions": ["read", "write"]})
    assert response.status_code == 201, response.content
    body = response.json()
    session = EmbedSession.objects.get(company=alice.company)
    assert session.secret_hash == hash_secret(body["client_secret"])  # stored hashed only
    # In the fragment, which browsers never send: no access log holds the secret.
    assert body["embed_url"].endswith(f"/embed/#client_secret={body['client_secret']}")
    assert body["expires_at"] and sorted(body["permissions"]) == ["read", "write"]


def test_it_rejects_unknown_permissions_and_ttls(alice, alice_api):
    response = alice_api.post(v1(alice.company, "embed-sessions/"), {"permissions": ["admin"], "ttl_seconds": 5})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"permissions", "ttl_seconds"}
    assert not EmbedSession.objects.exists()
