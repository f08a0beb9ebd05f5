"""Learned per-connection behaviour, read: for the engine's inputs and for people."""

from companies.scoping import scoped, tenant_rows
from connections.models import Connection
from ledger.platforms import has_payout_objects
from reconciliation import engine as E
from reconciliation.engine.learned import describe
from reconciliation.models import LearnedBehaviour

ROW_FIELDS = ("deposits", "cadence", "weekday", "every_days", "anchor", "cadence_samples", "lag_days",
              "lag_samples", "token_samples", "boundary", "cutoff", "boundary_samples")


def _as_engine(row: LearnedBehaviour) -> E.LearnedBehaviour:
    return E.LearnedBehaviour(connection_ref=row.connection.ref, tokens=tuple(row.tokens),
                              **{f: getattr(row, f) for f in ROW_FIELDS})


@scoped
def learned_for_engine(*, company) -> tuple[E.LearnedBehaviour, ...]:
    rows = tenant_rows(LearnedBehaviour, company).select_related("connection")
    return tuple(sorted((_as_engine(r) for r in rows), key=lambda lb: lb.connection_ref))


@scoped
def learned_sentences(*, company) -> dict[int, str]:
    """Connection id -> what was learned about it, for every store connection with a row."""
    rows = tenant_rows(LearnedBehaviour, company).select_related("connection")
    return {r.connection_id: describe(_as_engine(r), swept=not has_payout_objects(
        r.connection.platform or r.connection.provider)) for r in rows}


MAX_ID = 2**63 - 1


@scoped
def learned_get(*, company, connection_id: int) -> dict | None:
    """What was learned about one of the company's store connections (zeros when nothing yet)."""
    if not 0 < int(connection_id) <= MAX_ID:
        return None
    connection = tenant_rows(Connection, company).exclude(provider="plaid").filter(pk=connection_id).first()
    if connection is None:
        return None
    row = tenant_rows(LearnedBehaviour, company).filter(connection=connection).first()
    row = row or LearnedBehaviour(company=company, connection=connection)
    lb = _as_engine(row)
    return {
        "connection": connection.pk, "summary": describe(
            lb, swept=not has_payout_objects(connection.platform or connection.provider)),
        **{f: getattr(row, f) for f in ROW_FIELDS if f != "anchor"}, "tokens": list(row.tokens), "since": row.since,
    }
