"""Database work of a run done alongside the engine, in the run's own transaction.

The engine is pure Python and reads nothing once its inputs are loaded; booking the settled items
(`items_book`) does not depend on its decisions and is mostly the database's work. So the booking
runs in a thread on the run's connection while the engine runs in the caller's: the database
works on one core while the engine computes on another (a realistic year: the engine ~40 s, the
booking ~40 s of mostly SQL, one after the other before).

The connection is the caller's (Django's thread sharing, as its live-server test thread does for
SQLite): the work joins the run's transaction, is rolled back with it, and holds its locks. The
caller must not touch the database until `result()` returns; `alongside` waits for the work
however the caller's block ends, so a failed engine never rolls back under a running statement.
On PostgreSQL the work checks its foreign keys as it goes (`SET CONSTRAINTS … IMMEDIATE`) and the
rest of its deferred constraints (its entries' balance) when it ends; then all are deferred again:
checked at COMMIT they would be checked after the engine, not beside it.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


def _foreign_keys(conn) -> str:
    """PostgreSQL: this schema's deferrable foreign keys, as SET CONSTRAINTS names them. Only
    those while the work writes: an entry's balance is a deferred constraint too, which must not
    be checked statement by statement (its lines are inserted in batches: between two, an entry
    is unbalanced); it is checked when the work ends."""
    if conn.vendor != "postgresql":
        return ""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(DISTINCT format('%I.%I', n.nspname, c.conname), ', ') FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.contype = 'f' AND c.condeferrable AND n.nspname = current_schema()"
        )
        return cursor.fetchone()[0] or ""


class _Work:
    def __init__(self, fn, kwargs):
        self._fn, self._kwargs = fn, kwargs
        self._value = self._error = None
        self.seconds = 0.0  # how long the work took
        self._conn = connections[DEFAULT_DB_ALIAS]
        self._thread = threading.Thread(target=self._run, name="tieout-alongside", daemon=True)

    def _run(self):
        connections[DEFAULT_DB_ALIAS] = self._conn  # this thread works in the caller's transaction
        started = time.perf_counter()
        try:
            keys = _foreign_keys(self._conn)
            if keys:
                with self._conn.cursor() as cursor:
                    cursor.execute(f"SET CONSTRAINTS {keys} IMMEDIATE")
            self._value = self._fn(**self._kwargs)
            if keys:
                with self._conn.cursor() as cursor:
                    # What the work wrote is complete: its entries' balance is checked now, here,
                    # rather than at COMMIT after the run (every deferrable constraint of the
                    # schema is initially deferred, so ALL DEFERRED is where they started).
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc
        self.seconds = time.perf_counter() - started

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


@contextmanager
def alongside(fn, **kwargs):
    """Run `fn(**kwargs)` on this transaction's connection in another thread during the block;
    `.result()` of what it yields is fn's value (or raises its error)."""
    conn = connections[DEFAULT_DB_ALIAS]
    conn.inc_thread_sharing()
    work = _Work(fn, kwargs)
    work._thread.start()
    try:
        yield work
    finally:
        work._thread.join()
        conn.dec_thread_sharing()


@contextmanager
def snapshot_reader():
    """A second connection that reads in this transaction's snapshot, for the caller's thread to
    read through while its own connection is lent to `alongside` work (the run's books are
    loaded while the booking starts). Yields `reading`, a context manager under which this
    thread's queries go to the second connection: on PostgreSQL, pg_export_snapshot here, then a
    READ ONLY, REPEATABLE READ transaction there that imports it, so it sees exactly what this
    transaction saw when the reader was made. Yields None where that cannot be: not PostgreSQL,
    or a transaction that is not the caller's own (inside a test's or a caller's atomic block:
    what it wrote is not committed, and another connection would not see it). Make the reader
    before the work starts: its snapshot must not include the work's writes."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql" or conn.savepoint_ids:
        yield None
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
    reader = connections.create_connection(DEFAULT_DB_ALIAS)

    @contextmanager
    def reading():
        connections[DEFAULT_DB_ALIAS] = reader
        try:
            with transaction.atomic():
                with reader.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                yield
        finally:
            connections[DEFAULT_DB_ALIAS] = conn

    try:
        yield reading
    finally:
        reader.close()
