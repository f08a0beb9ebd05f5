"""The database, read as the engine's plain inputs (streamed: a million items stay cheap)."""

from django.db.models import Min, Sum

from companies.scoping import scoped, tenant_rows
from connections.models import Connection
from ledger.models import (
    BankTransaction,
    BankTransactionStatus,
    Invoice,
    Payout,
    PayoutItem,
    bank_transaction_ref,
)
from ledger.money import quantize
from ledger.platforms import descriptor_keywords, fee_cards, has_payout_objects, supports
from reconciliation import engine as E
from reconciliation.models import FeeSchedule, Match, MatchPayout, MatchStatus
from reconciliation.reference import with_reference_data
from reconciliation.rows import (
    ITEM_FIELDS,
    ORDER_FIELDS,
    ORDER_TYPES,
    invoice_order_items,
    kind_total,
    platform_item,
)
from reconciliation.selectors.learned import learned_for_engine

CHUNK = 20_000
def _connections(company) -> tuple[E.Connection, ...]:
    rows = tenant_rows(Connection, company).exclude(provider="plaid")
    return tuple(
        E.Connection(
            ref=c.ref, platform=(c.platform or c.provider).upper(),
            has_payout_objects=has_payout_objects(c.platform or c.provider),
            orders_only=not supports(c.platform or c.provider, "transactions"),
        )
        for c in rows
    )


def _orders(company, connections) -> tuple[E.PlatformItem, ...]:
    """Orders of orders-only stores (synced as invoices) as sale / refund items, except those a
    booked sweep already turned into payout items (the items are read instead)."""
    sources = [c.ref for c in connections if c.orders_only]
    if not sources:
        return ()
    booked = {f"{s}:{e}" for s, e in tenant_rows(PayoutItem, company).filter(
        source__in=sources, provider_type__in=ORDER_TYPES).values_list("source", "external_id")}
    rows = tenant_rows(Invoice, company).filter(source__in=sources).values_list("source", *ORDER_FIELDS)
    return tuple(
        item for source, *row in rows.iterator(CHUNK)
        for item in invoice_order_items(source, tuple(row))
        if item.ref not in booked
    )


def _fee_schedules(company) -> tuple[E.FeeSchedule, ...]:
    return tuple(
        E.FeeSchedule(connection_ref=s.connection.ref, rate=s.rate, fixed=s.fixed, rounding=s.rounding,
                      currency=s.currency, source=s.source, confirmed=s.confirmed, extra_rate=s.extra_rate)
        for s in tenant_rows(FeeSchedule, company).select_related("connection")
    )


def _settled(company):
    """Explicit payouts already tied to a deposit, and those deposits: decided for good.

    Left out of the engine's inputs so a run reads only what is still open (re-runs stay cheap
    at a million transactions). Applied inferred matches stay in: their windows are evidence for
    the next ones.
    """
    applied = tenant_rows(Match, company).filter(status=MatchStatus.APPLIED, is_inferred=False)
    payouts = tenant_rows(MatchPayout, company).filter(match__in=applied).values("payout_id")
    return payouts, applied.values("bank_transaction_id"), applied


def _payouts(company, settled) -> tuple[E.Payout, ...]:
    rows = tenant_rows(Payout, company).filter(is_inferred=False).exclude(pk__in=settled).values_list(
        "source", "external_id", "platform", "amount", "currency", "created_on", "arrival_date",
        "status", "platform_id", "trace_id",
    )
    out = []
    for source, ext, platform, amount, currency, created, arrival, status, platform_id, trace in rows.iterator(CHUNK):
        created_on = created.date() if created else arrival
        out.append(E.Payout(
            ref=f"{source}:{ext}", connection_ref=source, platform=platform.upper(),
            amount=quantize(amount, currency), currency=currency,
            created_on=created_on or arrival, arrival_on=arrival, status=status,
            identifiers=tuple(x for x in (ext, platform_id, trace) if x),
        ))
    return tuple(out)


def _items(queryset, platforms: dict[str, str]) -> tuple[E.PlatformItem, ...]:
    # Unordered: the engine is order-independent, and sorting a million rows costs seconds.
    rows = queryset.order_by().values_list(*ITEM_FIELDS).iterator(CHUNK)
    return tuple(platform_item(row, platforms) for row in rows)


def _payout_totals(company, items, platforms: dict[str, str]) -> tuple[E.PlatformItem, ...]:
    """Items of payouts that exist as objects matter to the engine only as those payouts'
    breakdowns: one total per (payout, kind, currency), summed in SQL, instead of every row.

    Grouped on the items' own columns (no join: the payouts' external ids and kinds come from a
    small query), and fetched in one go rather than through a server-side cursor: a cursor is
    planned for its first rows, which without fresh statistics made this a nested loop over
    every (item, payout) pair.
    """
    explicit = dict(
        tenant_rows(Payout, company).filter(is_inferred=False).values_list("pk", "external_id")
    )
    rows = (
        items.filter(payout__isnull=False)
        .values_list("source", "payout_id", "kind", "currency")
        .annotate(gross=Sum("amount"), fee=Sum("fee"), net=Sum("net"), first=Min("occurred_at"))
        .order_by()
    )
    totals = []
    for source, payout_id, kind, currency, gross, fee, net, first in rows:
        if payout_id not in explicit:
            continue  # an inferred payout's items: locked by its applied match, not read here
        payout_ref = f"{source}:{explicit[payout_id]}"
        totals.append(kind_total(
            ref=f"{payout_ref}#{kind}:{currency}", source=source, payout_ref=payout_ref,
            kind=kind, currency=currency, gross=gross, fee=fee, net=net,
            day=first.date(), platform=platforms.get(source, ""),
        ))
    return tuple(totals)


def _bank_lines(company, settled) -> tuple[E.BankLine, ...]:
    rows = tenant_rows(BankTransaction, company).exclude(pk__in=settled).exclude(
        status=BankTransactionStatus.CATEGORIZED).values_list(
        "source", "external_id", "bank_account__source", "bank_account__external_id", "date",
        "amount", "currency", "name", "merchant_name", "pending",
    )
    return tuple(
        E.BankLine(
            ref=bank_transaction_ref(source, ext), account_ref=f"{acc_source}:{acc_ext}", date=day,
            amount=quantize(amount, currency), currency=currency, description=name,
            merchant_name=merchant, pending=pending,
        )
        for source, ext, acc_source, acc_ext, day, amount, currency, name, merchant, pending
        in rows.iterator(CHUNK)
    )


def _priors(company, settled_matches) -> tuple[E.PriorDecision, ...]:
    """Applied, manual and rejected decisions: the engine respects them on every run. A match a
    person undid is a rejection of that answer: the next run must not apply it again."""
    matches = tenant_rows(Match, company).filter(
        status__in=[MatchStatus.APPLIED, MatchStatus.REJECTED, MatchStatus.UNDONE]
    ).exclude(pk__in=settled_matches.values("pk"))
    payout_refs: dict[int, list[str]] = {}
    for match_id, source, ext in tenant_rows(MatchPayout, company).filter(
        match__in=matches, payout__is_inferred=False
    ).values_list("match_id", "payout__source", "payout__external_id"):
        payout_refs.setdefault(match_id, []).append(f"{source}:{ext}")
    priors = []
    for (match_id, status, created_by, confidence, is_inferred, connection, items, bank_source,
         bank_ext) in matches.values_list(
        "id", "status", "created_by", "confidence", "is_inferred", "inferred_connection",
        "inferred_items", "bank_transaction__source", "bank_transaction__external_id",
    ):
        if status in (MatchStatus.REJECTED, MatchStatus.UNDONE):
            state = "rejected"
        else:
            state = "applied" if created_by == "engine" else "manual"
        priors.append(E.PriorDecision(
            bank_ref=bank_transaction_ref(bank_source, bank_ext), state=state,
            payout_refs=tuple(sorted(payout_refs.get(match_id, []))),
            inferred=E.InferredGroup(connection_ref=connection, item_refs=tuple(sorted(items)))
            if is_inferred else None,
            confidence=float(confidence),
        ))
    return tuple(priors)


@scoped
def engine_inputs(*, company, settings: E.Settings | None = None) -> E.Inputs:
    """What is still open in the books, as the engine's inputs (see `_settled`)."""
    connections = _connections(company)
    platforms = {c.ref: c.platform for c in connections}
    settled_payouts, settled_banks, settled_matches = _settled(company)
    open_items = tenant_rows(PayoutItem, company).exclude(payout_id__in=settled_payouts)
    # Individual transactions only where deposits are inferred from them; elsewhere, payout totals.
    inferred = [c.ref for c in connections if not c.has_payout_objects]
    items = _items(open_items.filter(source__in=inferred), platforms) + _payout_totals(
        company, open_items.exclude(source__in=inferred), platforms
    )
    bank_lines, payouts = _bank_lines(company, settled_banks), _payouts(company, settled_payouts)
    return with_reference_data(E.Inputs(
        bank_lines=bank_lines, connections=connections, payouts=payouts, items=items,
        prior=_priors(company, settled_matches), settings=settings or E.Settings(),
        platform_keywords=descriptor_keywords(), orders=_orders(company, connections),
        fee_schedules=_fee_schedules(company), fee_cards=fee_cards(),
        learned=learned_for_engine(company=company),
    ))
