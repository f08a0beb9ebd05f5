"""factory-boy factories for every model. Tenant rows default to a fresh company; pass `company=`."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from companies.models import ApiKey, Company, EmbedSession, Partner
from companies.tokens import hash_secret
from ledger import models as L


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    allowed_origins = factory.LazyFunction(lambda: ["http://127.0.0.1:8001"])


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKey

    partner = factory.SubFactory(PartnerFactory)
    prefix = factory.Sequence(lambda n: f"{n:012x}")
    key_hash = factory.LazyAttribute(lambda o: hash_secret(f"tk_{o.prefix}_{'x' * 43}"))


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Company {n}")
    base_currency = "USD"
    timezone = "America/New_York"


class EmbedSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmbedSession

    company = factory.SubFactory(CompanyFactory)
    secret_hash = factory.Sequence(lambda n: hash_secret(f"es_secret_{n}"))
    permissions = factory.LazyFunction(lambda: ["read"])
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=10))


class TenantFactory(factory.django.DjangoModelFactory):
    company = factory.SubFactory(CompanyFactory)


class SourcedFactory(TenantFactory):
    source = "rutter:11111111-1111-4111-8111-111111111111"
    external_id = factory.Sequence(lambda n: f"ext-{n}")


class AccountFactory(TenantFactory):
    class Meta:
        model = L.Account

    code = factory.Sequence(lambda n: f"8{n:03d}")
    name = factory.Sequence(lambda n: f"Account {n}")
    type = L.AccountType.ASSET
    role = L.AccountRole.CLEARING
    source = factory.Sequence(lambda n: f"test:{n}")


class JournalEntryFactory(TenantFactory):
    """A draft entry; post through ledger.services for anything that must balance."""

    class Meta:
        model = L.JournalEntry

    date = factory.LazyFunction(lambda: dt.date(2025, 3, 7))
    origin = "manual"
    memo = "test entry"


class JournalLineFactory(TenantFactory):
    class Meta:
        model = L.JournalLine

    entry = factory.SubFactory(JournalEntryFactory, company=factory.SelfAttribute("..company"))
    account = factory.SubFactory(AccountFactory, company=factory.SelfAttribute("..company"))
    currency = "USD"
    debit = Decimal("10.00")
    credit = Decimal("0")


class CustomerFactory(SourcedFactory):
    class Meta:
        model = L.Customer

    name = factory.Sequence(lambda n: f"Customer {n}")


class InvoiceFactory(SourcedFactory):
    class Meta:
        model = L.Invoice

    number = factory.Sequence(lambda n: f"#{1000 + n}")
    currency = "USD"
    issued_at = factory.LazyFunction(lambda: dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC))
    subtotal = Decimal("100.00")
    total = Decimal("100.00")


class InvoiceLineFactory(TenantFactory):
    class Meta:
        model = L.InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory, company=factory.SelfAttribute("..company"))
    description = "Ceramic mug set"
    quantity = Decimal("1")
    unit_price = Decimal("100.00")
    amount = Decimal("100.00")


class PayoutFactory(SourcedFactory):
    class Meta:
        model = L.Payout

    platform = "SHOPIFY"
    currency = "USD"
    amount = Decimal("3850.00")
    arrival_date = factory.LazyFunction(lambda: dt.date(2025, 3, 7))


class PayoutItemFactory(SourcedFactory):
    class Meta:
        model = L.PayoutItem

    payout = factory.SubFactory(PayoutFactory, company=factory.SelfAttribute("..company"))
    payout_external_id = factory.LazyAttribute(lambda o: o.payout.external_id if o.payout else "")
    kind = L.ItemKind.SALE
    provider_type = "sale"
    occurred_at = factory.LazyFunction(lambda: dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC))
    currency = "USD"
    amount = Decimal("1000.00")
    fee = Decimal("29.30")
    net = factory.LazyAttribute(lambda o: o.amount - o.fee)


class PaymentFactory(SourcedFactory):
    class Meta:
        model = L.Payment

    invoice = factory.SubFactory(InvoiceFactory, company=factory.SelfAttribute("..company"))
    date = factory.LazyFunction(lambda: dt.date(2025, 3, 1))
    currency = "USD"
    amount = Decimal("100.00")


class RefundFactory(PaymentFactory):
    class Meta:
        model = L.Refund

    amount = Decimal("10.00")


class ExpenseFactory(SourcedFactory):
    class Meta:
        model = L.Expense

    category = L.ExpenseCategory.PROCESSING_FEES
    date = factory.LazyFunction(lambda: dt.date(2025, 3, 7))
    currency = "USD"
    amount = Decimal("29.30")


class BankAccountFactory(SourcedFactory):
    class Meta:
        model = L.BankAccount

    source = "plaid:bank-item-1"
    name = "Business Checking"
    mask = "6789"
    type = "depository"
    subtype = "checking"
    currency = "USD"


class BankTransactionFactory(SourcedFactory):
    class Meta:
        model = L.BankTransaction

    source = "plaid:bank-item-1"
    bank_account = factory.SubFactory(BankAccountFactory, company=factory.SelfAttribute("..company"))
    date = factory.LazyFunction(lambda: dt.date(2025, 3, 7))
    currency = "USD"
    amount = Decimal("3850.00")
    name = "SHOPIFY PAYMENTS DES:TRANSFER ID:ST-K2L3M4"



class RollupMarkFactory(TenantFactory):
    class Meta:
        model = L.RollupMark

    kind = L.RollupKind.BANK
    month = "2025-03"


class BankMonthFactory(TenantFactory):
    class Meta:
        model = L.BankMonth

    month = "2025-03"
    currency = "USD"
    deposited = Decimal("3850.00")


class ItemMonthFactory(TenantFactory):
    class Meta:
        model = L.ItemMonth

    month = "2025-03"
    platform = "SHOPIFY"
    currency = "USD"
    kind = "sale"
    amount = Decimal("1000.00")
    fee = Decimal("29.30")

# --- reconciliation -----------------------------------------------------------------------------
from reconciliation import models as R  # noqa: E402


class ReconciliationRunFactory(TenantFactory):
    class Meta:
        model = R.ReconciliationRun

    engine_version = "test"
    status = R.ReconciliationRun.Status.SUCCEEDED


class MatchFactory(TenantFactory):
    class Meta:
        model = R.Match

    bank_transaction = factory.SubFactory(BankTransactionFactory, company=factory.SelfAttribute("..company"))
    status = R.MatchStatus.SUGGESTED
    confidence = Decimal("0.8000")
    reasons = factory.LazyFunction(lambda: ["amount equals payout net"])


class CategoryRuleFactory(TenantFactory):
    class Meta:
        model = R.CategoryRule

    contains = factory.Sequence(lambda n: f"WHOLESALE {n}")
    category = R.LineCategory.INCOME


class CategorizationFactory(TenantFactory):
    """A categorization row; book through reconciliation.services.categories for real entries."""

    class Meta:
        model = R.Categorization

    bank_transaction = factory.SubFactory(BankTransactionFactory, company=factory.SelfAttribute("..company"))
    category = R.LineCategory.INCOME
    journal_entry = factory.SubFactory(JournalEntryFactory, company=factory.SelfAttribute("..company"))


class MatchPayoutFactory(TenantFactory):
    class Meta:
        model = R.MatchPayout

    match = factory.SubFactory(MatchFactory, company=factory.SelfAttribute("..company"))
    payout = factory.SubFactory(PayoutFactory, company=factory.SelfAttribute("..company"))
    status = factory.SelfAttribute("match.status")


# -- connections ------------------------------------------------------------------------------

from connections import models as C  # noqa: E402


class ConnectionFactory(TenantFactory):
    class Meta:
        model = C.Connection

    provider = C.Provider.RUTTER
    external_id = factory.Sequence(lambda n: f"00000000-0000-4000-8000-{n:012d}")
    platform = "SHOPIFY"
    display_name = "Test Shop"


class FeeScheduleFactory(TenantFactory):
    """An orders-only store's learned gateway fee (reconciliation.models.FeeSchedule)."""

    class Meta:
        model = R.FeeSchedule

    connection = factory.SubFactory(ConnectionFactory, company=factory.SelfAttribute("..company"),
                                    platform="BIG_COMMERCE")
    rate = Decimal("0.02590")
    fixed = Decimal("0.49")
    currency = "USD"
    source = R.FeeSource.LEARNED
    deposits = 3


class LearnedBehaviourFactory(TenantFactory):
    class Meta:
        model = R.LearnedBehaviour

    connection = factory.SubFactory(ConnectionFactory, company=factory.SelfAttribute("..company"))
    deposits = 6
    cadence = "weekly"
    weekday = 0
    cadence_samples = 6
    lag_days = 2
    lag_samples = 6


class SyncStateFactory(TenantFactory):
    class Meta:
        model = C.SyncState

    connection = factory.SubFactory(ConnectionFactory, company=factory.SelfAttribute("..company"))
    entity = factory.Sequence(lambda n: f"entity-{n}")


class SyncRunFactory(TenantFactory):
    class Meta:
        model = C.SyncRun

    connection = factory.SubFactory(ConnectionFactory, company=factory.SelfAttribute("..company"))
    kind = "initial"


class ProviderAccountFactory(factory.django.DjangoModelFactory):
    """A partner's own Rutter organization, stored as the service stores it (secret encrypted)."""

    class Meta:
        model = C.ProviderAccount

    partner = factory.SubFactory(PartnerFactory)
    provider = C.Provider.RUTTER
    client_id = factory.Sequence(lambda n: f"rutter-org-{n}")
    environment = "production"
    secret_encrypted = factory.LazyFunction(lambda: _encrypt("rutter-secret-" + "s" * 24))
    secret_hint = "…ssss"
    validated_at = factory.LazyFunction(timezone.now)


def _encrypt(secret: str) -> str:
    from connections.services.tokens import token_encrypt

    return token_encrypt(secret)


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = C.WebhookEvent

    provider = C.Provider.RUTTER
    dedupe_key = factory.Sequence(lambda n: f"rutter:test-{n}")
    body = b"{}"
    signature_ok = True


# -- companies: idempotency -------------------------------------------------------------------

from companies.models import IdempotencyRecord  # noqa: E402


class IdempotencyRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdempotencyRecord

    api_key = factory.SubFactory(ApiKeyFactory)
    key = factory.Sequence(lambda n: f"idem-{n}")
    method = "POST"
    path = "/api/v1/companies/"
    request_hash = factory.Sequence(lambda n: f"{n:064x}")
