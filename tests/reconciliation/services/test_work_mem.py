"""A reconciliation run's transaction sorts and hashes in RECONCILE_WORK_MEM on PostgreSQL (its
set-based booking spills to disk in the server's default), and only that transaction does."""

import pytest
from django.db import connection, transaction
from django.test import override_settings

from reconciliation.services.runs import _work_mem

pytestmark = pytest.mark.django_db(transaction=True)


def _show() -> str | None:
    if connection.vendor != "postgresql":
        return None  # SQLite has no such setting: nothing is sent
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        return cursor.fetchone()[0]


@override_settings(RECONCILE_WORK_MEM="48MB")
def test_the_run_transaction_gets_its_work_mem_and_only_it():
    before = _show()
    with transaction.atomic():
        _work_mem()
        inside = _show()
    assert _show() == before
    if connection.vendor == "postgresql":
        assert before != "48MB" and inside == "48MB"
    else:
        assert inside is None
