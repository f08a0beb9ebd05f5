"""Stored idempotent responses are encrypted: a client secret exists at rest only as its hash."""

from django.db import connection
from django.test import override_settings

from companies.models import EmbedSession, IdempotencyRecord
from companies.tokens import hash_secret
from tests.api.conftest import v1


def _database_text() -> str:
    """Every row of every table, as text (bytes decoded), to search for a leaked value."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    chunks.append(str(value))
    return "\n".join(chunks)


def test_it_keeps_no_client_secret_in_the_database(alice, alice_api):
    headers = {"Idempotency-Key": "embed-at-rest"}
    response = alice_api.post(v1(alice.company, "embed-sessions/"), {}, headers)
    assert response.status_code == 201
    secret = response.json()["client_secret"]

    stored = _database_text()
    assert secret not in stored
    assert secret.split("_", 1)[-1] not in stored  # nor its random part
    assert hash_secret(secret) in stored  # the hash is what identifies the session
    record = IdempotencyRecord.objects.get(key="embed-at-rest")
    assert isinstance(record.response_body, str) and "client_secret" not in record.response_body

    # The replay still answers with the secret (decrypted from the stored response).
    again = alice_api.post(v1(alice.company, "embed-sessions/"), {}, headers)
    assert again.json()["client_secret"] == secret
    assert again["Idempotent-Replayed"] == "true"
    assert EmbedSession.objects.filter(company=alice.company).count() == 1


def test_it_refuses_to_replay_a_response_it_can_no_longer_read(alice, alice_api):
    headers = {"Idempotency-Key": "rotated"}
    assert alice_api.post(v1(alice.company, "embed-sessions/"), {}, headers).status_code == 201
    with override_settings(TOKEN_ENCRYPTION_KEY="another-key-after-rotation"):
        again = alice_api.post(v1(alice.company, "embed-sessions/"), {}, headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "idempotency_key_unreadable"
    assert EmbedSession.objects.filter(company=alice.company).count() == 1


def test_it_still_replays_a_response_stored_before_sealing(alice, alice_api):
    headers = {"Idempotency-Key": "legacy"}
    first = alice_api.post("/api/v1/companies/", {"name": "Legacy"}, headers)
    IdempotencyRecord.objects.filter(key="legacy").update(response_body=first.json())
    again = alice_api.post("/api/v1/companies/", {"name": "Legacy"}, headers)
    assert again.status_code == 201 and again.json() == first.json()
