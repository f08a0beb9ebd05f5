"""Clients are built from the connection's partner: its own account, else the deployment's; each
partner's Rutter organization gets its own rate-limit window (Rutter's limit is per organization)."""

from connections.services.clients import client_for, client_for_connection
from tests.factories import ConnectionFactory, ProviderAccountFactory


def _own_rutter(partner, client_id: str):
    # Stored as the service stores it (tests/api/test_provider_settings.py checks the service).
    return ProviderAccountFactory(partner=partner, client_id=client_id)


def test_each_partners_rutter_organization_has_its_own_rate_limit_window(alice, bob, settings):
    settings.RUTTER_CLIENT_ID, settings.RUTTER_CLIENT_SECRET = "deployment-org", "deployment-secret"
    _own_rutter(alice.partner, "alice-org")
    _own_rutter(bob.partner, "bob-org")
    alice_conn = ConnectionFactory(company=alice.company, provider="rutter")
    bob_conn = ConnectionFactory(company=bob.company, provider="rutter")
    with client_for_connection(alice_conn) as a, client_for_connection(bob_conn) as b, \
            client_for("rutter", partner_id=alice.partner.pk) as a2, client_for("rutter") as deployment:
        assert (a.client_id, b.client_id, deployment.client_id) == ("alice-org", "bob-org", "deployment-org")
        assert a.transport.limiter is a2.transport.limiter  # one window per organization ...
        assert len({id(a.transport.limiter), id(b.transport.limiter), id(deployment.transport.limiter)}) == 3


def test_a_partner_without_its_own_account_uses_the_deployments(alice, bob, settings):
    settings.RUTTER_CLIENT_ID = "deployment-org"
    _own_rutter(bob.partner, "bob-org")
    with client_for_connection(ConnectionFactory(company=alice.company, provider="rutter")) as client:
        assert client.client_id == "deployment-org"
