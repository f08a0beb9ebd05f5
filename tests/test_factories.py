"""Every model has a factory that builds a valid row."""

import pytest
from django.apps import apps

from tests import factories as f

FACTORIES = {
    obj._meta.model: obj
    for obj in vars(f).values()
    if isinstance(obj, type) and issubclass(obj, f.factory.django.DjangoModelFactory)
    and obj._meta.model is not None
}
OUR_APPS = ("companies", "ledger", "connections", "reconciliation")


@pytest.mark.parametrize(
    "model", [m for m in apps.get_models() if m._meta.app_label in OUR_APPS], ids=lambda m: m.__name__
)
def test_it_has_a_working_factory_for_every_model(model, db):
    assert model in FACTORIES, f"tests/factories.py has no factory for {model.__name__}"
    obj = FACTORIES[model]()
    if model is f.L.JournalLine:
        # A lone line is an unbalanced entry, which PostgreSQL refuses at commit: add its twin.
        f.JournalLineFactory(company=obj.company, entry=obj.entry, debit=0, credit=obj.debit)
    assert model.objects.filter(pk=obj.pk).exists()
