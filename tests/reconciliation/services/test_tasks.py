from reconciliation.models import Match, MatchStatus, ReconciliationRun
from reconciliation.tasks import reconcile_company


def test_it_reconciles_a_company_from_its_id(synced_world, bob):
    company = synced_world()
    result = reconcile_company(company.pk)
    assert result["status"] == ReconciliationRun.Status.SUCCEEDED
    assert result["applied"] == 2
    assert Match.objects.filter(company=company, status=MatchStatus.APPLIED).count() == 2
    assert not ReconciliationRun.objects.filter(company=bob.company).exists()


def test_it_records_a_failed_run(synced_world, monkeypatch):
    company = synced_world()

    def broken(inputs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("reconciliation.services.runs.E.reconcile", broken)
    try:
        reconcile_company(company.pk)
    except RuntimeError:
        pass
    run = ReconciliationRun.objects.get(company=company)
    assert run.status == ReconciliationRun.Status.FAILED and "engine exploded" in run.error
    assert not Match.objects.filter(company=company).exists()
