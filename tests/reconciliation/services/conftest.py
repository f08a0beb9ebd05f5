import json
from pathlib import Path

import pytest

from sandbox.onboarding import (
    connections_sync_all,
    using_sandbox,
    world_connections_link,
)
from sandbox.server import SandboxServer
from sandbox.world import load_world

DATA = Path(__file__).resolve().parents[2] / "data"


def load_json(name):
    return json.loads((DATA / name).read_text())


@pytest.fixture
def synced_world(alice, bob):
    """Alice's company synced from the mission example world through the sandbox; bob has it too."""

    def sync(world_path=DATA / "mission-example.world.json", tenant=alice):
        with SandboxServer(load_world(str(world_path)), port=0) as server, using_sandbox(server):
            world_connections_link(company=tenant.company, server=server)
            connections_sync_all(company=tenant.company, timeout=60)
        return tenant.company

    return sync
