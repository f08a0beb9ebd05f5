"""Tenancy: partners embed Tieout; each of their customers is a Company (the tenant)."""

import uuid
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.timezone import now

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour like #1f6feb.")
currency_code = RegexValidator(r"^[A-Z]{3}$", "Use an upper-case ISO 4217 code like USD.")


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}; use an IANA name like America/New_York.")


def validate_origins(value) -> None:
    if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
        raise ValidationError("Allowed origins must be a list of strings.")
    for origin in value:
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest or " " in origin:
            raise ValidationError(f"{origin!r} is not an origin (scheme://host[:port]).")


class Partner(models.Model):
    """A fintech / SaaS that embeds Tieout for the businesses it serves."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    allowed_origins = models.JSONField(
        default=list, blank=True, validators=[validate_origins],
        help_text="Origins allowed to frame the embedded dashboard, e.g. https://app.partner.com",
    )
    brand_color = models.CharField(max_length=7, default="#1f6feb", validators=[hex_colour])
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A partner's secret API key. Only a prefix (to find it) and a hash (to check it) are stored."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} · {self.name} (tk_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Company(models.Model):
    """The tenant: one business whose books Tieout keeps. Every tenant-owned row points here."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="companies")
    name = models.CharField(max_length=200)
    base_currency = models.CharField(max_length=3, default="USD", validators=[currency_code])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    external_id = models.CharField(
        max_length=200, blank=True, default="", help_text="The partner's own id for this business."
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_id"],
                condition=~models.Q(external_id=""),
                name="company_unique_partner_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class EmbedSession(models.Model):
    """A partner-minted, single-use grant to open the embedded dashboard for one company."""

    READ = "read"
    WRITE = "write"
    PERMISSIONS = (READ, WRITE)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="embed_sessions")
    secret_hash = models.CharField(max_length=64, unique=True)
    permissions = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    # Revoked: its dashboard tokens stop working at once (each request checks). A session minted
    # with an API key dies with that key too.
    revoked_at = models.DateTimeField(null=True, blank=True)
    api_key = models.ForeignKey("ApiKey", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="embed_sessions", help_text="The key that minted it.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "-created_at"])]

    def __str__(self) -> str:
        return f"embed session for {self.company} ({', '.join(self.permissions)})"

    @property
    def can_write(self) -> bool:
        return self.WRITE in self.permissions


class IdempotencyRecord(models.Model):
    """The stored outcome of one partner POST made with an `Idempotency-Key` header.

    Keyed per API key, so two partners (or two keys of one partner) never share keys. A record
    without `status_code` is a request still running: a retry then gets 409 instead of a
    second write.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_unique_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
