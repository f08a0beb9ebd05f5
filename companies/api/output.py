"""Output serializers that render many rows cheaply.

DRF builds and deep-copies every field of a serializer for each instance it makes, then walks the
fields generically for every row; for a 50-row page that was about a third of the request's CPU.
Output serializers here are pure functions of the row (they read no request context), so their
fields are bound once per class and a row is rendered by a flat loop over
(name, read the attribute, `to_representation`). Same output, same schema (drf-spectacular still
reads the declared fields).
"""

from operator import attrgetter

from rest_framework import fields as drf_fields
from rest_framework import serializers


def _getter(field, columns: frozenset):
    """A plain attribute read when the field reads one model column the standard way."""
    standard = type(field).get_attribute is drf_fields.Field.get_attribute
    if standard and len(field.source_attrs) == 1 and field.source_attrs[0] in columns:
        return attrgetter(field.source_attrs[0])
    return field.get_attribute


class RowOutput(serializers.ModelSerializer):
    """A read-only ModelSerializer rendered from a per-class plan of its fields."""

    @classmethod
    def row_plan(cls) -> tuple:
        plan = cls.__dict__.get("_row_plan")
        if plan is None:
            bound = cls()  # fields are bound to this instance once; they hold no per-request state
            columns = frozenset(
                name for f in cls.Meta.model._meta.concrete_fields for name in (f.name, f.attname)
            )
            plan = tuple(
                (name, _getter(field, columns), field.to_representation)
                for name, field in bound.fields.items() if not field.write_only
            )
            cls._row_plan = plan
        return plan

    def to_representation(self, instance):
        row = {}
        for name, read, represent in self.row_plan():
            try:
                value = read(instance)
            except drf_fields.SkipField:
                continue
            row[name] = None if value is None else represent(value)
        return row
