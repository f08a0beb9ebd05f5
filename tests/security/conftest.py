"""An attacker's view of Tieout: the same live sandbox and API clients as the functional tests."""

from tests.api.conftest import alice_api, bob_api  # noqa: F401
from tests.connections.sync.conftest import live_world  # noqa: F401
