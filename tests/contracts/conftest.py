"""Contract tests: providers' official SDKs against the sandbox (the loopback fixtures are shared)."""

from tests.connections.conftest import scripted  # noqa: F401 - the recording loopback server
from tests.sandbox.conftest import receiver  # noqa: F401 - records the sandbox's webhook deliveries
