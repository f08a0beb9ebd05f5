from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project itself: its deployment checks (config/checks.py)."""

    name = "config"

    def ready(self):
        from config import checks  # noqa: F401  (registers the checks)
