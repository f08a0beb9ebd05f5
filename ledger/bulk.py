"""Set columns of many rows to per-row values in a few statements (UPDATE … FROM VALUES).

Django's bulk_update builds one CASE WHEN per field and row, which is slow past a few thousand
rows. This works on PostgreSQL and SQLite >= 3.33 (a VALUES list names its columns column1,
column2, … on both); each value is cast to its column's type so NULLs and numerics are typed.
"""

from django.db import connection

BATCH = 1000


def bulk_set_many(model, fields: list[str], rows) -> int:
    """For each row (pk, value1, value2, …), set `fields` of row `pk`; returns rows updated."""
    rows = list(rows)
    table, pk = model._meta.db_table, model._meta.pk.column
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(
        f"{field.column} = CAST(v.column{n} AS {field.cast_db_type(connection)})"
        for n, field in enumerate(columns, start=2)
    )
    placeholder = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholder] * len(batch))}) AS v "
                f"WHERE {table}.{pk} = v.column1",
                [param for row in batch for param in row],
            )
            updated += cursor.rowcount
    return updated


def bulk_set(model, field: str, pairs) -> int:
    """For each (pk, value) pair, set `field` of row `pk` to `value`."""
    return bulk_set_many(model, [field], pairs)
