"""Test settings: the real settings with tasks run synchronously and fast password hashing."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key")

from config.settings import *  # noqa: E402,F403
from config.settings import DATABASES, Q_CLUSTER  # noqa: E402

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Test databases on SQLite live in memory (shared cache), so tests need no cleanup on disk.
    DATABASES["default"]["TEST"] = {"NAME": None}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # The ledger refuses TRUNCATE of its journal (migration ledger 0008) unless the session opts
    # in; the test database's flush between transactional tests is the one place that does.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c tieout.allow_truncate=on"
