from companies.models import ApiKey
from companies.services import api_key_authenticate, api_key_create, api_key_revoke


def test_it_never_stores_the_secret_in_clear(alice):
    key, raw = api_key_create(partner=alice.partner, name="ci")
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    secret_part = raw.split("_", 2)[2]
    assert all(secret_part not in str(value) for value in stored.values())
    assert raw not in str(stored)
    assert stored["key_hash"] != raw


def test_it_authenticates_a_valid_key_and_records_use(alice):
    key = api_key_authenticate(raw_key=alice.raw_key)
    assert key.partner == alice.partner
    assert key.last_used_at is not None


def test_it_refuses_a_revoked_key(alice):
    api_key_revoke(api_key=alice.api_key)
    assert api_key_authenticate(raw_key=alice.raw_key) is None


def test_it_refuses_a_wrong_secret_with_a_valid_prefix(alice):
    prefix = alice.raw_key.split("_")[1]
    assert api_key_authenticate(raw_key=f"tk_{prefix}_{'A' * 43}") is None


def test_it_refuses_malformed_keys(alice):
    for raw in ["", "tk_", "nonsense", "tk_short_x", alice.raw_key + " ", None, 42]:
        assert api_key_authenticate(raw_key=raw) is None


def test_it_does_not_confuse_two_partners_keys(alice, bob):
    assert api_key_authenticate(raw_key=bob.raw_key).partner == bob.partner
    assert api_key_authenticate(raw_key=alice.raw_key).partner == alice.partner
