"""Several connections synced at once give the same books as one after the other."""

import pytest

from connections.models import Connection
from connections.services import connections_sync_many
from tests.connections.sync.conftest import link_all, snapshot_by_key, sync_all, sync_world
from tests.factories import CompanyFactory


@pytest.mark.django_db(transaction=True)
def test_it_syncs_connections_concurrently_with_the_same_books(alice, live_world):
    world = sync_world()
    live_world(world)
    link_all(alice.company, world)
    connections = Connection.objects.filter(company=alice.company).order_by("id")

    runs = connections_sync_many(connections=connections, workers=3)

    assert [r.status for r in runs] == ["succeeded"] * connections.count()
    assert [r.connection_id for r in runs] == [c.pk for c in connections]
    clean = CompanyFactory()
    link_all(clean, world)
    sync_all(clean)
    assert snapshot_by_key(alice.company) == snapshot_by_key(clean)
