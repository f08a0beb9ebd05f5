"""Reconciliation decisions: which payout(s) a bank line is, how sure we are, and who said so."""

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from ledger.models.base import TenantModel, money_field


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"  # shown for a person to confirm; nothing booked
    APPLIED = "applied", "Matched"  # booked (automatically or by a person)
    REJECTED = "rejected", "Rejected"  # a person said no; the engine will not suggest it again
    UNDONE = "undone", "Undone"  # was applied, then reversed (reversal entries posted)


class ReconciliationRun(TenantModel):
    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    engine_version = models.CharField(max_length=40)
    triggered_by = models.CharField(max_length=200, default="system")
    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["company", "-started_at"], name="run_company_started")]

    def __str__(self) -> str:
        return f"Run {self.pk} {self.status} ({self.engine_version})"


class Match(TenantModel):
    """A bank line tied to the payout(s) behind it (explicit, or inferred from transactions)."""

    bank_transaction = models.ForeignKey(
        "ledger.BankTransaction", on_delete=models.PROTECT, related_name="matches"
    )
    payouts = models.ManyToManyField("ledger.Payout", through="MatchPayout", related_name="matches")
    status = models.CharField(max_length=10, choices=MatchStatus.choices)
    is_inferred = models.BooleanField(default=False)
    # For inferred matches: the connection and the platform transactions that make up the deposit
    # (kept here so a suggestion or a rejection remembers its exact answer before any payout row).
    inferred_connection = models.CharField(max_length=120, blank=True, default="")
    inferred_items = models.JSONField(default=list, blank=True)
    confidence = models.DecimalField(max_digits=5, decimal_places=4)
    reasons = models.JSONField(default=list, blank=True)
    # Bank amount minus payout amounts, booked as FX gain/loss (foreign-currency payouts).
    fx_difference = money_field()
    # An orders-only sweep: the fee schedule its orders were priced with ({rate, fixed, rounding}).
    fee_schedule = models.JSONField(default=dict, blank=True)
    engine_version = models.CharField(max_length=40, blank=True, default="")
    run = models.ForeignKey(ReconciliationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches")
    created_at = models.DateTimeField(default=now)
    created_by = models.CharField(max_length=200, default="engine")
    decided_by = models.CharField(max_length=200, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, default="")
    undone_by = models.CharField(max_length=200, blank=True, default="")
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "matches"
        indexes = [
            models.Index(fields=["company", "status"], name="match_company_status"),
            models.Index(fields=["company", "bank_transaction"], name="match_company_bank"),
        ]
        constraints = [
            # A bank line is booked at most once at a time.
            models.UniqueConstraint(
                fields=["bank_transaction"], condition=Q(status="applied"), name="match_one_applied_per_bank_line"
            )
        ]

    def __str__(self) -> str:
        return f"Match {self.pk} {self.status} bank={self.bank_transaction_id}"


class MatchPayout(TenantModel):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="match_payouts")
    payout = models.ForeignKey("ledger.Payout", on_delete=models.PROTECT, related_name="match_links")
    # Mirrors match.status so that "a payout is applied at most once" is a database constraint.
    status = models.CharField(max_length=10, choices=MatchStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["match", "payout"], name="match_payout_unique"),
            models.UniqueConstraint(
                fields=["payout"], condition=Q(status="applied"), name="match_payout_one_applied"
            ),
        ]


class LineCategory(models.TextChoices):
    """What a bank line that is not platform money is (each books to one account role)."""

    INCOME = "income", "Other income (e.g. a wholesale customer)"
    OWNER = "owner", "Owner contribution or draw"
    TRANSFER = "transfer", "Transfer between own accounts"
    INTEREST = "interest", "Interest"
    REFUND = "refund", "Refund received"
    EXPENSE = "expense", "Business expense (payroll, rent, a supplier)"


class CategoryRule(TenantModel):
    """"Lines whose description contains … are …": made from a person's choice, applied to
    later lines by every reconciliation run."""

    contains = models.CharField(max_length=200, help_text="Matched case-insensitively in the description.")
    category = models.CharField(max_length=20, choices=LineCategory.choices)
    created_by = models.CharField(max_length=200, default="")
    created_at = models.DateTimeField(default=now)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["contains"]
        constraints = [models.UniqueConstraint(fields=["company", "contains"], condition=models.Q(is_active=True),
                                               name="category_rule_unique_active")]


class Categorization(TenantModel):
    """A bank line booked as not platform money (undone by a reversal: the row stays)."""

    bank_transaction = models.ForeignKey("ledger.BankTransaction", on_delete=models.PROTECT,
                                         related_name="categorizations")
    category = models.CharField(max_length=20, choices=LineCategory.choices)
    journal_entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(CategoryRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="uses")
    note = models.CharField(max_length=500, blank=True, default="")
    created_by = models.CharField(max_length=200, default="")
    created_at = models.DateTimeField(default=now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bank_transaction"], condition=models.Q(undone_at__isnull=True),
                                               name="categorization_one_active_per_line")]


class FeeSource(models.TextChoices):
    DEFAULT = "default", "Rate card"  # a platform's documented rate, nothing confirmed it
    LEARNED = "learned", "Learned"  # several deposits tied to the cent under it
    PERSON = "person", "Confirmed by a person"  # a person accepted a deposit it explained


class FeeSchedule(TenantModel):
    """The gateway fee of an orders-only store (BigCommerce, Squarespace: Rutter reports none):
    fee = round(rate x order total + fixed). Once confirmed, the engine applies the deposits it
    explains instead of suggesting them. Deleted when its connection is disconnected."""

    connection = models.OneToOneField("connections.Connection", on_delete=models.CASCADE,
                                      related_name="fee_schedule")
    rate = models.DecimalField(max_digits=7, decimal_places=5)
    fixed = money_field()
    rounding = models.CharField(max_length=10, default="half_up")
    # A platform transaction fee taken from the same payout, rounded on its own (Squarespace
    # Business plan: 3 %).
    extra_rate = models.DecimalField(max_digits=7, decimal_places=5, default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    source = models.CharField(max_length=10, choices=FeeSource.choices, default=FeeSource.DEFAULT)
    confirmed_by = models.CharField(max_length=200, blank=True, default="")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    deposits = models.PositiveIntegerField(default=0)  # applied deposits priced with it
    updated_at = models.DateTimeField(default=now)

    @property
    def confirmed(self) -> bool:
        return self.source in (FeeSource.LEARNED, FeeSource.PERSON)

    @property
    def label(self) -> str:
        extra = f" + {self.extra_rate * 100:.2f}% plan fee" if self.extra_rate else ""
        return f"{self.rate * 100:.2f}% + {self.fixed:.2f}{' ' + self.currency if self.currency else ''}{extra}"

    def __str__(self) -> str:
        return f"{self.label} ({self.source})"


class LearnedBehaviour(TenantModel):
    """What one store connection's confirmed deposits showed (reconciliation.engine.learned):
    written by `services/learning.py` after every run and every decision, read back into the
    engine's inputs, shown on the dashboard's Connections page. A reset (relink, disconnect)
    clears it and learns again only from deposits dated from then on."""

    connection = models.OneToOneField("connections.Connection", on_delete=models.CASCADE, related_name="learned")
    deposits = models.PositiveIntegerField(default=0, help_text="Confirmed deposits learned from.")
    cadence = models.CharField(max_length=20, blank=True, default="")
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Weekly: Monday = 0.")
    every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    anchor = models.DateField(null=True, blank=True, help_text="Every N days: one payout day on the cadence.")
    cadence_samples = models.PositiveIntegerField(default=0)
    lag_days = models.SmallIntegerField(null=True, blank=True, help_text="Business days from payout to bank.")
    lag_samples = models.PositiveIntegerField(default=0)
    tokens = models.JSONField(default=list, blank=True)
    token_samples = models.PositiveIntegerField(default=0)
    boundary = models.CharField(max_length=10, blank=True, default="")
    cutoff = models.TimeField(null=True, blank=True)
    boundary_samples = models.PositiveIntegerField(default=0)
    since = models.DateField(null=True, blank=True, help_text="Reset: learn from deposits dated on or after.")
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = "learned behaviour"

    def __str__(self) -> str:
        return f"Learned {self.connection_id}: {self.cadence or 'unknown'} ({self.deposits} deposits)"
