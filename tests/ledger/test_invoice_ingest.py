"""Orders become invoices with their lines: a page of new orders gets its lines; a re-sync keeps
the lines of orders whose lines did not change (same rows) and replaces only those that did;
a changed order whose lines are the same keeps them. Pages above and below the size from which
PostgreSQL upserts through COPY (and says which invoices it wrote)."""

from decimal import Decimal

import pytest

from ledger.models import Invoice, InvoiceLine
from ledger.services.ingest import invoice_upsert_many
from tests import factories as F

pytestmark = pytest.mark.django_db


def _order(i: int, *, total="10.00", lines=None) -> dict:
    lines = lines if lines is not None else [
        {"external_id": f"l{i}-{k}", "title": f"Item {k}", "sku": f"S{k}", "quantity": Decimal(1 + k),
         "unit_price": Decimal("2.50"), "amount": Decimal("2.50") * (1 + k)} for k in range(2)]
    return {"source": "rutter:c", "external_id": f"o{i}", "number": str(i), "currency": "USD",
            "subtotal": Decimal(total), "discount": Decimal(0), "shipping": Decimal(0), "tax": Decimal(0),
            "total": Decimal(total), "payment_status": "paid", "lines": lines,
            "customer_external_id": f"cust{i % 3}", "customer_name": f"Customer {i % 3}"}


def _lines(company) -> dict[str, list]:
    out: dict[str, list] = {}
    for ext, pk, line_ext, amount in (InvoiceLine.objects.filter(company=company).order_by("id")
                                      .values_list("invoice__external_id", "pk", "external_id", "amount")):
        out.setdefault(ext, []).append((pk, line_ext, amount))
    return out


@pytest.mark.parametrize("n", [5, 80])
def test_lines_are_written_once_and_replaced_only_where_they_changed(n):
    company = F.CompanyFactory()
    assert invoice_upsert_many(company=company, rows=[_order(i) for i in range(n)]) == n
    first = _lines(company)
    assert len(first) == n and all(len(v) == 2 for v in first.values())

    changed_lines = [{"external_id": "new", "title": "Other", "sku": "X", "quantity": Decimal(1),
                      "unit_price": Decimal("9.00"), "amount": Decimal("9.00")}]
    rows = [_order(i) for i in range(n)]
    rows[0] = _order(0, lines=changed_lines)  # its lines changed
    rows[1] = _order(1, total="12.00")  # the order changed, its lines did not
    rows.append(_order(n))  # a new order on a page of known ones
    invoice_upsert_many(company=company, rows=rows)

    second = _lines(company)
    assert [(e, a) for _, e, a in second["o0"]] == [("new", Decimal("9.00"))]
    assert second["o1"] == first["o1"]  # same rows: not deleted and inserted again
    assert all(second[f"o{i}"] == first[f"o{i}"] for i in range(2, n))
    assert [e for _, e, _ in second[f"o{n}"]] == [f"l{n}-0", f"l{n}-1"]
    assert Invoice.objects.get(company=company, external_id="o1").total == Decimal("12.00")
    assert InvoiceLine.objects.filter(company=company).count() == 1 + 2 * n
