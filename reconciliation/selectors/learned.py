"""Learned per-connection behaviour, read: for the engine's inputs and for people."""

from companies.scoping import scoped, tenant_rows
from ledger.platforms import has_payout_objects
from reconciliation import engine as E
from reconciliation.engine.learned import MIN_SAMPLES, WEEKDAYS
from reconciliation.models import LearnedBehaviour

ROW_FIELDS = ("deposits", "cadence", "weekday", "every_days", "anchor", "cadence_samples", "lag_days",
              "lag_samples", "token_samples", "boundary", "cutoff", "boundary_samples")


def as_engine(row: LearnedBehaviour) -> E.LearnedBehaviour:
    return E.LearnedBehaviour(connection_ref=row.connection.ref, tokens=tuple(row.tokens),
                              **{f: getattr(row, f) for f in ROW_FIELDS})


@scoped
def learned_for_engine(*, company) -> tuple[E.LearnedBehaviour, ...]:
    rows = tenant_rows(LearnedBehaviour, company).select_related("connection")
    return tuple(sorted((as_engine(r) for r in rows), key=lambda lb: lb.connection_ref))


def _cadence(lb: E.LearnedBehaviour, verb: str) -> str:
    if lb.cadence == "weekly" and lb.weekday is not None:
        return f"{verb} weekly on {WEEKDAYS[lb.weekday]}s"
    if lb.cadence == "daily":
        return f"{verb} every business day"
    if lb.cadence == "every_n_days" and lb.every_days:
        return f"{verb} every {lb.every_days} days"
    return f"{verb} on no fixed schedule" if lb.cadence == "irregular" else ""


def learned_sentence(lb: E.LearnedBehaviour | None, *, swept: bool = False) -> str:
    """"Learned: swept weekly on Mondays, lands +2 business days (from 12 deposits)", or "Still
    learning (2 deposits)" while no aspect rests on enough deposits."""
    n = lb.deposits if lb else 0
    parts = []
    if lb and lb.cadence_samples >= MIN_SAMPLES:
        parts.append(_cadence(lb, "swept" if swept else "paid out"))
    if lb and lb.lag_samples >= MIN_SAMPLES and lb.lag_days is not None:
        parts.append("lands the same business day" if lb.lag_days == 0 else
                     f"lands {lb.lag_days:+d} business day{'' if abs(lb.lag_days) == 1 else 's'}")
    if lb and lb.boundary_samples >= MIN_SAMPLES:
        if lb.boundary == "day":
            parts.append("each sweep ends with a day's last transaction")
        elif lb.boundary == "time" and lb.cutoff is not None:
            parts.append(f"sweeps cut off at {lb.cutoff:%H:%M} UTC")
    if lb and lb.token_samples >= MIN_SAMPLES and lb.tokens:
        parts.append("the bank writes " + " ".join(lb.tokens))
    parts = [p for p in parts if p]
    plural = "" if n == 1 else "s"
    if not parts:
        return f"Still learning ({n} deposit{plural})"
    return f"Learned: {', '.join(parts)} (from {n} deposit{plural})"


@scoped
def learned_sentences(*, company) -> dict[int, str]:
    """Connection id -> what was learned about it, for every store connection with a row."""
    rows = tenant_rows(LearnedBehaviour, company).select_related("connection")
    return {r.connection_id: learned_sentence(as_engine(r), swept=not has_payout_objects(
        r.connection.platform or r.connection.provider)) for r in rows}
