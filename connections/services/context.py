"""What one sync run carries: its connection, client, run row and the page-commit protocol.

Every page is committed in one transaction holding its rows, the entity's cursor and the run's
progress, so a sync killed between pages resumes from the saved cursor without losing or
duplicating anything. A page is written only if the cursor it was fetched with is still the saved
one: a second worker syncing the same connection stops instead of replaying an older page.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from connections.models import Connection, SyncRun, SyncState


class ConcurrentSync(Exception):
    """Another worker moved this entity's cursor while we fetched a page; let it finish."""


def page_size(default: int) -> int:
    """Objects per provider page (SYNC_PAGE_SIZE caps each provider's own maximum)."""
    configured = getattr(settings, "SYNC_PAGE_SIZE", None)
    return min(configured, default) if configured else default


def commit_rows_setting() -> int:
    """Records per transaction (SYNC_COMMIT_ROWS, default 2000; 0 = one transaction per page)."""
    return max(0, getattr(settings, "SYNC_COMMIT_ROWS", 2000))


def overlap_window() -> timedelta:
    return timedelta(seconds=getattr(settings, "SYNC_OVERLAP_SECONDS", 3600))


@dataclass
class SyncContext:
    connection: Connection
    run: SyncRun
    client: object
    on_page: Callable[[SyncRun], None] | None = None
    _states: dict[str, SyncState] = field(default_factory=dict)

    @property
    def company(self):
        return self.connection.company

    @property
    def source(self) -> str:
        return self.connection.ref

    def state(self, entity: str) -> SyncState:
        if entity not in self._states:
            self._states[entity], _ = SyncState.objects.get_or_create(
                connection=self.connection, entity=entity, defaults={"company": self.company}
            )
        return self._states[entity]

    def pass_since(self, entity: str) -> datetime | None:
        """Updated-since bound of the pass: the saved one when resuming, else high-water − overlap."""
        state = self.state(entity)
        if state.cursor is not None:
            return state.pass_since
        return state.high_water_mark - overlap_window() if state.high_water_mark else None

    def commit_page(self, *, entity: str, **page) -> int:
        """Write one page and its cursor in a transaction of its own (PageCommits.__call__ takes
        the page's arguments); returns the number of records written."""
        with self.pages(entity, commit_rows=0) as commit:
            return commit(**page)

    def pages(self, entity: str, *, commit_rows: int | None = None) -> PageCommits:
        """`with ctx.pages(entity) as commit: commit(page…)` — see PageCommits."""
        return PageCommits(self, entity, commit_rows_setting() if commit_rows is None else commit_rows)

    def warn(self, message: str) -> None:
        """Note something the sync left out on purpose in the run's `errors` (the run still
        succeeds); no-op without a run (linking). Saved at once, outside any page transaction."""
        run = self.run
        if run is None or message in run.errors:
            return
        run.errors = [*run.errors, message[:2000]]
        run.save(update_fields=["errors"])

    def progress(self, *, entity: str, records: int, deleted: int = 0, pages: int = 1) -> None:
        run = self.run
        run.pages += pages
        run.records += records
        run.deleted += deleted
        run.counts[entity] = run.counts.get(entity, 0) + records
        run.progress_entity = entity
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["pages", "records", "deleted", "counts", "progress_entity", "heartbeat_at"])


class PageCommits:
    """Consecutive pages of one entity, committed together with the entity's cursor.

    `commit(page…)` writes a page inside the open transaction (opening it on the first page,
    after locking the entity's SyncState row and checking that its saved cursor is the one the
    page was fetched with). The transaction is committed — rows, the cursor after the last page
    written and the run's progress together — once it holds `commit_rows` records, when a page
    ends the pass, and when the `with` block ends; an exception rolls the open pages back.
    A sync killed between commits therefore resumes from the last committed cursor and fetches
    the rolled-back pages again (their rows went with them): nothing lost, nothing doubled.
    Fewer, larger transactions save each page its own SyncState lock, cursor and progress
    UPDATEs and COMMIT round trip. Pages after the first need no cursor check: the SyncState row
    stays locked by this transaction, so no other worker can have moved it.
    """

    def __init__(self, ctx: SyncContext, entity: str, commit_rows: int):
        self.ctx, self.entity, self.commit_rows = ctx, entity, commit_rows
        self._atomic = None

    def __enter__(self) -> PageCommits:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._atomic is None:
            return
        if exc_type is None:
            self._commit()
        else:
            atomic, self._atomic = self._atomic, None
            atomic.__exit__(exc_type, exc, tb)  # rolls the open pages back

    def __call__(
        self,
        *,
        fetched_with: str | None,
        next_cursor: str | None,
        since: datetime | None,
        write: Callable[[], int],
        high_water: datetime | None = None,
        check_cursor: bool = True,
        deleted: Callable[[], int] | None = None,
        finished: bool | None = None,
    ) -> int:
        """Write one page into the open transaction; returns the number of records written."""
        if self._atomic is None:
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self._pages = self._records = self._deleted = 0
            self._state = SyncState.objects.select_for_update().get(pk=self.ctx.state(self.entity).pk)
            if check_cursor and self._state.cursor != fetched_with:
                raise ConcurrentSync(f"{self.ctx.source} {self.entity}: cursor moved to {self._state.cursor!r}")
        records = write()
        removed = deleted() if deleted else 0
        state = self._state
        state.cursor = next_cursor
        state.pass_since = since if next_cursor is not None else None
        done = (next_cursor is None) if finished is None else finished
        if done:
            state.initial_done = True
        if high_water and (state.high_water_mark is None or high_water > state.high_water_mark):
            state.high_water_mark = high_water
        state.records += records
        self._pages += 1
        self._records += records
        self._deleted += removed
        if done or self._records + self._deleted >= self.commit_rows:
            self._commit()
        return records

    def _commit(self) -> None:
        ctx, state = self.ctx, self._state
        atomic, self._atomic = self._atomic, None
        try:
            state.updated_at = timezone.now()
            state.save()
            ctx.progress(entity=self.entity, records=self._records, deleted=self._deleted, pages=self._pages)
        except BaseException as exc:  # the block is closed here: __exit__ no longer sees it open
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        atomic.__exit__(None, None, None)
        ctx._states[self.entity] = state
        if ctx.on_page is not None:
            ctx.on_page(ctx.run)


@contextmanager
def relaxed_commits():
    """PostgreSQL: page COMMITs do not wait for their WAL flush (synchronous_commit off) while
    this block runs; the session's setting is restored after.

    A page is re-fetchable from the provider, so it need not be durable the instant it commits:
    if PostgreSQL itself crashes, the last pages committed (at most ~3 x wal_writer_delay) are
    lost *together with their cursor* — never one without the other — and the next sync fetches
    them again. Atomicity and consistency are unchanged; each page stops paying a disk flush.
    """
    if db.vendor != "postgresql":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if db.connection is not None and not db.needs_rollback:
            with db.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def latest(values) -> datetime | None:
    found = [v for v in values if v is not None]
    return max(found) if found else None


_DONE = object()


def ahead(pages, depth: int = 2, prepare: Callable | None = None):
    """Fetch the next pages in a thread while the caller writes this one (HTTP and DB overlap).

    `prepare(page)`, when given, also runs in that thread and its result is yielded instead of
    the page: mapping a page into rows (Decimal, datetimes) then overlaps the previous page's
    database round trips, which release the GIL. The thread only talks HTTP and maps; all
    database work stays in the caller's thread. Pages come out in order and an error in the
    fetcher (or in `prepare`) is re-raised here in place of its page, so cursor semantics are
    unchanged: every page before it is written first.
    """
    import queue
    import threading

    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fetch():
        try:
            for page in pages:
                item = prepare(page) if prepare is not None else page
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            buffer.put(exc)

    thread = threading.Thread(target=fetch, name="sync-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
