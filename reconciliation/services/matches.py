"""The life of a match: applied (booked), suggested, rejected, undone — each recorded with who,
when, why and the engine version."""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.timezone import now

from ledger.models import BankTransaction, BankTransactionStatus, Payout, PayoutItem, PayoutStatus
from ledger.services import journal_entries_post_many
from ledger.services.rollups import rollups_refresh_on_commit
from ledger.services.settlement import (
    bank_transactions_status_set,
    inferred_payout_cancel,
    inferred_payouts_create,
)
from reconciliation import engine as E
from reconciliation.engine.breakdown import breakdown_of
from reconciliation.models import Categorization, Match, MatchPayout, MatchStatus
from reconciliation.rows import MONEY_FIELDS, item_money
from reconciliation.services.booking import Books, deposit_spec, items_book, match_entries_reverse
from reconciliation.services.errors import ReconciliationError
from reconciliation.services.fee_schedules import (
    match_fee_schedule_confirm,
    order_items_materialize,
)
from reconciliation.services.learning import learned_behaviour_refresh

ACTIVE = (MatchStatus.SUGGESTED, MatchStatus.APPLIED)


def match_build(
    *, company, bank_transaction: BankTransaction, status: str, confidence: Decimal | float = 1,
    reasons: Sequence[str] = (), inferred: E.InferredGroup | None = None,
    fx_difference: Decimal = Decimal(0), engine_version: str = "", run=None, created_by: str = "engine",
    fee_schedule: dict | None = None,
) -> Match:
    """An unsaved match (save many at once with `matches_create`)."""
    return Match(
        company=company, bank_transaction=bank_transaction, status=status,
        confidence=Decimal(str(round(float(confidence), 4))), reasons=list(reasons),
        is_inferred=inferred is not None,
        inferred_connection=inferred.connection_ref if inferred else "",
        inferred_items=list(inferred.item_refs) if inferred else [],
        fx_difference=fx_difference, engine_version=engine_version, run=run, created_by=created_by,
        fee_schedule=fee_schedule or {},
    )


def matches_create(*, company, matches: Sequence[tuple[Match, Sequence[Payout]]]) -> list[Match]:
    """Save built matches with their payout links in two statements."""
    created = Match.objects.bulk_create([match for match, _ in matches])
    MatchPayout.objects.bulk_create([
        MatchPayout(company=company, match=match, payout=payout, status=match.status)
        for match, (_, payouts) in zip(created, matches, strict=True) for payout in payouts
    ])
    return created


def match_create(*, company, bank_transaction: BankTransaction, status: str, payouts: Sequence[Payout] = (), **fields) -> Match:
    match = match_build(company=company, bank_transaction=bank_transaction, status=status, **fields)
    return matches_create(company=company, matches=[(match, payouts)])[0]


FEW_ITEMS = 5000


def _inferred_payouts(books: Books, matches: Sequence[Match]) -> None:
    """Materialise the inferred payouts of applied matches and attach their items (in bulk)."""
    matches = [m for m in matches if m.is_inferred]
    if not matches:
        return
    wanted = {ref: m for m in matches for ref in m.inferred_items}
    rows = {}
    for source in {m.inferred_connection for m in matches}:
        ids = [ref.split(":", 2)[-1] for ref, m in wanted.items() if m.inferred_connection == source]
        free = PayoutItem.objects.filter(company=books.company, source=source, payout__isnull=True)
        # A few items: looked up by id. A run's worth (a year's sweeps): the connection's free
        # items read once, not as IN lists of thousands of ids (slower to bind and plan than to read).
        pages = [free.filter(external_id__in=ids[s:s + 5000]) for s in range(0, len(ids), 5000)] \
            if len(ids) <= FEW_ITEMS else [free]
        for page in pages:
            for row in page.values_list(*MONEY_FIELDS):
                if f"{source}:{row[1]}" in wanted:
                    pk, money = item_money(source, row, books.platforms)
                    rows[money.ref] = (pk, money)
    if missing := [ref for ref in wanted if ref not in rows]:
        raise ReconciliationError("items_unavailable", f"Transactions already paid out or gone: {', '.join(missing[:5])}.")
    payouts = []
    for match in matches:
        items = [rows[ref][1] for ref in match.inferred_items]
        currency = items[0].currency if items else match.bank_transaction.currency
        payout = Payout(
            company=books.company, source=match.inferred_connection, platform=books.platform_of(match.inferred_connection),
            external_id=f"inferred-{match.bank_transaction.external_id}-{match.pk}", status=PayoutStatus.PAID,
            currency=currency, amount=sum((i.net for i in items), Decimal(0)),
            arrival_date=match.bank_transaction.date, is_inferred=True,
        )
        payout_breakdown_store(payout, breakdown_of(
            payout_ref=payout.ref, connection_ref=payout.source, currency=currency, amount=payout.amount,
            items=items, inferred=True,
        ))
        payouts.append(payout)
    inferred_payouts_create(payouts=payouts, items=[
        (rows[ref][0], payout) for match, payout in zip(matches, payouts, strict=True) for ref in match.inferred_items
    ])
    MatchPayout.objects.bulk_create([
        MatchPayout(company=books.company, match=match, payout=payout, status=match.status)
        for match, payout in zip(matches, payouts, strict=True)
    ])


def matches_book(*, company, matches: Sequence[Match], by: str) -> None:
    """Book applied matches in bulk: one deposit entry each (bank ← clearing).

    The items behind the payouts were booked into clearing when they settled (`items_book`), so a
    match books only the transfer; an inferred match first groups its items into a payout row.
    """
    books = Books(company)
    order_items_materialize(company=company, matches=matches)  # orders-only sweeps: priced orders
    items_book(company=company, by=by)  # anything settled since the last run, before it moves
    _inferred_payouts(books, matches)
    links = {}
    for link in MatchPayout.objects.filter(match__in=matches).select_related("payout"):
        links.setdefault(link.match_id, []).append(link.payout)
    specs = [deposit_spec(books=books, match=m, bank_transaction=m.bank_transaction, payouts=links.get(m.pk, []), by=by)
             for m in matches]
    journal_entries_post_many(company=company, entries=[spec for spec in specs if spec is not None])


BREAKDOWN_FIELDS = ["gross", "fees", "refunds", "other", "items_net", "balanced"]


def payout_breakdown_store(payout: Payout, b: E.Breakdown) -> None:
    payout.gross, payout.fees, payout.refunds, payout.other = b.gross, b.fees, b.refunds, b.other
    payout.items_net, payout.balanced = b.net, b.balanced


def bank_status_refresh(*, company, bank_ids) -> None:
    """A bank line is reconciled with an applied match, suggested with a suggestion, else neither."""
    # A categorized line (not platform money) keeps its status: no match decides it.
    categorized = set(Categorization.objects.filter(bank_transaction_id__in=list(bank_ids), undone_at__isnull=True)
                      .values_list("bank_transaction_id", flat=True))
    ids = [pk for pk in bank_ids if pk not in categorized]
    active = dict(Match.objects.filter(company=company, bank_transaction_id__in=ids, status__in=ACTIVE)
                  .order_by("status").values_list("bank_transaction_id", "status"))  # "applied" < "suggested"
    groups = {BankTransactionStatus.RECONCILED: [], BankTransactionStatus.SUGGESTED: [], BankTransactionStatus.UNRECONCILED: []}
    for bank_id in ids:
        status = active.get(bank_id)
        key = (BankTransactionStatus.RECONCILED if status == MatchStatus.APPLIED else
               BankTransactionStatus.SUGGESTED if status == MatchStatus.SUGGESTED else BankTransactionStatus.UNRECONCILED)
        groups[key].append(bank_id)
    for status, members in groups.items():
        bank_transactions_status_set(company=company, ids=members, status=status)
    rollups_refresh_on_commit(company=company)


def _learn_from(match: Match) -> None:
    """A person's decision changed which deposits are confirmed: learn again for its store(s)."""
    refs = set(MatchPayout.objects.filter(match=match).values_list("payout__source", flat=True))
    refs.update([match.inferred_connection] if match.inferred_connection else [])
    learned_behaviour_refresh(company=match.company, connection_refs=refs)


def _locked_bank(match: Match) -> BankTransaction:
    return BankTransaction.objects.select_for_update(of=("self",)).select_related("bank_account").get(pk=match.bank_transaction_id)


def _check_bookable(company, bank: BankTransaction, payouts: Sequence[Payout]) -> None:
    if bank.pending:
        raise ReconciliationError("pending_bank_line", "Pending bank lines cannot be matched until they post.")
    if Match.objects.filter(bank_transaction=bank, status=MatchStatus.APPLIED).exists():
        raise ReconciliationError("bank_line_matched", "This bank line is already matched. Unmatch it first.")
    taken = MatchPayout.objects.filter(payout__in=payouts, status=MatchStatus.APPLIED).values_list("payout__external_id", flat=True)
    if taken:
        raise ReconciliationError("payout_matched", f"Payout(s) already matched to another deposit: {', '.join(taken)}.")
    if any(p.company_id != company.pk for p in payouts):
        raise ReconciliationError("not_found", "Payout not found.")


@transaction.atomic
def match_accept(*, match: Match, by: str) -> Match:
    """A person confirms a suggestion: it is applied and booked."""
    bank = _locked_bank(match)
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.status != MatchStatus.SUGGESTED:
        raise ReconciliationError("not_suggested", f"Only suggestions can be accepted; this match is {match.status}.")
    _check_bookable(match.company, bank, [link.payout for link in match.match_payouts.select_related("payout")])
    Match.objects.filter(bank_transaction=bank, status=MatchStatus.SUGGESTED).exclude(pk=match.pk).delete()
    match.status, match.decided_by, match.decided_at = MatchStatus.APPLIED, by, now()
    match.save(update_fields=["status", "decided_by", "decided_at"])
    match.match_payouts.update(status=MatchStatus.APPLIED)
    match.bank_transaction = bank
    matches_book(company=match.company, matches=[match], by=by)
    match_fee_schedule_confirm(match=match, by=by)
    bank_status_refresh(company=match.company, bank_ids=[bank.pk])
    _learn_from(match)
    return match


@transaction.atomic
def match_reject(*, match: Match, by: str, reason: str = "") -> Match:
    """A person says no: the suggestion is kept as rejected and never proposed again."""
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.status != MatchStatus.SUGGESTED:
        raise ReconciliationError("not_suggested", f"Only suggestions can be rejected; this match is {match.status}.")
    match.status, match.decided_by, match.decided_at, match.note = MatchStatus.REJECTED, by, now(), reason[:500]
    match.save(update_fields=["status", "decided_by", "decided_at", "note"])
    match.match_payouts.update(status=MatchStatus.REJECTED)
    bank_status_refresh(company=match.company, bank_ids=[match.bank_transaction_id])
    return match


@transaction.atomic
def match_undo(*, match: Match, by: str, reason: str = "") -> Match:
    """Unmatch: reversal entries for everything the match booked; nothing is deleted."""
    _locked_bank(match)
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.status != MatchStatus.APPLIED:
        raise ReconciliationError("not_applied", f"Only applied matches can be undone; this match is {match.status}.")
    match_entries_reverse(match=match, by=by, reason=reason or "unmatched")
    match.status, match.undone_by, match.undone_at, match.note = MatchStatus.UNDONE, by, now(), reason[:500]
    match.save(update_fields=["status", "undone_by", "undone_at", "note"])
    match.match_payouts.update(status=MatchStatus.UNDONE)
    # An inferred payout was only this match's grouping: its items are free for another deposit.
    for payout in Payout.objects.filter(match_links__match=match, is_inferred=True):
        inferred_payout_cancel(payout=payout)
    bank_status_refresh(company=match.company, bank_ids=[match.bank_transaction_id])
    _learn_from(match)
    return match


@transaction.atomic
def match_manual(*, company, bank_transaction: BankTransaction, payouts: Sequence[Payout], by: str, note: str = "") -> Match:
    """A person ties a bank line to payout(s) by hand; amounts must agree (or be a conversion)."""
    if bank_transaction.company_id != company.pk:
        raise ReconciliationError("not_found", "Bank transaction not found.")
    if not payouts:
        raise ReconciliationError("no_payouts", "Choose at least one payout.")
    bank = _locked_bank(Match(bank_transaction_id=bank_transaction.pk))
    _check_bookable(company, bank, payouts)
    same_currency = {p.currency for p in payouts} == {bank.currency}
    total = sum((p.amount for p in payouts), Decimal(0))
    if same_currency and total != bank.amount:
        raise ReconciliationError(
            "amount_mismatch", f"The payouts total {total} {bank.currency} but the bank line is {bank.amount}."
        )
    Match.objects.filter(bank_transaction=bank, status=MatchStatus.SUGGESTED).delete()
    match = match_create(
        company=company, bank_transaction=bank, status=MatchStatus.APPLIED, payouts=payouts,
        confidence=1, reasons=[f"matched by hand by {by}"] + ([note] if note else []),
        created_by=by, engine_version="manual",
    )
    match.decided_by, match.decided_at, match.note = by, now(), note[:500]
    match.save(update_fields=["decided_by", "decided_at", "note"])
    matches_book(company=company, matches=[match], by=by)
    bank_status_refresh(company=company, bank_ids=[bank.pk])
    _learn_from(match)
    return match
