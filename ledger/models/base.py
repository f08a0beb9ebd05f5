"""Shared shapes of tenant-owned ledger rows."""

from django.db import models

from ledger.money import DECIMAL_PLACES, MAX_DIGITS


def money_field(**kwargs) -> models.DecimalField:
    kwargs.setdefault("default", 0)
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def currency_field(**kwargs) -> models.CharField:
    return models.CharField(max_length=3, **kwargs)


class TenantModel(models.Model):
    """A row owned by one company. Selectors always start from `tenant_rows(Model, company)`."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class SourcedModel(TenantModel):
    """A row that mirrors an object of an outside system.

    `source` is the connection reference of world.md (`rutter:<connection_id>`,
    `stripe:<account_id>`, `plaid:<item_id>`), so `ref` is the object's identity string used in
    exports and truth files. Ledger rows name their connection by reference rather than by foreign
    key because connections live in a higher layer.
    """

    source = models.CharField(max_length=120)
    external_id = models.CharField(max_length=255)

    class Meta:
        abstract = True

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.external_id}"

    @property
    def provider(self) -> str:
        return self.source.split(":", 1)[0]


def sourced_unique(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["company", "source", "external_id"], name=name)
