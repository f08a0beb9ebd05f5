"""Output serializers render rows from a per-class plan (companies/api/output.py): the result must be
exactly what DRF's generic field walk gives for the same row, for every output serializer."""

import pytest
from rest_framework import serializers

import config.api_urls  # noqa: F401  (imports every API module, so every output serializer exists)
from companies.api.output import RowOutput
from tests import factories as f
from tests.test_factories import FACTORIES


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


OUTPUTS = sorted({c for c in _subclasses(RowOutput) if c.__module__.split(".")[0] != "tests"},
                 key=lambda c: c.__qualname__)


def _row(model):
    obj = FACTORIES[model]()
    if model is f.L.JournalLine:
        f.JournalLineFactory(company=obj.company, entry=obj.entry, debit=0, credit=obj.debit)
    if model is f.L.JournalEntry:
        line = f.JournalLineFactory(company=obj.company, entry=obj)
        f.JournalLineFactory(company=obj.company, entry=obj, debit=0, credit=line.debit)
    if model is f.L.Payout:
        f.PayoutItemFactory(company=obj.company, payout=obj, source=obj.source)
        f.PayoutItemFactory(company=obj.company, payout=obj, source=obj.source, amount=-3, fee=0, net=-3)
    if model is f.L.Invoice:
        f.InvoiceLineFactory(company=obj.company, invoice=obj)
    return model.objects.get(pk=obj.pk)


def test_every_model_output_serializer_uses_the_plan():
    assert len(OUTPUTS) >= 10, [c.__name__ for c in OUTPUTS]


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda c: c.__qualname__)
def test_plan_renders_what_drf_renders(output, db):
    row = _row(output.Meta.model)
    generic = serializers.ModelSerializer.to_representation(output(), row)
    assert output(row).data == generic
    assert output([row], many=True).data == [generic]
