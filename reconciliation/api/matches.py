"""Matches and suggestions: list, detail, accept, reject, unmatch, and manual matches.

A match ties a bank line to the payout(s) behind it. `suggested` ones wait for a person (accept or
reject); `applied` ones are booked (undo with unmatch, which posts reversals); `rejected` ones are
never proposed again; `undone` ones were applied, then reversed.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from companies.api.base import MAX_ID, CompanyApi, CompanyDetailApi, CompanyListApi
from companies.api.errors import ApiError
from companies.api.output import RowOutput
from companies.api.schema import ErrorSerializer
from ledger.api.bank import BankTransactionOutput
from ledger.api.fields import MoneyField
from ledger.api.platform import PayoutOutput
from ledger.selectors import bank_transaction_list, payout_list
from reconciliation.models import Match, MatchStatus
from reconciliation.selectors.matches import match_list
from reconciliation.services import (
    ReconciliationError,
    match_accept,
    match_manual,
    match_reject,
    match_undo,
)

# ReconciliationError.code -> HTTP status: state conflicts are 409, input the books refuse is 422.
CONFLICTS = {"not_suggested", "not_applied", "bank_line_matched", "payout_matched", "items_unavailable"}
UNPROCESSABLE = {"amount_mismatch", "pending_bank_line", "no_payouts"}
STATE_ERRORS = {
    "409": OpenApiResponse(ErrorSerializer, description="The match or bank line is not in a state that "
                           "allows this (not_suggested, not_applied, bank_line_matched, payout_matched)."),
}
INPUT_ERRORS = {
    "422": OpenApiResponse(ErrorSerializer, description="The books refuse it (amount_mismatch, "
                           "pending_bank_line, no_payouts)."),
}


class MatchOutput(RowOutput):
    bank_transaction = serializers.IntegerField(source="bank_transaction_id", read_only=True)
    payouts = serializers.SerializerMethodField(help_text="Ids of the payouts behind the bank line.")
    confidence = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=True,
                                          help_text="0 to 1.")
    fx_difference = MoneyField(currency_field="bank_transaction.currency",
                               help_text="Bank amount − payouts, booked as FX gain (+) or loss (−).")
    run = serializers.IntegerField(source="run_id", read_only=True, allow_null=True)
    fee_schedule = serializers.JSONField(
        read_only=True,
        help_text="An orders-only store's sweep: the gateway fee its orders were priced with "
                  "({rate, fixed, rounding, currency, extra_rate}); {} otherwise.")

    class Meta:
        model = Match
        fields = ["id", "status", "bank_transaction", "payouts", "confidence", "reasons", "is_inferred",
                  "inferred_connection", "inferred_items", "fee_schedule", "fx_difference", "engine_version", "run",
                  "created_at", "created_by", "decided_at", "decided_by", "undone_at", "undone_by", "note"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_payouts(self, match):
        return [link.payout_id for link in match.match_payouts.all()]


class MatchDetailOutput(MatchOutput):
    bank_transaction_detail = BankTransactionOutput(source="bank_transaction", read_only=True)
    payout_details = serializers.SerializerMethodField()

    class Meta(MatchOutput.Meta):
        fields = [*MatchOutput.Meta.fields, "bank_transaction_detail", "payout_details"]

    @extend_schema_field(PayoutOutput(many=True))
    def get_payout_details(self, match):
        return PayoutOutput([link.payout for link in match.match_payouts.all()], many=True).data


class MatchFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=MatchStatus.choices)
    bank_transaction = filters.NumberFilter(field_name="bank_transaction_id", min_value=1, max_value=MAX_ID)

    class Meta:
        model = Match
        fields = ["status", "bank_transaction"]


class MatchListApi(CompanyListApi):
    """Matches, newest first (GET); a manual match of a bank line to payout(s) (POST)."""

    selector = match_list
    model = Match
    ordering = ("-id",)
    filterset_class = MatchFilter
    OutputSerializer = MatchOutput

    class ManualInput(serializers.Serializer):
        bank_transaction = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        payouts = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                        min_length=1, max_length=100)
        note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

    @extend_schema(request=ManualInput, responses={201: MatchDetailOutput, **STATE_ERRORS, **INPUT_ERRORS})
    def post(self, request, *args, **kwargs):
        data = _valid(self.ManualInput, request.data)
        bank = bank_transaction_list(company=self.company).filter(pk=data["bank_transaction"]).first()
        if bank is None:
            raise exceptions.NotFound("No bank transaction with this id.")
        wanted = list(dict.fromkeys(data["payouts"]))
        payouts = {p.pk: p for p in payout_list(company=self.company).filter(pk__in=wanted)}
        if missing := [pk for pk in wanted if pk not in payouts]:
            raise ApiError("No payout with this id.", code="not_found", status_code=404,
                           details={"payouts": missing})
        with reconciliation_errors():
            match = match_manual(company=self.company, bank_transaction=bank,
                                 payouts=[payouts[pk] for pk in wanted], by=_by(request), note=data["note"])
        return Response(MatchDetailOutput(_fresh(self, match)).data, status=status.HTTP_201_CREATED)


class MatchDetailApi(CompanyDetailApi):
    """One match with its bank line and payouts."""

    selector = match_list
    model = Match
    lookup_url_kwarg = "match_id"
    OutputSerializer = MatchDetailOutput


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class _MatchAction(CompanyApi):
    def match(self) -> Match:
        pk = int(self.kwargs["match_id"])
        row = match_list(company=self.company).filter(pk=pk).first() if 0 < pk <= MAX_ID else None
        if row is None:
            raise exceptions.NotFound("No match with this id.")
        return row


class MatchAcceptApi(_MatchAction):
    """Accept a suggestion: it is applied and booked."""

    @extend_schema(request=None, responses={200: MatchDetailOutput, **STATE_ERRORS, **INPUT_ERRORS})
    def post(self, request, *args, **kwargs):
        with reconciliation_errors():
            match = match_accept(match=self.match(), by=_by(request))
        return Response(MatchDetailOutput(_fresh(self, match)).data)


class MatchRejectApi(_MatchAction):
    """Reject a suggestion: kept as rejected and never proposed again."""

    @extend_schema(request=ReasonInput, responses={200: MatchDetailOutput, **STATE_ERRORS})
    def post(self, request, *args, **kwargs):
        data = _valid(ReasonInput, request.data)
        with reconciliation_errors():
            match = match_reject(match=self.match(), by=_by(request), reason=data["reason"])
        return Response(MatchDetailOutput(_fresh(self, match)).data)


class MatchUnmatchApi(_MatchAction):
    """Undo an applied match: reversal entries are posted; nothing is deleted."""

    @extend_schema(request=ReasonInput, responses={200: MatchDetailOutput, **STATE_ERRORS})
    def post(self, request, *args, **kwargs):
        data = _valid(ReasonInput, request.data)
        with reconciliation_errors():
            match = match_undo(match=self.match(), by=_by(request), reason=data["reason"])
        return Response(MatchDetailOutput(_fresh(self, match)).data)


class reconciliation_errors:  # noqa: N801 - used as a context manager
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not isinstance(exc, ReconciliationError):
            return False
        if exc.code == "not_found":
            raise exceptions.NotFound(exc.message) from exc
        status_code = 409 if exc.code in CONFLICTS else 422 if exc.code in UNPROCESSABLE else 400
        raise ApiError(exc.message, code=exc.code, status_code=status_code) from exc


def _by(request) -> str:
    return f"api:{request.auth.prefix}"


def _fresh(view, match: Match) -> Match:
    return match_list(company=view.company).get(pk=match.pk)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
