import csv
import datetime as dt
import io
import re
from decimal import Decimal

from reconciliation.models import MatchStatus
from tests import factories as F
from tests.dashboard.conftest import deposit_with_payout, headers, url


def _ids(response) -> list[int]:
    return [int(i) for i in re.findall(rb'id="txn-(\d+)"', response.content)]


def test_it_lists_newest_first_and_only_this_companys_lines(client, alice, bob):
    old = F.BankTransactionFactory(company=alice.company, date=dt.date(2025, 1, 1))
    new = F.BankTransactionFactory(company=alice.company, date=dt.date(2025, 3, 1))
    theirs = F.BankTransactionFactory(company=bob.company, date=dt.date(2025, 2, 1))
    ids = _ids(client.get(url(alice.company, "transactions"), **headers(alice)))
    assert ids == [new.pk, old.pk]
    assert theirs.pk not in ids


def test_it_filters_by_status_platform_date_amount_and_search(client, alice):
    shop, _, _ = deposit_with_payout(alice.company, platform="SHOPIFY", day=dt.date(2025, 3, 1))
    etsy, _, _ = deposit_with_payout(alice.company, platform="ETSY", day=dt.date(2025, 3, 5),
                                     status=MatchStatus.SUGGESTED, sales=[Decimal("500.00")])
    rent = F.BankTransactionFactory(company=alice.company, amount=Decimal("-2000.00"), name="RENT MARCH",
                                    date=dt.date(2025, 3, 3))
    get = lambda **q: _ids(client.get(url(alice.company, "transactions"), q, **headers(alice)))  # noqa: E731
    assert get(status="suggested") == [etsy.pk]
    assert get(platform="SHOPIFY") == [shop.pk]
    assert get(date_from="2025-03-02", date_to="2025-03-04") == [rent.pk]
    assert get(amount_max="0") == [rent.pk]
    assert get(amount_min="1000") == [shop.pk]
    assert get(q="rent") == [rent.pk]
    assert get(q=str(shop.amount)) == [shop.pk]
    assert get(amount_min="not-a-number") == [etsy.pk, rent.pk, shop.pk]  # a bad filter is ignored


def test_it_pages_with_a_keyset_cursor(client, alice):
    rows = [F.BankTransactionFactory(company=alice.company, date=dt.date(2025, 1, 1) + dt.timedelta(days=i))
            for i in range(60)]
    first = client.get(url(alice.company, "transactions"), **headers(alice))
    assert _ids(first) == [r.pk for r in reversed(rows)][:50]
    after = re.search(rb"after=([\d.-]+)", first.content).group(1).decode()
    second = client.get(url(alice.company, "transactions"), {"after": after}, HTTP_HX_REQUEST="true",
                        HTTP_HX_TARGET="load-more", **headers(alice))
    assert _ids(second) == [r.pk for r in reversed(rows)][50:]
    assert b"<html" not in second.content and b"Show older" not in second.content


def test_it_renders_only_the_results_for_an_htmx_filter(client, alice):
    F.BankTransactionFactory(company=alice.company)
    response = client.get(url(alice.company, "transactions"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="txn-results",
                          **headers(alice))
    assert response.content.lstrip().startswith(b'<section id="txn-results"')


def test_it_opens_a_deposit_into_lines_that_add_up_to_it(client, alice):
    bank, payout, _ = deposit_with_payout(alice.company)
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    subtotals = [Decimal(v.decode()) for v in re.findall(rb'data-subtotal="([-\d.]+)"', response.content)]
    assert sum(subtotals) == bank.amount
    assert b"Adds up to the deposit" in response.content
    for label in (b"Orders paid", b"Refunds", b"Processing fees", b"Marketplace commissions"):
        assert label in response.content


def test_it_shows_a_gap_the_platform_did_not_itemise(client, alice):
    bank, payout, _ = deposit_with_payout(alice.company)
    F.PayoutItemFactory(company=alice.company, payout=payout, kind="sale", amount=Decimal("5.00"), fee=Decimal("0"))
    response = client.get(url(alice.company, "breakdown", pk=bank.pk), **headers(alice))
    assert b'data-group="unitemised"' in response.content
    subtotals = [Decimal(v.decode()) for v in re.findall(rb'data-subtotal="([-\d.]+)"', response.content)]
    assert sum(subtotals) == bank.amount


def test_it_exports_what_the_filters_show(client, alice, bob):
    shop, _, _ = deposit_with_payout(alice.company, platform="SHOPIFY")
    deposit_with_payout(alice.company, platform="ETSY", sales=[Decimal("7.00")])
    deposit_with_payout(bob.company, platform="SHOPIFY")
    response = client.get(url(alice.company, "transactions_csv"), {"platform": "SHOPIFY"}, **headers(alice, ["read"]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["amount"], r["platforms"]) for r in rows] == [(f"{shop.amount:.2f}", "SHOPIFY")]


def test_it_does_not_take_a_token_from_the_query_string_for_pages_or_exports(client, alice):
    token = headers(alice)["HTTP_X_EMBED_TOKEN"]
    assert client.get(url(alice.company, "transactions"), {"token": token}).status_code == 401
    assert client.get(url(alice.company, "transactions_csv"), {"token": token}).status_code == 401


def test_the_export_button_carries_no_token(client, alice):
    page = client.get(url(alice.company, "transactions"), **headers(alice)).content.decode()
    button = re.search(r'<button[^>]*id="export"[^>]*>', page).group(0)
    assert "token" not in button and 'data-filters="filters"' in button


def test_a_pending_line_says_so_and_amounts_carry_their_currency(client, alice):
    pending = F.BankTransactionFactory(company=alice.company, amount=Decimal("55.00"), pending=True, currency="CAD")
    page = client.get(url(alice.company, "transactions"), **headers(alice)).content.decode()
    row = page.split(f'id="txn-{pending.pk}"')[1].split("</tr>")[0]
    assert 'badge-pending' in row and ">Pending<" in row
    assert "55.00 CAD" in row
