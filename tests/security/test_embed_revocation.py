"""Embed tokens can be revoked: by session, for a whole company, and by revoking the API key that
minted the session. The dashboard stops at its next request."""

from companies.models import EmbedSession
from companies.services import api_key_revoke
from tests.dashboard.conftest import url


def _open(client, api, company) -> tuple[str, str]:
    """What a partner does: mint a session through the API, open it; (session id, token)."""
    minted = api.post(f"/api/v1/companies/{company.public_id}/embed-sessions/", {"permissions": ["read"]})
    assert minted.status_code == 201, minted.content
    body = minted.json()
    page = client.post("/embed/", {"client_secret": body["client_secret"]}).content.decode()
    token = page.split('"X-Embed-Token": "')[1].split('"')[0]
    return body["id"], token


def _works(client, company, token) -> int:
    return client.get(url(company, "transactions"), HTTP_X_EMBED_TOKEN=token).status_code


def test_a_revoked_session_stops_its_dashboard_and_only_it(client, alice, alice_api):
    first, token = _open(client, alice_api, alice.company)
    _, other = _open(client, alice_api, alice.company)
    assert _works(client, alice.company, token) == 200

    answer = alice_api.request("delete", f"/api/v1/companies/{alice.company.public_id}/embed-sessions/{first}/")

    assert answer.status_code == 204
    assert _works(client, alice.company, token) == 401
    assert _works(client, alice.company, other) == 200
    again = alice_api.request("delete", f"/api/v1/companies/{alice.company.public_id}/embed-sessions/{first}/")
    assert again.status_code == 404


def test_revoking_all_of_a_company_and_revoking_the_key_end_every_session(client, alice, alice_api):
    _, one = _open(client, alice_api, alice.company)
    _, two = _open(client, alice_api, alice.company)
    done = alice_api.post(f"/api/v1/companies/{alice.company.public_id}/embed-sessions/revoke-all/", {})
    assert done.json() == {"revoked": 2}
    assert {_works(client, alice.company, t) for t in (one, two)} == {401}

    _, three = _open(client, alice_api, alice.company)
    assert _works(client, alice.company, three) == 200
    api_key_revoke(api_key=EmbedSession.objects.get(revoked_at__isnull=True).api_key)
    assert _works(client, alice.company, three) == 401


def test_another_partner_cannot_revoke_alices_sessions(client, alice, alice_api, bob_api):
    session, token = _open(client, alice_api, alice.company)
    answer = bob_api.request("delete", f"/api/v1/companies/{alice.company.public_id}/embed-sessions/{session}/")
    assert answer.status_code == 404
    assert _works(client, alice.company, token) == 200
