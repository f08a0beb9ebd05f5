"""Tenant scoping that fails closed.

Every selector takes `company` as a keyword argument and is wrapped in `@scoped`, which refuses to
run unless it is a saved Company. `tenant_rows(Model, company)` is the one way selectors start a
query over a tenant-owned table.
"""

import functools

from companies.models import Company


class ScopeError(TypeError):
    """A tenant-owned read or write was attempted without a company to scope it to."""


def require_company(company) -> Company:
    if not isinstance(company, Company) or company.pk is None:
        raise ScopeError(f"a saved Company is required, got {company!r}")
    return company


def scoped(func):
    """Decorate a selector: it must be called with a saved Company as `company=`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if "company" not in kwargs:
            raise ScopeError(f"{func.__qualname__}() must be called with company=")
        require_company(kwargs["company"])
        return func(*args, **kwargs)

    wrapper.is_scoped = True
    return wrapper


def tenant_rows(model, company):
    """The start of every tenant-owned query: `Model.objects.filter(company=company)`."""
    return model.objects.filter(company=require_company(company))
