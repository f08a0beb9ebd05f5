"""Every selector of every app refuses to run without a company, and never leaks another's rows."""

import importlib
import inspect
import pkgutil

import pytest

from companies.scoping import ScopeError
from tests import factories as f

APPS = ["ledger", "connections", "reconciliation"]


def all_selectors():
    found = []
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.selectors")
        except ModuleNotFoundError:
            continue
        modules = [module]
        if hasattr(module, "__path__"):
            modules += [importlib.import_module(m.name) for m in pkgutil.iter_modules(module.__path__, f"{module.__name__}.")]
        for mod in modules:
            for name, func in inspect.getmembers(mod, inspect.isfunction):
                if func.__module__ == mod.__name__ and not name.startswith("_"):
                    found.append(pytest.param(func, id=f"{mod.__name__}.{name}"))
    return found


@pytest.mark.parametrize("selector", all_selectors())
def test_it_refuses_to_run_without_a_company(selector, db):
    assert getattr(selector, "is_scoped", False), f"{selector.__qualname__} is not @scoped"
    with pytest.raises(ScopeError):
        selector()
    with pytest.raises(ScopeError):
        selector(company=None)


def test_it_never_shows_another_companys_rows(alice, bob):
    from ledger import selectors

    f.BankTransactionFactory(company=bob.company)
    f.PayoutFactory(company=bob.company)
    f.InvoiceFactory(company=bob.company)
    mine = f.BankTransactionFactory(company=alice.company)
    assert list(selectors.bank_transaction_list(company=alice.company)) == [mine]
    assert not selectors.payout_list(company=alice.company).exists()
    assert not selectors.invoice_list(company=alice.company).exists()
    assert selectors.payout_list(company=bob.company).count() == 1
