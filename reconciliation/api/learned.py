"""What Tieout learned about a store connection from its confirmed deposits (read-only).

The connection's own representation is served by `connections` (a lower layer that knows
nothing of reconciliation), so this lives beside it: `…/connections/{connection_id}/learned/`."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from companies.api.base import CompanyApi
from reconciliation.selectors.learned import learned_get


class LearnedOutput(serializers.Serializer):
    connection = serializers.IntegerField(help_text="The connection's id.")
    summary = serializers.CharField(help_text='As on the dashboard: "Learned: paid out weekly on Mondays, '
                                    'lands +2 business days (from 12 deposits)" or "Still learning (2 deposits)".')
    deposits = serializers.IntegerField(help_text="Confirmed deposits learned from.")
    cadence = serializers.CharField(help_text='"daily" (business days), "weekly", "every_n_days", "irregular", '
                                    'or "" (not enough deposits).')
    weekday = serializers.IntegerField(allow_null=True, help_text="Weekly: the payout day, Monday = 0.")
    every_days = serializers.IntegerField(allow_null=True)
    cadence_samples = serializers.IntegerField()
    lag_days = serializers.IntegerField(allow_null=True, help_text="Business days from payout to bank, on the "
                                        "bank's calendar.")
    lag_samples = serializers.IntegerField()
    tokens = serializers.ListField(child=serializers.CharField(), help_text="Words the bank prints on them.")
    token_samples = serializers.IntegerField()
    boundary = serializers.CharField(help_text='Inferred sweeps: "day", "time" or "".')
    cutoff = serializers.TimeField(allow_null=True, help_text="Boundary \"time\": the cut-off (UTC).")
    boundary_samples = serializers.IntegerField()
    since = serializers.DateField(allow_null=True, help_text="Reset (relink, disconnect): learned from "
                                  "deposits dated on or after this day.")


class ConnectionLearnedApi(CompanyApi):
    """Learned per-connection behaviour of one store connection (a bank connection has none: 404)."""

    @extend_schema(responses=LearnedOutput)
    def get(self, request, *args, **kwargs):
        learned = learned_get(company=self.company, connection_id=kwargs["connection_id"])
        if learned is None:
            raise exceptions.NotFound("Not found.")
        return Response(LearnedOutput(learned).data)
