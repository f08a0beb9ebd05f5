from django.contrib import admin, messages
from django_q.tasks import async_task

from connections.models import Connection, ProviderAccount, SyncRun, SyncState, WebhookEvent


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ("display_name", "provider", "platform", "external_id", "company", "status",
                    "last_synced_at", "last_error")
    list_filter = ("provider", "status", "platform")
    search_fields = ("display_name", "external_id", "company__name")
    list_select_related = ("company",)
    # The encrypted token is never shown, not even as ciphertext.
    exclude = ("access_token_encrypted",)
    readonly_fields = ("company", "provider", "external_id", "created_at", "last_synced_at", "last_error")
    actions = ["sync_now", "disconnect"]

    def has_delete_permission(self, request, obj=None):
        return False  # a connection's books outlive it: disconnect instead

    @admin.action(description="Disconnect (stop syncing, erase the access token)")
    def disconnect(self, request, queryset):
        from connections.services import connection_disconnect

        for connection in queryset:
            connection_disconnect(connection=connection, reason=f"disconnected by staff {request.user.get_username()}")
        messages.info(request, f"Disconnected {queryset.count()} connection(s).")

    @admin.action(description="Sync now")
    def sync_now(self, request, queryset):
        for connection in queryset:
            async_task("connections.tasks.sync_connection", connection.pk)
        messages.info(request, f"Queued {queryset.count()} sync(s).")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnly):
    list_display = ("connection", "kind", "status", "started_at", "duration_ms", "pages", "records",
                    "deleted", "errors")
    list_filter = ("status", "kind", "connection__provider")
    list_select_related = ("connection",)
    date_hierarchy = "started_at"


@admin.register(SyncState)
class SyncStateAdmin(ReadOnly):
    list_display = ("connection", "entity", "initial_done", "high_water_mark", "records", "updated_at")
    list_select_related = ("connection",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnly):
    list_display = ("received_at", "provider", "event_type", "status", "signature_ok", "attempts",
                    "connection", "error")
    list_filter = ("provider", "status", "signature_ok")
    search_fields = ("dedupe_key", "event_type", "error")
    readonly_fields = ("raw_body",)
    exclude = ("body",)
    actions = ["replay"]

    @admin.display(description="body")
    def raw_body(self, obj):
        return bytes(obj.body).decode("utf-8", "replace")

    @admin.action(description="Replay (process again by re-fetching from the provider)")
    def replay(self, request, queryset):
        verified = queryset.filter(signature_ok=True)
        for event in verified:
            async_task("connections.tasks.process_webhook", event.pk)
        messages.info(request, f"Queued {verified.count()} event(s); rejected events are never replayed.")


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    """Partners set these through the API (checked with the provider); staff only look. The
    encrypted secrets are never shown, not even as ciphertext: only their hints."""

    list_display = ("partner", "provider", "client_id", "environment", "secret_hint", "validated_at")
    list_filter = ("provider", "environment")
    search_fields = ("partner__name", "client_id")
    exclude = ("secret_encrypted", "webhook_secret_encrypted")
    readonly_fields = ("partner", "provider", "client_id", "environment", "public_key", "secret_hint",
                       "webhook_secret_hint", "platform_account", "validated_at", "created_at", "updated_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
