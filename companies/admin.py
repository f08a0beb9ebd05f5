from django.contrib import admin

from companies.models import ApiKey, Company, EmbedSession, Partner


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    can_delete = False
    show_change_link = True


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "brand_color", "created_at")
    search_fields = ("name", "public_id")
    inlines = [ApiKeyInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("partner", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "partner")
    search_fields = ("prefix", "name", "partner__name")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Keys are created with `manage.py partner_create` / the API so the secret is shown once.
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        from companies.services import api_key_revoke

        for key in queryset:
            api_key_revoke(api_key=key)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "partner", "base_currency", "timezone", "external_id", "created_at", "dashboard")
    list_filter = ("partner", "base_currency")
    search_fields = ("name", "external_id", "public_id")
    readonly_fields = ("public_id", "created_at", "dashboard")

    @admin.display(description="Dashboard")
    def dashboard(self, obj):
        # The staff entry mints a fresh embed session, so staff see exactly what users see.
        from django.urls import reverse
        from django.utils.html import format_html

        if obj.pk is None:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener">Open dashboard ↗</a>',
                           reverse("dashboard:staff_open", args=[obj.pk]))


@admin.register(EmbedSession)
class EmbedSessionAdmin(admin.ModelAdmin):
    list_display = ("company", "permissions", "created_at", "expires_at", "used_at")
    list_filter = ("used_at",)
    search_fields = ("company__name",)
    readonly_fields = ("public_id", "secret_hash", "created_at", "used_at")
