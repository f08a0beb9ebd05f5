"""Reconciliation runs: start one (queued) and follow its status and stats."""

from django.conf import settings
from django_q.tasks import async_task, result
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from companies.api.base import CompanyDetailApi, CompanyListApi
from reconciliation.models import ReconciliationRun
from reconciliation.selectors.matches import reconciliation_run_list


class RunOutput(serializers.ModelSerializer):
    class Meta:
        model = ReconciliationRun
        fields = ["id", "status", "engine_version", "triggered_by", "started_at", "finished_at",
                  "stats", "error"]


class RunStartOutput(serializers.Serializer):
    task_id = serializers.CharField(help_text="The queued task.")
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
        task_id = async_task("reconciliation.tasks.reconcile_company", self.company.pk)
        run = None
        if settings.Q_CLUSTER.get("sync"):  # ran inline (tests, single-process setups)
            done = result(task_id) or {}
            run = self.get_queryset().filter(pk=done.get("run")).first() if done else None
        return Response(RunStartOutput({"task_id": task_id, "run": run}).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(CompanyDetailApi):
    selector = reconciliation_run_list
    model = ReconciliationRun
    lookup_url_kwarg = "run_id"
    OutputSerializer = RunOutput


