"""Set one column of many rows to per-row values in a few statements (UPDATE … FROM VALUES).

Works on PostgreSQL and SQLite >= 3.33; a VALUES list names its columns column1, column2 on both.
"""

from django.db import connection

BATCH = 2000


def bulk_set(model, field: str, pairs) -> int:
    """For each (pk, value) pair, set `field` of row `pk` to `value`; returns rows updated."""
    pairs = list(pairs)
    column = model._meta.get_field(field).column
    table, pk = model._meta.db_table, model._meta.pk.column
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), BATCH):
            batch = pairs[start:start + BATCH]
            values = ", ".join(["(%s, %s)"] * len(batch))
            cursor.execute(
                f"UPDATE {table} SET {column} = v.column2 FROM (VALUES {values}) AS v "
                f"WHERE {table}.{pk} = v.column1",
                [param for pair in batch for param in pair],
            )
            updated += cursor.rowcount
    return updated
