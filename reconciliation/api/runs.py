"""Reconciliation runs: start one (queued) and follow its status and stats."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from companies.api.base import CompanyDetailApi, CompanyListApi
from companies.api.output import RowOutput
from companies.api.tasks import queue_task
from reconciliation.models import ReconciliationRun
from reconciliation.selectors.matches import reconciliation_run_list


class RunOutput(RowOutput):
    class Meta:
        model = ReconciliationRun
        fields = ["id", "status", "engine_version", "triggered_by", "started_at", "finished_at",
                  "stats", "error"]


class RunStartOutput(serializers.Serializer):
    task_id = serializers.CharField(allow_null=True, help_text="The queued task (null only when it "
                                    "ran inline and failed).")
    run = RunOutput(allow_null=True, help_text="The run, once the queue has started it (else null: "
                    "list runs to follow it).")


class RunListApi(CompanyListApi):
    """Runs, newest first (GET); queue a new run (POST, 202)."""

    selector = reconciliation_run_list
    model = ReconciliationRun
    ordering = ("-id",)
    OutputSerializer = RunOutput

    @extend_schema(request=None, responses={202: RunStartOutput})
    def post(self, request, *args, **kwargs):
        task_id, inline = queue_task("reconciliation.tasks.reconcile_company", self.company.pk)
        run = None
        if inline:  # the queue ran it already (tests, single-process setups): show its run
            run = self.get_queryset().filter(started_at__gte=inline).order_by("-id").first()
        return Response(RunStartOutput({"task_id": task_id, "run": run}).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(CompanyDetailApi):
    selector = reconciliation_run_list
    model = ReconciliationRun
    lookup_url_kwarg = "run_id"
    OutputSerializer = RunOutput


