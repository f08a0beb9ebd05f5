from django.contrib import admin

from ledger.models import (
    Account,
    BankAccount,
    BankTransaction,
    Customer,
    EntryStatus,
    Expense,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
    Payout,
    PayoutItem,
    Refund,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Synced and booked rows are changed by sync and services, never by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "type", "role", "source", "company", "is_active")
    list_filter = ("type", "role", "is_active")
    search_fields = ("code", "name", "source", "company__name")
    list_select_related = ("company",)


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    fields = ("account", "currency", "debit", "credit", "description")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "date", "company", "origin", "memo", "status", "reversal_of", "created_by")
    list_filter = ("status", "origin", "date")
    search_fields = ("memo", "reference", "company__name")
    date_hierarchy = "date"
    list_select_related = ("company",)
    inlines = [JournalLineInline]
    actions = ["reverse_entries"]

    @admin.action(description="Post reversals of the selected posted entries")
    def reverse_entries(self, request, queryset):
        from ledger.services import journal_entry_reverse

        done = 0
        for entry in queryset.filter(status=EntryStatus.POSTED, reversed_by__isnull=True):
            journal_entry_reverse(entry=entry, by=f"admin:{request.user}", reason="reversed in admin")
            done += 1
        self.message_user(request, f"Posted {done} reversal(s).")


@admin.register(JournalLine)
class JournalLineAdmin(ReadOnlyAdmin):
    list_display = ("entry", "account", "currency", "debit", "credit", "company")
    list_filter = ("currency", "account__role")
    search_fields = ("description", "account__name", "company__name")
    list_select_related = ("entry", "account", "company")


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("name", "email", "source", "external_id", "company")
    search_fields = ("name", "email", "external_id")


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ("description", "sku", "quantity", "unit_price", "amount")
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "company", "issued_at", "currency", "total", "amount_paid", "status", "source")
    list_filter = ("status", "currency")
    search_fields = ("number", "external_id", "company__name")
    date_hierarchy = "issued_at"
    list_select_related = ("company",)
    inlines = [InvoiceLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "date", "amount", "currency", "invoice", "company")
    search_fields = ("external_id",)
    list_select_related = ("company", "invoice")


@admin.register(Refund)
class RefundAdmin(PaymentAdmin):
    pass


class PayoutItemInline(admin.TabularInline):
    model = PayoutItem
    extra = 0
    fields = ("kind", "provider_type", "occurred_at", "amount", "fee", "net", "currency", "description")
    readonly_fields = fields
    show_change_link = True


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "external_id", "platform", "company", "arrival_date", "amount", "currency", "status",
        "is_inferred", "balanced",
    )
    list_filter = ("platform", "status", "is_inferred", "balanced", "currency")
    search_fields = ("external_id", "platform_id", "trace_id", "company__name")
    date_hierarchy = "arrival_date"
    list_select_related = ("company",)
    inlines = [PayoutItemInline]


@admin.register(PayoutItem)
class PayoutItemAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "kind", "provider_type", "occurred_at", "amount", "fee", "net", "currency", "payout")
    list_filter = ("kind", "currency")
    search_fields = ("external_id", "order_external_id", "description")
    list_select_related = ("payout",)
    raw_id_fields = ("payout",)


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyAdmin):
    list_display = ("date", "category", "amount", "currency", "source", "payout", "company")
    list_filter = ("category", "currency")
    search_fields = ("description", "source", "company__name")
    list_select_related = ("company", "payout")


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "mask", "currency", "type", "subtype", "current_balance", "company")
    search_fields = ("name", "external_id", "company__name")


@admin.register(BankTransaction)
class BankTransactionAdmin(ReadOnlyAdmin):
    list_display = ("date", "name", "amount", "currency", "pending", "status", "bank_account", "company")
    list_filter = ("status", "pending", "currency")
    search_fields = ("name", "merchant_name", "external_id", "company__name")
    date_hierarchy = "date"
    list_select_related = ("bank_account", "company")
