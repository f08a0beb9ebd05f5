"""Review actions go through reconciliation.services and update the page in place."""

from decimal import Decimal

from ledger.models import BankTransaction, JournalEntry
from reconciliation.models import Match, MatchStatus
from tests import factories as F
from tests.dashboard.conftest import deposit_with_payout, headers, url


def _suggestion(company):
    return deposit_with_payout(company, status=MatchStatus.SUGGESTED)


def test_it_lists_suggestions_with_confidence_and_reasons(client, alice, bob):
    _, _, mine = _suggestion(alice.company)
    _, _, theirs = _suggestion(bob.company)
    response = client.get(url(alice.company, "review"), **headers(alice))
    assert f'id="match-{mine.pk}"'.encode() in response.content
    assert f'id="match-{theirs.pk}"'.encode() not in response.content
    assert b"97% confidence" in response.content and b"arrived same day" in response.content


def test_it_accepts_a_suggestion_and_books_it(client, alice):
    bank, _, match = _suggestion(alice.company)
    response = client.post(url(alice.company, "accept", pk=match.pk), HTTP_HX_REQUEST="true", **headers(alice))
    assert response.status_code == 200 and b"Matched and booked" in response.content
    assert Match.objects.get(pk=match.pk).status == MatchStatus.APPLIED
    assert BankTransaction.objects.get(pk=bank.pk).status == "reconciled"
    assert JournalEntry.objects.filter(company=alice.company).exists()


def test_it_rejects_a_suggestion(client, alice):
    _, _, match = _suggestion(alice.company)
    response = client.post(url(alice.company, "reject", pk=match.pk), **headers(alice))
    assert b"Rejected" in response.content
    assert Match.objects.get(pk=match.pk).status == MatchStatus.REJECTED


def test_it_cannot_accept_another_companys_suggestion(client, alice, bob):
    _, _, theirs = _suggestion(bob.company)
    assert client.post(url(alice.company, "accept", pk=theirs.pk), **headers(alice)).status_code == 404
    assert Match.objects.get(pk=theirs.pk).status == MatchStatus.SUGGESTED


def test_it_unmatches_an_accepted_match_with_reversals(client, alice):
    bank, _, match = _suggestion(alice.company)
    client.post(url(alice.company, "accept", pk=match.pk), **headers(alice))
    booked = JournalEntry.objects.filter(company=alice.company).count()
    response = client.post(url(alice.company, "unmatch", pk=match.pk), **headers(alice))
    assert b"Unmatched" in response.content
    assert Match.objects.get(pk=match.pk).status == MatchStatus.UNDONE
    assert BankTransaction.objects.get(pk=bank.pk).status != "reconciled"
    assert JournalEntry.objects.filter(company=alice.company).count() > booked  # reversals, nothing deleted


def test_it_matches_a_deposit_by_hand_after_searching_payouts(client, alice):
    payout = F.PayoutFactory(company=alice.company, amount=Decimal("321.00"))
    F.PayoutItemFactory(company=alice.company, payout=payout, amount=Decimal("321.00"), fee=Decimal("0"))
    F.PayoutFactory(company=alice.company, amount=Decimal("999.00"))
    bank = F.BankTransactionFactory(company=alice.company, amount=Decimal("321.00"), status="unreconciled")
    search = client.get(url(alice.company, "manual", pk=bank.pk), **headers(alice))
    assert f'value="{payout.pk}"'.encode() in search.content and b"999.00" not in search.content
    response = client.post(url(alice.company, "manual", pk=bank.pk), {"payout": [payout.pk]}, **headers(alice))
    assert b"Matched and booked" in response.content
    assert Match.objects.get(bank_transaction=bank).status == MatchStatus.APPLIED


def test_it_explains_a_manual_match_that_does_not_add_up(client, alice):
    payout = F.PayoutFactory(company=alice.company, amount=Decimal("100.00"))
    bank = F.BankTransactionFactory(company=alice.company, amount=Decimal("321.00"))
    response = client.post(url(alice.company, "manual", pk=bank.pk), {"payout": [payout.pk]}, **headers(alice))
    assert response["HX-Retarget"] == f"#manual-{bank.pk}"
    assert b"but the bank line is" in response.content
    assert not Match.objects.filter(bank_transaction=bank).exists()


def test_every_deposit_without_a_payout_can_be_reached(client, alice, bob):
    """The list used to stop at 20 while the overview counted more: the count is the real one and
    "Show older" pages through all of them."""
    import datetime as dt
    import re

    deposits = [F.BankTransactionFactory(company=alice.company, amount=Decimal("10.00") + n,
                                         date=dt.date(2025, 1, 1) + dt.timedelta(days=n), status="unreconciled")
                for n in range(60)]
    F.BankTransactionFactory(company=bob.company, amount=Decimal("5.00"), status="unreconciled")
    page = client.get(url(alice.company, "review"), **headers(alice)).content.decode()
    assert '<h2 id="unm-h">Bank lines without a payout <span class="count" id="unm-count">60</span>' in page
    shown = set(re.findall(r'id="deposit-(\d+)"', page))
    older = re.search(r'\?before=([\d.-]+)"', page).group(1)
    rest = client.get(url(alice.company, "review"), {"before": older}, HTTP_HX_REQUEST="true",
                      **headers(alice)).content.decode()
    shown |= set(re.findall(r'id="deposit-(\d+)"', rest))
    assert shown == {str(d.pk) for d in deposits}
    assert "Show older" not in rest


def test_a_payout_already_matched_is_marked_and_refused_with_the_reason(client, alice):
    """It used to be listed like any other, and picking it said "Choose at least one payout."."""
    bank, payout, _ = deposit_with_payout(alice.company)  # applied: the payout is taken
    other = F.BankTransactionFactory(company=alice.company, amount=payout.amount, date=bank.date,
                                     status="unreconciled")
    search = client.get(url(alice.company, "manual", pk=other.pk), **headers(alice)).content.decode()
    pick = search.split(f'value="{payout.pk}"')[1].split("</label>")[0]
    assert "disabled" in pick and "already matched" in pick
    response = client.post(url(alice.company, "manual", pk=other.pk), {"payout": [payout.pk]}, **headers(alice))
    assert b"already matched to another deposit" in response.content
    assert b"Choose at least one payout" not in response.content
    assert not Match.objects.filter(bank_transaction=other).exists()


def test_a_rejection_keeps_its_reason_and_refreshes_the_counts(client, alice):
    _, _, match = _suggestion(alice.company)
    response = client.post(url(alice.company, "reject", pk=match.pk), HTTP_HX_REQUEST="true",
                           HTTP_HX_PROMPT="a wholesale customer", **headers(alice)).content.decode()
    assert Match.objects.get(pk=match.pk).note == "a wholesale customer"
    assert '<span class="count" id="sugg-count" hx-swap-oob="true">0</span>' in response
    assert 'id="unm-count" hx-swap-oob="true">' in response


def test_it_accepts_ticked_suggestions_at_once_and_says_which_it_refused(client, alice, bob):
    _, _, one = _suggestion(alice.company)
    _, _, two = _suggestion(alice.company)
    bank = F.BankTransactionFactory(company=alice.company, amount=Decimal("999.99"), status="suggested")
    wrong = F.MatchFactory(company=alice.company, bank_transaction=bank)
    F.MatchPayoutFactory(company=alice.company, match=wrong, payout=F.PayoutFactory(company=alice.company))
    _, _, theirs = _suggestion(bob.company)
    page = client.post(url(alice.company, "accept_many"), {"match": [one.pk, two.pk, wrong.pk, theirs.pk]},
                       HTTP_HX_REQUEST="true", **headers(alice)).content.decode()
    assert "Accepted and booked 2." in page and "do not add up to the deposit" in page
    statuses = {m.pk: m.status for m in Match.objects.filter(pk__in=[one.pk, two.pk, wrong.pk, theirs.pk])}
    assert statuses == {one.pk: "applied", two.pk: "applied", wrong.pk: "suggested", theirs.pk: "suggested"}


def test_suggestions_sort_by_confidence(client, alice):
    _, _, low = _suggestion(alice.company)
    _, _, high = _suggestion(alice.company)
    Match.objects.filter(pk=low.pk).update(confidence=Decimal("0.5100"))
    Match.objects.filter(pk=high.pk).update(confidence=Decimal("0.8400"))
    page = client.get(url(alice.company, "review"), {"sort": "confidence"}, **headers(alice)).content.decode()
    assert page.index(f'id="match-{high.pk}"') < page.index(f'id="match-{low.pk}"')


def test_a_withdrawal_nothing_explains_is_listed_and_a_pending_line_is_not(client, alice):
    """Payroll and rent leave the bank too: the bookkeeper must be able to reach them to book them
    (they used to be invisible, only deposits were listed). Pending lines wait until they post."""
    payroll = F.BankTransactionFactory(company=alice.company, amount=Decimal("-2400.00"), name="GUSTO PAYROLL",
                                       status="unreconciled")
    pending = F.BankTransactionFactory(company=alice.company, amount=Decimal("-12.00"), pending=True,
                                       status="unreconciled")
    page = client.get(url(alice.company, "review"), **headers(alice)).content.decode()
    assert f'id="deposit-{payroll.pk}"' in page
    assert f'id="deposit-{pending.pk}"' not in page
    assert "Business expense" in page


def test_past_the_cap_the_count_says_so_instead_of_counting_every_line(client, alice, monkeypatch):
    """Counting a million open lines on every view cost 280 ms; past the cap the page says "N+"."""
    import dashboard.selectors as selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    for n in range(7):
        F.BankTransactionFactory(company=alice.company, amount=Decimal("10.00") + n, status="unreconciled")
    page = client.get(url(alice.company, "review"), **headers(alice)).content.decode()
    assert '<span class="count" id="unm-count">5+</span>' in page
    monkeypatch.setattr(selectors, "COUNT_CAP", 7)
    page = client.get(url(alice.company, "review"), **headers(alice)).content.decode()
    assert '<span class="count" id="unm-count">7</span>' in page
