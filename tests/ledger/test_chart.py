from ledger.models import Account, AccountRole
from ledger.services import chart_of_accounts_create, clearing_account_for
from tests import factories as f


def test_it_creates_the_chart_of_accounts_with_the_company(alice):
    roles = set(Account.objects.filter(company=alice.company).values_list("role", flat=True))
    assert {
        AccountRole.BANK, AccountRole.ACCOUNTS_RECEIVABLE, AccountRole.SALES, AccountRole.SALES_RETURNS,
        AccountRole.SHIPPING_INCOME, AccountRole.SALES_TAX_PAYABLE, AccountRole.PROCESSING_FEES,
        AccountRole.MARKETPLACE_COMMISSIONS, AccountRole.CHARGEBACKS, AccountRole.FX_GAIN_LOSS,
        AccountRole.PLATFORM_RESERVES, AccountRole.UNCATEGORIZED,
    } <= roles


def test_it_creates_the_chart_for_factory_companies_too(db):
    company = f.CompanyFactory()
    assert Account.objects.filter(company=company, role=AccountRole.SALES).count() == 1


def test_it_is_idempotent(alice):
    before = Account.objects.filter(company=alice.company).count()
    chart_of_accounts_create(company=alice.company)
    assert Account.objects.filter(company=alice.company).count() == before


def test_it_keeps_one_clearing_account_per_connection(alice, bob):
    shopify = clearing_account_for(company=alice.company, source="rutter:c1", name="Shopify")
    again = clearing_account_for(company=alice.company, source="rutter:c1", name="Shopify")
    amazon = clearing_account_for(company=alice.company, source="rutter:c2", name="Amazon")
    bobs = clearing_account_for(company=bob.company, source="rutter:c1", name="Shopify")
    assert shopify.pk == again.pk
    assert len({shopify.code, amazon.code}) == 2
    assert bobs.company == bob.company and bobs.pk != shopify.pk
