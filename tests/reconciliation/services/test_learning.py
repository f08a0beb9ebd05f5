"""Learned per-connection behaviour in the books: learned from confirmed deposits only, read back
into the engine's inputs, reset with the connection, shown on the Connections page."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from connections.models import Connection
from connections.services import connection_disconnect
from reconciliation.models import LearnedBehaviour, MatchStatus
from reconciliation.selectors.inputs import engine_inputs
from reconciliation.selectors.learned import learned_sentences
from reconciliation.services import match_undo, reconcile_company
from reconciliation.services.learning import learned_behaviour_refresh
from tests import factories as F

MONDAY = dt.date(2025, 3, 3)


def _deposit(company, connection, *, paid_on, lands, status=MatchStatus.APPLIED, confidence="0.9700",
             decided_by="", name=None, amount="812.40"):
    payout = F.PayoutFactory(
        company=company, source=connection.ref, amount=Decimal(amount), arrival_date=paid_on,
        created_on=dt.datetime.combine(paid_on, dt.time(9), tzinfo=dt.UTC),
    )
    bank = F.BankTransactionFactory(company=company, amount=Decimal(amount), date=lands,
                                    name=name or f"SHOPIFY PAYMENTS DES:TRANSFER ID:ST-{payout.pk:08d}")
    match = F.MatchFactory(company=company, bank_transaction=bank, status=status,
                           confidence=Decimal(confidence), decided_by=decided_by)
    F.MatchPayoutFactory(company=company, match=match, payout=payout, status=status)
    return match


def _weekly_shop(company, weeks=6):
    shop = F.ConnectionFactory(company=company, platform="SHOPIFY", display_name="Mug shop")
    for k in range(weeks):
        monday = MONDAY + dt.timedelta(weeks=k)
        _deposit(company, shop, paid_on=monday, lands=monday + dt.timedelta(days=2))
    return shop


def test_it_learns_a_weekly_monday_schedule_from_confirmed_deposits_only(alice, bob):
    shop = _weekly_shop(alice.company)
    # not confirmed: a suggestion, a rejection, an undone match, a weak automatic match
    _deposit(alice.company, shop, paid_on=dt.date(2025, 3, 6), lands=dt.date(2025, 3, 13), status="suggested")
    _deposit(alice.company, shop, paid_on=dt.date(2025, 3, 7), lands=dt.date(2025, 3, 14), status="rejected")
    _deposit(alice.company, shop, paid_on=dt.date(2025, 3, 12), lands=dt.date(2025, 3, 20), status="undone")
    _deposit(alice.company, shop, paid_on=dt.date(2025, 3, 13), lands=dt.date(2025, 3, 21), confidence="0.8100")
    # a person's acceptance counts whatever the confidence
    _deposit(alice.company, shop, paid_on=MONDAY + dt.timedelta(weeks=6), lands=MONDAY + dt.timedelta(weeks=6, days=2),
             confidence="0.8100", decided_by="user:ann")
    learned_behaviour_refresh(company=alice.company)
    row = LearnedBehaviour.objects.get(connection=shop)
    assert (row.deposits, row.cadence, row.weekday, row.lag_days) == (7, "weekly", 0, 2)
    assert row.tokens == ["SHOPIFY", "PAYMENTS", "DES", "TRANSFER"]
    assert learned_sentences(company=alice.company)[shop.pk] == (
        "Learned: paid out weekly on Mondays, lands +2 business days, the bank writes SHOPIFY PAYMENTS DES "
        "TRANSFER (from 7 deposits)")
    assert not LearnedBehaviour.objects.filter(company=bob.company).exists()
    # read back into the engine's inputs as plain data
    (lb,) = engine_inputs(company=alice.company).learned
    assert (lb.connection_ref, lb.cadence, lb.weekday, lb.lag_days) == (shop.ref, "weekly", 0, 2)
    # learning again over the same books writes nothing
    assert learned_behaviour_refresh(company=alice.company) == []


def test_it_counts_business_days_on_the_federal_reserve_calendar(alice):
    shop = F.ConnectionFactory(company=alice.company, platform="SHOPIFY")
    fridays = [dt.date(2025, 1, 3), dt.date(2025, 1, 10), dt.date(2025, 1, 17), dt.date(2025, 1, 24),
               dt.date(2025, 1, 31)]
    for friday in fridays:
        # +2 business days is a Tuesday, but Monday Jan 20 is MLK Day: that one lands Wednesday
        lands = dt.date(2025, 1, 22) if friday == dt.date(2025, 1, 17) else friday + dt.timedelta(days=4)
        _deposit(alice.company, shop, paid_on=friday, lands=lands)
    learned_behaviour_refresh(company=alice.company)
    row = LearnedBehaviour.objects.get(connection=shop)
    assert (row.cadence, row.weekday, row.lag_days, row.lag_samples) == ("weekly", 4, 2, 5)


def test_it_is_still_learning_with_few_deposits(alice):
    shop = F.ConnectionFactory(company=alice.company, platform="SHOPIFY")
    for k in range(2):
        _deposit(alice.company, shop, paid_on=MONDAY + dt.timedelta(weeks=k), lands=MONDAY + dt.timedelta(weeks=k, days=2))
    learned_behaviour_refresh(company=alice.company)
    assert learned_sentences(company=alice.company)[shop.pk] == "Still learning (2 deposits)"


def test_it_resets_when_the_connection_is_disconnected_relinked_or_deleted(alice):
    from connections.services.linking import _connection_save

    shop = _weekly_shop(alice.company)
    learned_behaviour_refresh(company=alice.company)
    assert LearnedBehaviour.objects.get(connection=shop).cadence == "weekly"

    connection_disconnect(connection=shop)
    row = LearnedBehaviour.objects.get(connection=shop)
    assert (row.deposits, row.cadence, row.lag_days, row.tokens, row.since) == (0, "", None, [], timezone.now().date())
    learned_behaviour_refresh(company=alice.company)  # the old deposits predate the reset
    assert learned_sentences(company=alice.company)[shop.pk] == "Still learning (0 deposits)"

    LearnedBehaviour.objects.filter(connection=shop).update(cadence="weekly", deposits=6, since=None)
    _connection_save(company=alice.company, provider="rutter", external_id=shop.external_id, platform="SHOPIFY",
                     display_name="Mug shop", access_token="tok", status="pending_initial_sync")
    assert LearnedBehaviour.objects.get(connection=shop).cadence == ""

    Connection.objects.filter(pk=shop.pk).delete()
    assert not LearnedBehaviour.objects.filter(company=alice.company).exists()


def test_a_run_and_a_persons_decision_update_what_was_learned(synced_world):
    company = synced_world()
    reconcile_company(company=company)
    learned = {row.connection.ref: row.deposits for row in LearnedBehaviour.objects.filter(company=company)}
    assert learned and all(n >= 1 for n in learned.values())
    match = next(m for m in company_matches(company) if m.match_payouts.exists())
    source = match.match_payouts.first().payout.source
    before = learned[source]
    match_undo(match=match, by="user:ann", reason="wrong")
    assert LearnedBehaviour.objects.get(company=company, connection__external_id=source.split(":", 1)[1]).deposits \
        == before - 1


def company_matches(company):
    from reconciliation.models import Match

    return Match.objects.filter(company=company, status=MatchStatus.APPLIED, confidence__gte=Decimal("0.9"))



def test_it_learns_the_boundary_and_lag_of_inferred_sweeps(alice):
    etsy = F.ConnectionFactory(company=alice.company, platform="ETSY", display_name="Etsy shop")
    days = [dt.date(2025, 3, 3) + dt.timedelta(days=k) for k in range(5)]  # Monday to Friday
    for day in days:
        at = [dt.datetime.combine(day, dt.time(h), tzinfo=dt.UTC) for h in (10, 15)]
        payout = F.PayoutFactory(company=alice.company, source=etsy.ref, platform="ETSY", is_inferred=True,
                                 amount=Decimal("94.14"), arrival_date=day + dt.timedelta(days=3), created_on=None)
        for when in at:
            F.PayoutItemFactory(company=alice.company, source=etsy.ref, payout=payout, occurred_at=when,
                                amount=Decimal("50.00"), fee=Decimal("2.93"))
        bank = F.BankTransactionFactory(company=alice.company, amount=Decimal("94.14"), name="ETSY INC DES:DEPOSIT",
                                        date=day + dt.timedelta(days=7))
        match = F.MatchFactory(company=alice.company, bank_transaction=bank, status="applied", is_inferred=True,
                               inferred_connection=etsy.ref, confidence=Decimal("0.9500"))
        F.MatchPayoutFactory(company=alice.company, match=match, payout=payout)
    # an open transaction on the last day, after that day's sweep: the sweeps are still day-aligned
    # (the cut-off is the day's end), except that last one, which now ends inside its day
    F.PayoutItemFactory(company=alice.company, source=etsy.ref, payout=None,
                        occurred_at=dt.datetime(2025, 3, 7, 18, tzinfo=dt.UTC))
    learned_behaviour_refresh(company=alice.company)
    row = LearnedBehaviour.objects.get(connection=etsy)
    assert (row.deposits, row.cadence, row.lag_days) == (5, "daily", 5)
    assert (row.boundary, row.boundary_samples) == ("day", 5)
    assert learned_sentences(company=alice.company)[etsy.pk] == (
        "Learned: swept every business day, lands +5 business days, each sweep ends with a day's last "
        "transaction, the bank writes ETSY INC DES DEPOSIT (from 5 deposits)")
