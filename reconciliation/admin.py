"""Staff tools: every change goes through the reconciliation services (the same rules as the
dashboard and the API: nothing that does not add up is booked); no raw edit or delete."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from reconciliation.models import (
    Categorization,
    CategoryRule,
    Match,
    MatchPayout,
    MatchStatus,
    ReconciliationRun,
)
from reconciliation.services import (
    ReconciliationError,
    match_accept,
    match_reject,
    match_undo,
    reconcile_company,
)


class MatchPayoutInline(admin.TabularInline):
    model = MatchPayout
    extra = 0
    fields = ("payout", "status")
    readonly_fields = fields
    can_delete = False


def _staff(request) -> str:
    return f"staff:{request.user.get_username()}"


def _each(modeladmin, request, queryset, status, action, verb):
    done, refused = 0, []
    for match in queryset.filter(status=status):
        try:
            action(match=match, by=_staff(request))
            done += 1
        except ReconciliationError as exc:
            refused.append(f"#{match.pk}: {exc.message}")
    modeladmin.message_user(request, f"{verb} {done} match(es).", messages.SUCCESS if done else messages.INFO)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("id", "company", "bank_line", "status", "is_inferred", "confidence", "created_by", "decided_by",
                    "created_at")
    list_filter = ("status", "is_inferred", "engine_version")
    search_fields = ("bank_transaction__name", "company__name", "note")
    list_select_related = ("company", "bank_transaction")
    raw_id_fields = ("bank_transaction", "run")
    readonly_fields = [f.name for f in Match._meta.fields]
    inlines = [MatchPayoutInline]
    actions = ["accept", "reject", "unmatch"]

    @admin.display(description="Bank line")
    def bank_line(self, match):
        url = reverse("admin:ledger_banktransaction_change", args=[match.bank_transaction_id])
        return format_html('<a href="{}">{}</a>', url, match.bank_transaction)

    @admin.action(description="Accept (book) the selected suggestions")
    def accept(self, request, queryset):
        _each(self, request, queryset, MatchStatus.SUGGESTED, match_accept, "Accepted")

    @admin.action(description="Reject the selected suggestions")
    def reject(self, request, queryset):
        _each(self, request, queryset, MatchStatus.SUGGESTED,
              lambda match, by: match_reject(match=match, by=by, reason="rejected by staff"), "Rejected")

    @admin.action(description="Unmatch the selected applied matches (reversal entries)")
    def unmatch(self, request, queryset):
        _each(self, request, queryset, MatchStatus.APPLIED,
              lambda match, by: match_undo(match=match, by=by, reason="unmatched by staff"), "Unmatched")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ("id", "company", "status", "engine_version", "triggered_by", "started_at", "finished_at")
    list_filter = ("status", "engine_version")
    search_fields = ("company__name",)
    readonly_fields = [f.name for f in ReconciliationRun._meta.fields]
    actions = ["run_again"]

    @admin.action(description="Reconcile these runs' companies again")
    def run_again(self, request, queryset):
        companies = {run.company for run in queryset.select_related("company")}
        for company in companies:
            reconcile_company(company=company, by=_staff(request))
        self.message_user(request, f"Reconciled {len(companies)} company(ies).")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Categorization)
class CategorizationAdmin(admin.ModelAdmin):
    list_display = ("bank_transaction", "category", "rule", "created_by", "created_at", "undone_at")
    list_filter = ("category",)
    readonly_fields = [f.name for f in Categorization._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CategoryRule)
class CategoryRuleAdmin(admin.ModelAdmin):
    list_display = ("contains", "category", "company", "is_active", "created_by", "created_at")
    list_filter = ("category", "is_active")
    search_fields = ("contains", "company__name")
