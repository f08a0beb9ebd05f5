from django.contrib import admin

from reconciliation.models import Match, MatchPayout, ReconciliationRun


class MatchPayoutInline(admin.TabularInline):
    model = MatchPayout
    extra = 0
    fields = ("payout", "status")
    readonly_fields = fields
    can_delete = False


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("id", "company", "bank_transaction", "status", "is_inferred", "confidence", "created_by", "decided_by", "created_at")
    list_filter = ("status", "is_inferred", "engine_version")
    search_fields = ("bank_transaction__name", "company__name", "note")
    list_select_related = ("company", "bank_transaction")
    raw_id_fields = ("bank_transaction", "run")
    readonly_fields = [f.name for f in Match._meta.fields]
    inlines = [MatchPayoutInline]

    def has_add_permission(self, request):
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ("id", "company", "status", "engine_version", "triggered_by", "started_at", "finished_at")
    list_filter = ("status", "engine_version")
    search_fields = ("company__name",)
    readonly_fields = [f.name for f in ReconciliationRun._meta.fields]

    def has_add_permission(self, request):
        return False
