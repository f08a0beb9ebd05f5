"""Connections to the outside world, their sync state and the webhook inbox.

A Connection is one linked Rutter connection, Stripe account or Plaid item of a company. Its
`ref` ("rutter:<id>", "stripe:<acct>", "plaid:<item>") is the `source` of every ledger row synced
from it. Tokens are stored encrypted (connections.services.tokens); nothing shows them.
"""

from django.db import models
from django.utils import timezone

from ledger.models.base import TenantModel


class Provider(models.TextChoices):
    RUTTER = "rutter", "Rutter"
    STRIPE = "stripe", "Stripe"
    PLAID = "plaid", "Plaid"


class ConnectionStatus(models.TextChoices):
    PENDING_INITIAL_SYNC = "pending_initial_sync", "Pending initial sync"
    READY = "ready", "Ready"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authentication"
    DISABLED = "disabled", "Disabled"
    ERROR = "error", "Error"


class Connection(TenantModel):
    provider = models.CharField(max_length=10, choices=Provider.choices)
    # Rutter connection_id / Stripe account id / Plaid item_id.
    external_id = models.CharField(max_length=255)
    platform = models.CharField(max_length=40, blank=True, default="")
    display_name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=24, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING_INITIAL_SYNC
    )
    # Fernet token (urlsafe base64); empty for Stripe, whose calls use the platform key.
    access_token_encrypted = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # Set when a sync was asked for while another worker held this connection's sync (a webhook,
    # a poll); that worker queues one more pass when it finishes, and the poll treats it as due.
    resync_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company", "provider", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "provider", "external_id"], name="connection_unique_external"
            )
        ]
        indexes = [models.Index(fields=["provider", "external_id"], name="connection_provider_ext")]

    def __str__(self) -> str:
        return f"{self.display_name or self.ref} ({self.get_status_display()})"

    @property
    def ref(self) -> str:
        return f"{self.provider}:{self.external_id}"

    @property
    def access_token(self) -> str:
        from connections.services.tokens import token_decrypt

        return token_decrypt(self.access_token_encrypted) if self.access_token_encrypted else ""


class SyncState(TenantModel):
    """Where the sync of one entity of one connection stands.

    `cursor` is the provider cursor of the next page of the pass in progress (None = no pass in
    progress); it is saved in the same transaction as the rows of the page it follows.
    `high_water_mark` is the latest provider `updated_at`/`created` seen, from which incremental
    passes start (minus the overlap window).
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_states")
    entity = models.CharField(max_length=40)
    cursor = models.TextField(null=True, blank=True)  # noqa: DJ001 - NULL = no saved cursor yet
    # The updated-since bound of the pass in progress, kept so a resumed pass asks the same question.
    pass_since = models.DateTimeField(null=True, blank=True)
    high_water_mark = models.DateTimeField(null=True, blank=True)
    initial_done = models.BooleanField(default=False)
    records = models.BigIntegerField(default=0, help_text="Rows written by this entity, all time.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "entity"], name="sync_state_unique_entity")
        ]

    def __str__(self) -> str:
        return f"{self.connection.ref} {self.entity}"


class SyncRunStatus(models.TextChoices):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    NOT_READY = "not_ready", "Waiting for the provider"
    FAILED = "failed"


class SyncRun(TenantModel):
    """One sync of one connection: what it did, for admin and the dashboard's progress bar."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=20, help_text="initial, incremental or webhook")
    status = models.CharField(max_length=12, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, help_text="Last sign of life (each commit).")
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0, help_text="Rows fetched and upserted.")
    deleted = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Records per entity.")
    # Progress for a live progress bar: the entity in progress and pages done so far.
    progress_entity = models.CharField(max_length=40, blank=True, default="")
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "-started_at"], name="syncrun_connection_started")]

    def __str__(self) -> str:
        return f"{self.kind} sync of {self.connection.ref}: {self.status}"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    REJECTED = "rejected"
    IGNORED = "ignored", "Ignored (no such connection)"


class WebhookEvent(models.Model):
    """The inbox: every webhook as it arrived, stored before we answer 2xx.

    Not tenant-owned when it arrives (the company is known only once the connection is found),
    so `company`/`connection` are filled in when possible. `dedupe_key` makes redeliveries no-ops.
    """

    provider = models.CharField(max_length=10, choices=Provider.choices)
    dedupe_key = models.CharField(max_length=200, unique=True)
    # The partner whose URL (/webhooks/<provider>/<partner id>) received it; null = the deployment's
    # own URL. It was verified with that partner's secret and may only touch its connections.
    partner = models.ForeignKey("companies.Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey("companies.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhooks")
    event_type = models.CharField(max_length=100, blank=True, default="")
    body = models.BinaryField()
    headers = models.JSONField(default=dict)
    signature_ok = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"], name="webhook_status_received")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type or '?'} ({self.status})"


class ProviderAccount(models.Model):
    """A partner's own account at a provider: its Rutter organization, Stripe platform or Plaid team.

    A partner with one acts through it for all its companies (clients, webhooks, rate limits); a
    partner without one uses the deployment's (settings RUTTER_*, STRIPE_*, PLAID_*). Secrets are
    Fernet-encrypted (connections.services.tokens) and never shown: `*_hint` is the masked form.
    `client_id` is the account's public name: Rutter client id, Stripe Connect `ca_…`, Plaid
    client id. `environment`: Rutter and Plaid `sandbox`/`production`, Stripe `test`/`live`.
    """

    partner = models.ForeignKey("companies.Partner", on_delete=models.CASCADE, related_name="provider_accounts")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    client_id = models.CharField(max_length=255)
    environment = models.CharField(max_length=20)
    public_key = models.CharField(max_length=255, blank=True, default="", help_text="Rutter Link's public key.")
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=40, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    webhook_secret_hint = models.CharField(max_length=40, blank=True, default="", editable=False)
    # Stripe: the platform's own account (acct_…), as GET /v1/account answered with the key.
    platform_account = models.CharField(max_length=255, blank=True, default="", editable=False)
    validated_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["partner", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "provider"], name="provider_account_unique_partner")
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.get_provider_display()} {self.client_id} ({self.environment})"
