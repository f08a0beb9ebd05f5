"""Learned per-connection behaviour, written from the confirmed deposits of each store connection.

Confirmed: an applied match that the engine applied with high confidence, or that a person
accepted or made (never a suggestion, a rejection or an undone match). Learning is
deterministic (reconciliation.engine.learned.learn over the latest deposits) and runs after
every reconciliation run and every decision; a reset (relink, disconnect) starts over from the
deposits dated on or after it.
"""

import datetime as dt
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils.timezone import now

from companies.scoping import tenant_rows
from connections.models import Connection
from ledger.models import PayoutItem
from ledger.services.settlement import UNSETTLED_WORDS
from reconciliation.calendars import holidays_for
from reconciliation.engine.learned import ConfirmedDeposit, learn
from reconciliation.models import LearnedBehaviour, Match, MatchPayout, MatchStatus

CONFIDENT = Decimal("0.90")  # an automatic match at least this sure counts as confirmed
RECENT = 60  # deposits learned from: the latest, so a store that changes schedule is followed
FIELDS = ("deposits", "cadence", "weekday", "every_days", "anchor", "cadence_samples", "lag_days",
          "lag_samples", "tokens", "token_samples", "boundary", "cutoff", "boundary_samples")


def _sweep_ends(company, source: str, payout_ids) -> dict[int, tuple]:
    """Inferred payout id -> (its last transaction's settlement day, hour, and whether it was
    the last settled transaction of the connection on that day)."""
    rows = PayoutItem.objects.filter(company=company, source=source, payout_id__in=payout_ids).exclude(kind="payout")
    for word in UNSETTLED_WORDS:  # settled ones only (rows.is_unsettled, in SQL)
        rows = rows.exclude(status__icontains=word)
    # Only each payout's last item is read (a year's sweeps hold thousands each: reading them
    # all was 1.3 s of datetimes for one run). Items of the same instant may tie on the
    # external id, in another collation than Python's: either gives the same day and time.
    rows = rows.annotate(day=Coalesce("available_on", TruncDate("occurred_at", tzinfo=dt.UTC)), last=Window(
        RowNumber(), partition_by=[F("payout_id")], order_by=[F("day").desc(), F("occurred_at").desc(),
                                                              F("external_id").desc()])).filter(last=1)
    out = {}
    for pid, day, at in rows.values_list("payout_id", "day", "occurred_at"):
        # Another transaction of that settlement day after it? (an index range of a few hours)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        later = PayoutItem.objects.filter(company=company, occurred_at__gt=at, occurred_at__lt=end, source=source)
        later = later.filter(Q(available_on=day) | Q(available_on__isnull=True)).exclude(kind="payout")
        out[pid] = (day, at.astimezone(dt.UTC).hour, not later.exists())
    return out


def confirmed_deposits(*, company, connection: Connection, since: date | None = None) -> tuple[list, set]:
    """The connection's latest confirmed deposits as the engine's `ConfirmedDeposit`s, and the
    currencies of the bank lines they landed in."""
    matches = tenant_rows(Match, company).filter(status=MatchStatus.APPLIED).filter(
        Q(confidence__gte=CONFIDENT) | ~Q(decided_by=""))
    links = tenant_rows(MatchPayout, company).filter(match__in=matches, payout__source=connection.ref)
    if since is not None:
        links = links.filter(match__bank_transaction__date__gte=since)
    rows = links.order_by("-match__bank_transaction__date", "-match_id").values_list(
        "match_id", "match__bank_transaction__date", "match__bank_transaction__name",
        "match__bank_transaction__merchant_name", "match__bank_transaction__currency", "payout_id",
        "payout__created_on", "payout__arrival_date", "payout__is_inferred")
    by_match: dict[int, list] = {}
    for row in rows[:RECENT * 4]:
        by_match.setdefault(row[0], []).append(row)
    chosen = list(by_match.values())[:RECENT]
    ends = _sweep_ends(company, connection.ref, [r[5] for rs in chosen for r in rs if r[8]])
    out, currencies = [], set()
    for rs in chosen:
        # several payouts in one deposit: the latest one is when it was paid
        _, bank_on, name, merchant, currency, pid, created, arrival, inferred = max(
            rs, key=lambda r: ((r[6].date() if r[6] else r[7]) or date.min, r[5]))
        text = f"{name} {merchant}".strip()
        currencies.add(currency)
        if inferred:
            if pid not in ends:
                continue
            day, hour, aligned = ends[pid]
            out.append(ConfirmedDeposit(connection.ref, bank_on, day, day, text, day_aligned=aligned, hour=hour))
        else:
            paid = created.date() if created else arrival
            if paid is None:
                continue
            out.append(ConfirmedDeposit(connection.ref, bank_on, paid, arrival or paid, text))
    return out, currencies


@transaction.atomic
def learned_behaviour_refresh(*, company, connection_refs=None) -> list[LearnedBehaviour]:
    """Learn again for the company's store connections (or those named): a row is written only
    when something changed, so a re-run over unchanged books writes nothing."""
    connections = tenant_rows(Connection, company).exclude(provider="plaid")
    existing = {lb.connection_id: lb for lb in tenant_rows(LearnedBehaviour, company)}
    changed = []
    for connection in connections:
        if connection_refs is not None and connection.ref not in connection_refs:
            continue
        row = existing.get(connection.pk)
        deposits, currencies = confirmed_deposits(company=company, connection=connection,
                                                  since=row.since if row else None)
        if row is None and not deposits:
            continue
        holidays = holidays_for(currencies=currencies, days=[d for x in deposits for d in (x.paid_on, x.bank_on)])
        lb = learn(connection.ref, deposits, holidays)
        values = {f: getattr(lb, f) for f in FIELDS}
        values["tokens"] = list(lb.tokens)
        row = row or LearnedBehaviour(company=company, connection=connection)
        if row.pk is None or any(getattr(row, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(row, f, v)
            row.updated_at = now()
            row.save()
            changed.append(row)
    return changed


@transaction.atomic
def learned_behaviour_reset(*, connection: Connection) -> LearnedBehaviour:
    """Forget what was learned about a connection; learn again only from deposits from today on."""
    row, _ = LearnedBehaviour.objects.get_or_create(company_id=connection.company_id, connection=connection)
    for f in FIELDS:
        setattr(row, f, LearnedBehaviour._meta.get_field(f).get_default())
    row.tokens, row.since, row.updated_at = [], now().date(), now()
    row.save()
    return row
