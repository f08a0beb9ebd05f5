from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Simulators of Rutter, Stripe and Plaid, world files and their scoring, and the commands that
    run them (`sandbox`, `run_world`, `score_world`, `demo_setup`). No product app imports it."""

    name = "sandbox"
