"""One reconciliation run for a company: engine decisions turned into matches and bookings.

Idempotent and incremental: applied, manual and rejected decisions go back into the engine as
priors, settled payouts are not settled again, unchanged suggestions are kept, and a run over
unchanged data changes nothing.
"""

import gc
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils.timezone import now

from companies.models import Company
from ledger.models import BankTransaction, Payout
from ledger.services.rollups import rollups_refresh_on_commit
from ledger.services.settlement import payout_breakdowns_save
from reconciliation import engine as E
from reconciliation.models import Match, MatchStatus, ReconciliationRun
from reconciliation.selectors.inputs import engine_inputs
from reconciliation.services.alongside import alongside, snapshot_reader
from reconciliation.services.booking import fx_difference, items_book
from reconciliation.services.categories import category_rules_apply
from reconciliation.services.fee_schedules import (
    confirmed_orders_accrue,
    fee_schedules_from_run,
    schedule_json,
)
from reconciliation.services.learning import learned_behaviour_refresh
from reconciliation.services.matches import (
    BREAKDOWN_FIELDS,
    bank_status_refresh,
    match_build,
    matches_book,
    matches_create,
    payout_breakdown_store,
)

MAX_ALTERNATIVES = 3


def _ref_index(rows, *, key=lambda r: f"{r.source}:{r.external_id}"):
    return {key(r): r for r in rows}


def _store_breakdowns(company, result: E.Result, payouts: dict[str, Payout]) -> list:
    changed = []
    for b in result.breakdowns:
        payout = payouts.get(b.payout_ref)
        if payout is None:
            continue
        before = [getattr(payout, f) for f in BREAKDOWN_FIELDS]
        payout_breakdown_store(payout, b)
        if [getattr(payout, f) for f in BREAKDOWN_FIELDS] != before:
            changed.append(payout)
    payout_breakdowns_save(payouts=changed, fields=BREAKDOWN_FIELDS)
    return changed


def _answers(decision: E.Decision) -> list[tuple[tuple[str, ...], E.InferredGroup | None]]:
    if decision.status == "ambiguous":
        return [(tuple(alt), None) for alt in decision.alternatives[:MAX_ALTERNATIVES]]
    return [(decision.payout_refs, decision.inferred)]


def _same_answer(match: Match, payout_refs, inferred, refs_of) -> bool:
    if inferred is not None:
        return match.is_inferred and sorted(match.inferred_items) == sorted(inferred.item_refs)
    return not match.is_inferred and sorted(refs_of.get(match.pk, [])) == sorted(payout_refs)


@transaction.atomic
def _apply_decisions(company, run, result: E.Result, banks, payouts, by: str) -> dict:
    suggested = list(Match.objects.filter(company=company, status=MatchStatus.SUGGESTED))
    refs_of: dict[int, list[str]] = {}
    for match_id, source, ext in Match.payouts.through.objects.filter(match__in=suggested).values_list(
        "match_id", "payout__source", "payout__external_id"
    ):
        refs_of.setdefault(match_id, []).append(f"{source}:{ext}")
    open_suggestions: dict[int, list[Match]] = {}
    for match in suggested:
        open_suggestions.setdefault(match.bank_transaction_id, []).append(match)

    new, touched, stale, counts = [], set(), [], {"applied": 0, "suggested": 0}
    for decision in result.decisions:
        bank = banks.get(decision.bank_ref)
        if bank is None or decision.locked:
            continue
        existing = open_suggestions.pop(bank.pk, [])
        if decision.status not in ("matched", "suggested", "ambiguous"):
            stale += existing
            continue
        status = MatchStatus.APPLIED if decision.status == "matched" else MatchStatus.SUGGESTED
        for payout_refs, inferred in _answers(decision):
            keep = next((m for m in existing if status == MatchStatus.SUGGESTED and _same_answer(m, payout_refs, inferred, refs_of)), None)
            if keep is not None:
                existing.remove(keep)
                continue
            reasons = list(decision.reasons)
            if decision.status == "ambiguous":
                reasons.append(f"Ambiguous: {len(decision.alternatives)} answers fit equally well; confirm by hand.")
            new.append((match_build(
                company=company, bank_transaction=bank, status=status, confidence=decision.confidence,
                reasons=reasons, inferred=inferred, fx_difference=fx_difference(decision.fx),
                engine_version=result.engine_version, run=run,
                fee_schedule=schedule_json(decision.fee_schedule) if inferred is not None else None,
            ), [payouts[r] for r in payout_refs if r in payouts]))
            counts[status] = counts.get(status, 0) + 1
            touched.add(bank.pk)
        stale += existing  # this line's suggestions that are no longer an answer
    for matches in open_suggestions.values():
        stale += matches
    if stale:
        touched.update(m.bank_transaction_id for m in stale)
        Match.objects.filter(pk__in=[m.pk for m in stale]).delete()  # unbooked, superseded suggestions
    created = matches_create(company=company, matches=new)
    to_book = [match for match in created if match.status == MatchStatus.APPLIED]
    if to_book:
        matches_book(company=company, matches=to_book, by=by)
    bank_status_refresh(company=company, bank_ids=touched)
    counts["stale_suggestions_removed"] = len(stale)
    return counts


def reconciliation_runs_reap(*, company=None) -> int:
    """Mark failed the runs that died. A run is one transaction, bounded by the task timeout, so one
    still "running" RUN_STALE_SECONDS after it started is a run whose worker was killed (its
    transaction rolled back: nothing of it was booked)."""
    stale = now() - timedelta(seconds=settings.RUN_STALE_SECONDS)
    runs = ReconciliationRun.objects.filter(status=ReconciliationRun.Status.RUNNING, started_at__lt=stale)
    if company is not None:
        runs = runs.filter(company=company)
    return runs.update(status=ReconciliationRun.Status.FAILED, finished_at=now(),
                       error="the run stopped without finishing (its worker died); nothing of it was booked")


def _work_mem() -> None:
    """PostgreSQL: this transaction's sorts and hashes get RECONCILE_WORK_MEM (see settings)."""
    if connection.vendor == "postgresql" and settings.RECONCILE_WORK_MEM:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.RECONCILE_WORK_MEM])


@contextmanager
def _few_collections():
    """Reading the books and the engine allocate millions of small objects that live the whole
    run: the garbage collector's full passes traversed all of them again and again (a realistic
    year: ~5 s of a 40 s engine, ~0.7 s of a 6 s read). What exists is frozen out of its passes
    (gc.freeze; the caller freezes again once the books are read) and young objects are
    collected less often; both are set back after."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def reconcile_company(*, company, by: str = "system") -> ReconciliationRun:
    """Run the engine over the company's books and apply what it decided.

    One run at a time per company: the run holds a lock on the company row from reading the books
    to booking the decisions, so two runs (say, after two webhooks) never book the same snapshot.
    """
    reconciliation_runs_reap(company=company)
    run = ReconciliationRun.objects.create(company=company, engine_version=E.ENGINE_VERSION, triggered_by=by)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            _work_mem()
            Company.objects.select_for_update().filter(pk=company.pk).first()
            with _few_collections(), snapshot_reader() as reader:
                if reader is None:  # the books are read first, then booked beside the engine
                    inputs = engine_inputs(company=company)
                with alongside(items_book, company=company, by="engine") as booking:
                    if reader is not None:  # read in this snapshot while the booking starts
                        with reader():
                            inputs = engine_inputs(company=company)
                    loaded = time.perf_counter()
                    gc.freeze()  # the books just read live as long as the run
                    result = E.reconcile(inputs)  # no database here: the booking has the connection
                    engine_done = time.perf_counter()
            booked = booking.result()
            decided = time.perf_counter()
            payouts = _ref_index(Payout.objects.filter(company=company, is_inferred=False))
            banks = _ref_index(
                BankTransaction.objects.filter(company=company).select_related("bank_account__ledger_account"),
                key=lambda bank: bank.ref,
            )
            _store_breakdowns(company, result, payouts)
            # A store whose schedule this run confirmed has every paid order booked now, its
            # sweeps' with them (one pass: the sweeps find their orders booked already).
            fee_schedules_from_run(company=company, result=result)
            if confirmed_orders_accrue(company=company):
                items_book(company=company, by="engine")
            counts = _apply_decisions(company, run, result, banks, payouts, by="engine")
            counts["categorized_by_rules"] = category_rules_apply(company=company)
            counts["learned_updated"] = len(learned_behaviour_refresh(company=company))
            rollups_refresh_on_commit(company=company)
    except Exception as exc:
        run.status, run.error, run.finished_at = ReconciliationRun.Status.FAILED, repr(exc)[:2000], now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status, run.finished_at = ReconciliationRun.Status.SUCCEEDED, now()
    run.stats = {
        **counts, "items_booked": booked, "bank_lines": len(inputs.bank_lines),
        "payouts": len(inputs.payouts), "items": len(inputs.items),
        # The settled items are booked while the engine runs (services/alongside.py): "engine"
        # is the engine's time, "booking_after_engine" how long the booking outlasted it.
        "seconds": {"load": round(loaded - started, 3), "engine": round(engine_done - loaded, 3),
                    "booking": round(booking.seconds, 3), "booking_after_engine": round(decided - engine_done, 3),
                    "apply": round(time.perf_counter() - decided, 3)},
    }
    run.save(update_fields=["status", "finished_at", "stats"])
    return run
