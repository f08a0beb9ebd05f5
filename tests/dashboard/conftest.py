"""Dashboard test helpers: tokens for a tenant, and a small world of deposits tied to payouts."""

import datetime as dt
from decimal import Decimal

import pytest

from companies.services import embed_session_create
from dashboard.embed import embed_token_issue
from reconciliation.models import MatchStatus
from tests import factories as F


def headers(tenant_or_company, permissions=("read", "write")) -> dict:
    company = getattr(tenant_or_company, "company", tenant_or_company)
    session, _ = embed_session_create(company=company, permissions=permissions)
    return {"HTTP_X_EMBED_TOKEN": embed_token_issue(company=company, permissions=permissions, session=session)}


def url(company, name: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(f"dashboard:{name}", kwargs={"company": company.public_id, **kwargs})


def deposit_with_payout(company, *, day=dt.date(2025, 3, 7), status=MatchStatus.APPLIED, platform="SHOPIFY",
                        sales=(Decimal("1000.00"), Decimal("250.00")), refund=Decimal("-40.00"),
                        commission=Decimal("-60.00"), fee=Decimal("29.30")):
    """A bank deposit and the payout behind it; the items add up to the deposit exactly."""
    gross = sum(sales) + refund + commission
    net = gross - fee * len(sales)
    payout = F.PayoutFactory(company=company, platform=platform, amount=net, arrival_date=day)
    for amount in sales:
        F.PayoutItemFactory(company=company, payout=payout, kind="sale", amount=amount, fee=fee,
                            order_external_id="order-1")
    F.PayoutItemFactory(company=company, payout=payout, kind="refund", amount=refund, fee=Decimal("0"))
    F.PayoutItemFactory(company=company, payout=payout, kind="commission", amount=commission, fee=Decimal("0"))
    bank = F.BankTransactionFactory(
        company=company, amount=net, date=day,
        status="reconciled" if status == MatchStatus.APPLIED else "suggested",
    )
    match = F.MatchFactory(company=company, bank_transaction=bank, status=status,
                           confidence=Decimal("0.9700"), reasons=["amount equals payout net", "arrived same day"])
    F.MatchPayoutFactory(company=company, match=match, payout=payout, status=status)
    return bank, payout, match


@pytest.fixture
def alice_world(alice):
    return deposit_with_payout(alice.company)


def inferred_suggestion(company, *, platform="ETSY", day=dt.date(2025, 3, 10), connection=None,
                        sales=(Decimal("120.00"), Decimal("64.00")), fee=Decimal("4.10"), refund=Decimal("-15.00")):
    """A deposit the engine explains with platform transactions of a connection without payout
    objects: a suggested inferred match whose `inferred_items` are `<connection ref>:<item id>`."""
    connection = connection or F.ConnectionFactory(company=company, provider="rutter", platform=platform,
                                                   display_name=f"{platform.title()} shop")
    items = [F.PayoutItemFactory(company=company, payout=None, source=connection.ref, kind="sale", amount=amount,
                                 fee=fee, order_external_id=f"order-{i}")
             for i, amount in enumerate(sales)]
    items.append(F.PayoutItemFactory(company=company, payout=None, source=connection.ref, kind="refund",
                                     amount=refund, fee=Decimal("0")))
    net = sum((i.net for i in items), Decimal("0"))
    bank = F.BankTransactionFactory(company=company, amount=net, date=day, status="suggested",
                                    name=f"{platform} DEPOSIT")
    match = F.MatchFactory(company=company, bank_transaction=bank, status=MatchStatus.SUGGESTED, is_inferred=True,
                           inferred_connection=connection.ref,
                           inferred_items=[f"{connection.ref}:{i.external_id}" for i in items],
                           confidence=Decimal("0.8800"), reasons=["items sum to the deposit"])
    return bank, items, match
