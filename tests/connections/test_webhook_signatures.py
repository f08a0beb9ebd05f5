"""Webhook signature checks. Signatures are produced here independently of the module under test."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from connections.providers.errors import ProviderError, TransientError
from connections.providers.plaid import PlaidClient
from connections.webhook_signatures import (
    P256_ORDER,
    PlaidKeyCache,
    SignatureError,
    plaid_delivery_key,
    rutter_signature,
    stripe_signature,
    verify_plaid,
    verify_rutter,
    verify_stripe,
)
from tests.connections.conftest import Reply

BODY = b'{"type":"payout.paid","data":{"object":{"id":"po_1","amount":1000}}}'
# Plaid's key ids are UUIDs (its webhook-verification docs); the verifier fetches nothing else.
K1, K2 = "6c5516e1-92dc-479e-a8ff-5a51992e0001", "6c5516e1-92dc-479e-a8ff-5a51992e0002"
FORGED, K_UNKNOWN = "00000000-0000-4000-8000-00000000f0f0", "00000000-0000-4000-8000-00000000dead"
NOW = 1_750_000_000


def reason(excinfo):
    return excinfo.value.reason


# -- Rutter -----------------------------------------------------------------------------------


def rutter_header(body, secret):
    return (
        "sha256="
        + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    )


def test_it_accepts_a_genuine_rutter_signature():
    verify_rutter(body=BODY, header=rutter_header(BODY, "rsecret"), secret="rsecret")
    assert rutter_signature(BODY, "rsecret") == rutter_header(BODY, "rsecret")


@pytest.mark.parametrize(
    "header, body, secret, expected",
    [
        (None, BODY, "rsecret", "missing_header"),
        ("sha256=***not base64***", BODY, "rsecret", "malformed_header"),
        (rutter_header(BODY, "other-secret"), BODY, "rsecret", "bad_signature"),
        (
            rutter_header(BODY, "rsecret"),
            BODY.replace(b"1000", b"9000"),
            "rsecret",
            "bad_signature",
        ),
        ("sha256=" + base64.b64encode(b"x" * 32).decode(), BODY, "rsecret", "bad_signature"),
        (rutter_header(BODY, "rsecret"), BODY, "", "bad_signature"),
    ],
)
def test_it_rejects_bad_rutter_signatures(header, body, secret, expected):
    with pytest.raises(SignatureError) as caught:
        verify_rutter(body=body, header=header, secret=secret)
    assert reason(caught) == expected


# -- Stripe -----------------------------------------------------------------------------------


def stripe_v1(body, secret, t):
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def test_it_accepts_a_genuine_stripe_signature():
    header = f"t={NOW},v1={stripe_v1(BODY, 'whsec_1', NOW)}"
    assert verify_stripe(body=BODY, header=header, secret="whsec_1", now=NOW + 10) == NOW
    assert stripe_signature(BODY, "whsec_1", timestamp=NOW) == header


def test_it_accepts_any_matching_v1_while_secrets_roll():
    header = f"t={NOW},v1={stripe_v1(BODY, 'whsec_old', NOW)},v1={stripe_v1(BODY, 'whsec_new', NOW)},v0=abc"
    verify_stripe(body=BODY, header=header, secret="whsec_new", now=NOW)


def test_it_accepts_a_signature_at_the_edge_of_the_tolerance():
    header = f"t={NOW},v1={stripe_v1(BODY, 'whsec_1', NOW)}"
    verify_stripe(body=BODY, header=header, secret="whsec_1", now=NOW + 300)


@pytest.mark.parametrize(
    "header, body, now, expected",
    [
        (None, BODY, NOW, "missing_header"),
        (f"v1={stripe_v1(BODY, 'whsec_1', NOW)}", BODY, NOW, "malformed_header"),
        (f"t={NOW}", BODY, NOW, "malformed_header"),
        (f"t=yesterday,v1={stripe_v1(BODY, 'whsec_1', NOW)}", BODY, NOW, "malformed_header"),
        (f"t={NOW},v1={stripe_v1(BODY, 'whsec_other', NOW)}", BODY, NOW, "bad_signature"),
        (f"t={NOW},v1={stripe_v1(BODY, 'whsec_1', NOW)}", BODY + b" ", NOW, "bad_signature"),
        # A replay: genuine signature, but the timestamp was changed to look fresh.
        (f"t={NOW + 1000},v1={stripe_v1(BODY, 'whsec_1', NOW)}", BODY, NOW + 1000, "bad_signature"),
        # v0 is Stripe's test scheme and never enough on its own.
        (f"t={NOW},v0={stripe_v1(BODY, 'whsec_1', NOW)}", BODY, NOW, "malformed_header"),
        (f"t={NOW},v1={stripe_v1(BODY, 'whsec_1', NOW)}", BODY, NOW + 301, "stale_timestamp"),
        (f"t={NOW},v1={stripe_v1(BODY, 'whsec_1', NOW)}", BODY, NOW - 301, "stale_timestamp"),
    ],
)
def test_it_rejects_bad_stripe_signatures(header, body, now, expected):
    with pytest.raises(SignatureError) as caught:
        verify_stripe(body=body, header=header, secret="whsec_1", now=now)
    assert reason(caught) == expected


# -- Plaid ------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_for(private_key, kid, expired_at=None):
    numbers = private_key.public_key().public_numbers()
    return {
        "alg": "ES256",
        "crv": "P-256",
        "kid": kid,
        "kty": "EC",
        "use": "sig",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "created_at": NOW - 86400,
        "expired_at": expired_at,
    }


def plaid_jwt(private_key, *, body=BODY, kid=K1, iat=NOW, alg="ES256", body_hash=None):
    header = b64url(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode())
    claims = b64url(
        json.dumps(
            {
                "iat": iat,
                "request_body_sha256": body_hash or hashlib.sha256(body).hexdigest(),
            }
        ).encode()
    )
    signing_input = f"{header}.{claims}".encode()
    r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return f"{header}.{claims}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@pytest.fixture
def plaid_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def keys(plaid_key):
    known = {K1: jwk_for(plaid_key, K1)}
    fetched = []

    def fetch(kid):
        fetched.append(kid)
        if kid not in known:
            raise ProviderError(
                "unknown key",
                provider="plaid",
                status=400,
                code="INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            )
        return known[kid]

    cache = PlaidKeyCache(fetch=fetch, clock=lambda: NOW)
    cache.known, cache.fetched = known, fetched
    return cache


def test_it_accepts_a_genuine_plaid_webhook_and_returns_its_claims(plaid_key, keys):
    claims = verify_plaid(body=BODY, header=plaid_jwt(plaid_key), keys=keys, now=NOW + 60)
    assert claims["request_body_sha256"] == hashlib.sha256(BODY).hexdigest()


def test_it_caches_plaid_keys_by_kid(plaid_key, keys):
    for _ in range(3):
        verify_plaid(body=BODY, header=plaid_jwt(plaid_key), keys=keys, now=NOW)
    assert keys.fetched == [K1]


def test_it_refetches_a_cached_key_after_its_ttl_and_notices_expiry(plaid_key):
    clock = [NOW]
    served = [jwk_for(plaid_key, K1)]
    cache = PlaidKeyCache(fetch=lambda kid: served[0], ttl=3600, clock=lambda: clock[0])
    verify_plaid(body=BODY, header=plaid_jwt(plaid_key), keys=cache, now=NOW)

    served[0] = jwk_for(plaid_key, K1, expired_at=NOW + 10)  # Plaid rotates the key
    clock[0] = NOW + 3601
    with pytest.raises(SignatureError) as caught:
        verify_plaid(
            body=BODY, header=plaid_jwt(plaid_key, iat=NOW + 3601), keys=cache, now=NOW + 3601
        )
    assert reason(caught) == "expired_key"


def test_it_remembers_unknown_kids_briefly_instead_of_asking_plaid_each_time(plaid_key, keys):
    for _ in range(3):
        with pytest.raises(SignatureError):
            verify_plaid(body=BODY, header=plaid_jwt(plaid_key, kid=FORGED), keys=keys, now=NOW)
    assert keys.fetched == [FORGED]


def test_it_reports_key_unavailable_when_plaid_cannot_be_asked(plaid_key):
    def fetch(kid):
        raise TransientError("down", provider="plaid", status=503)

    with pytest.raises(SignatureError) as caught:
        verify_plaid(
            body=BODY, header=plaid_jwt(plaid_key), keys=PlaidKeyCache(fetch=fetch), now=NOW
        )
    assert reason(caught) == "key_unavailable"


def none_alg_token():
    header = b64url(json.dumps({"alg": "none", "kid": K1}).encode())
    claims = b64url(
        json.dumps({"iat": NOW, "request_body_sha256": hashlib.sha256(BODY).hexdigest()}).encode()
    )
    return f"{header}.{claims}."


def hs256_token(secret: bytes):
    header = b64url(json.dumps({"alg": "HS256", "kid": K1}).encode())
    claims = b64url(
        json.dumps({"iat": NOW, "request_body_sha256": hashlib.sha256(BODY).hexdigest()}).encode()
    )
    sig = hmac.new(secret, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64url(sig)}"


def test_it_rejects_alg_none(keys):
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=BODY, header=none_alg_token(), keys=keys, now=NOW)
    assert reason(caught) == "unsupported_alg"
    assert keys.fetched == []


def test_it_rejects_hs256_even_keyed_with_the_public_key(keys):
    # The classic confusion attack: HMAC "signed" with the public key's own bytes.
    token = hs256_token(json.dumps(keys.known[K1]).encode())
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=BODY, header=token, keys=keys, now=NOW)
    assert reason(caught) == "unsupported_alg"


def test_it_rejects_an_unknown_kid(plaid_key, keys):
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=BODY, header=plaid_jwt(plaid_key, kid=K_UNKNOWN), keys=keys, now=NOW)
    assert reason(caught) == "unknown_kid"


def test_it_rejects_an_expired_key(plaid_key, keys):
    keys.known[K2] = jwk_for(plaid_key, K2, expired_at=NOW - 1)
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=BODY, header=plaid_jwt(plaid_key, kid=K2), keys=keys, now=NOW)
    assert reason(caught) == "expired_key"


def test_it_rejects_a_token_signed_by_another_key(keys):
    impostor = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=BODY, header=plaid_jwt(impostor), keys=keys, now=NOW)
    assert reason(caught) == "bad_signature"


def test_it_rejects_tampered_claims(plaid_key, keys):
    header, _claims, signature = plaid_jwt(plaid_key).split(".")
    forged_claims = b64url(
        json.dumps({"iat": NOW, "request_body_sha256": hashlib.sha256(b"{}").hexdigest()}).encode()
    )
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=b"{}", header=f"{header}.{forged_claims}.{signature}", keys=keys, now=NOW)
    assert reason(caught) == "bad_signature"


def test_it_rejects_an_iat_older_than_five_minutes(plaid_key, keys):
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=BODY, header=plaid_jwt(plaid_key, iat=NOW - 301), keys=keys, now=NOW)
    assert reason(caught) == "stale_iat"
    verify_plaid(body=BODY, header=plaid_jwt(plaid_key, iat=NOW - 299), keys=keys, now=NOW)


def test_it_rejects_a_body_that_does_not_match_the_signed_hash(plaid_key, keys):
    with pytest.raises(SignatureError) as caught:
        verify_plaid(
            body=BODY.replace(b"1000", b"9000"), header=plaid_jwt(plaid_key), keys=keys, now=NOW
        )
    assert reason(caught) == "body_mismatch"


@pytest.mark.parametrize("header", [None, "", "a.b", "!!.??.##", "e30.e30.e30"])
def test_it_rejects_missing_or_malformed_plaid_headers(header, keys):
    with pytest.raises(SignatureError) as caught:
        verify_plaid(body=BODY, header=header, keys=keys, now=NOW)
    assert reason(caught) in {"missing_header", "malformed_header", "unsupported_alg"}


def test_it_fetches_plaid_keys_over_http_through_the_client(plaid_key, scripted, timing):
    scripted.script(
        "POST",
        "/plaid/webhook_verification_key/get",
        Reply(200, {"key": jwk_for(plaid_key, K1), "request_id": "r"}),
    )
    client = PlaidClient(base_url=scripted.base_url + "/plaid", client_id="c", secret="s", **timing)
    cache = PlaidKeyCache.for_client(client)
    now = time.time()

    for _ in range(2):
        verify_plaid(body=BODY, header=plaid_jwt(plaid_key, iat=int(now)), keys=cache, now=now)
    assert len(scripted.seen("/plaid/webhook_verification_key/get")) == 1


def _respell_with_high_s(token: str) -> str:
    header, claims, sig = token.split(".")
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return f"{header}.{claims}.{b64url(r.to_bytes(32, 'big') + (P256_ORDER - s).to_bytes(32, 'big'))}"


def test_one_plaid_delivery_has_one_key_however_its_header_is_spelled(plaid_key, keys):
    """ECDSA accepts (r, n - s) as well as (r, s): both verify, and both are the same delivery."""
    genuine = plaid_jwt(plaid_key)
    other_s = _respell_with_high_s(genuine)
    verify_plaid(body=BODY, header=other_s, keys=keys, now=NOW)
    assert plaid_delivery_key(other_s) == plaid_delivery_key(genuine)
    assert plaid_delivery_key(plaid_jwt(plaid_key)) != plaid_delivery_key(genuine)  # a new signature


@pytest.mark.parametrize("respell", [
    lambda t: t.replace(".", "=.", 1),  # padding on the header segment
    lambda t: t + "=",  # padding on the signature
    lambda t: t + "==",
])
def test_it_refuses_a_non_canonical_spelling_of_a_plaid_header(plaid_key, keys, respell):
    with pytest.raises(SignatureError) as err:
        verify_plaid(body=BODY, header=respell(plaid_jwt(plaid_key)), keys=keys, now=NOW)
    assert err.value.reason == "malformed_header"


def test_forged_plaid_headers_cannot_make_us_fetch_keys(plaid_key, keys):
    """60 forged requests with fresh kids: the ones that fail checks needing no key cost no fetch,
    and fresh kids that pass them are fetched at most `new_kid_fetches` times a minute; Plaid's
    key, already held, keeps working."""
    verify_plaid(body=BODY, header=plaid_jwt(plaid_key), keys=keys, now=NOW)
    keys.fetched.clear()
    for n in range(30):  # wrong body hash: refused before any key is asked for
        with pytest.raises(SignatureError):
            verify_plaid(body=BODY, header=plaid_jwt(plaid_key, kid=f"00000000-0000-4000-8000-{n:012d}",
                                                     body_hash="0" * 64), keys=keys, now=NOW)
    assert keys.fetched == []
    for n in range(30):
        with pytest.raises(SignatureError):
            verify_plaid(body=BODY, header=plaid_jwt(plaid_key, kid=f"00000000-0000-4000-9000-{n:012d}"),
                         keys=keys, now=NOW)
    assert len(keys.fetched) == keys.new_kid_fetches - 1 == 4  # the budget, less K1's fetch
    verify_plaid(body=BODY, header=plaid_jwt(plaid_key), keys=keys, now=NOW)
    assert len(keys.fetched) == 4


def test_it_fetches_no_key_for_a_kid_that_is_not_a_plaid_key_id(plaid_key, keys):
    with pytest.raises(SignatureError) as err:
        verify_plaid(body=BODY, header=plaid_jwt(plaid_key, kid="../../admin"), keys=keys, now=NOW)
    assert err.value.reason == "unknown_kid" and keys.fetched == []
