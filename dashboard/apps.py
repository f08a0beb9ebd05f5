from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The embedded dashboard: HTMX pages, embed sessions, connect flows, the partner demo page."""

    name = "dashboard"
