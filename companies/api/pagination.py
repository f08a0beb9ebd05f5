"""Keyset ("cursor") pagination.

The cursor holds the values of every ordering column of the last row served (the view's
`ordering` always ends with a unique column, `id`), and the next page is the rows strictly after
it. Unlike offsets, rows inserted while a client pages do not shift anything: every row that
existed when paging started is served exactly once, and the query uses the (company, …) indexes.
"""

import base64
import binascii
import json
from functools import reduce

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from companies.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(ApiError):
    default_code = "invalid_cursor"


def _encode(values) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("The cursor is not one we issued; pass `next_cursor` as is.") from exc
    if not isinstance(values, list) or len(values) != count or not all(isinstance(v, str) for v in values):
        raise InvalidCursor("The cursor is not one we issued; pass `next_cursor` as is.")
    return values


def _field(queryset, name: str):
    try:
        return queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return queryset.query.annotations[name].output_field


def _after(queryset, ordering, raw_values) -> Q:
    """Rows strictly after the cursor row in `ordering` (a lexicographic comparison)."""
    names = [o.lstrip("-") for o in ordering]
    try:
        values = [_field(queryset, n).to_python(v) for n, v in zip(names, raw_values, strict=True)]
    except (ValidationError, ValueError, TypeError) as exc:
        raise InvalidCursor("The cursor is not one we issued; pass `next_cursor` as is.") from exc
    clauses = []
    for k, order in enumerate(ordering):
        op = "lt" if order.startswith("-") else "gt"
        equal = {names[j]: values[j] for j in range(k)}
        clauses.append(Q(**equal, **{f"{names[k]}__{op}": values[k]}))
    return reduce(lambda a, b: a | b, clauses)


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def _limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return DEFAULT_LIMIT
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ApiError(
                f"limit must be a whole number from 1 to {MAX_LIMIT}.", code="validation_error",
                details={"limit": [f"Ensure this is a whole number from 1 to {MAX_LIMIT}."]},
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        ordering = tuple(view.ordering)
        if ordering[-1].lstrip("-") not in ("id", "pk"):
            raise AssertionError(f"{type(view).__name__}.ordering must end with id (a tie-breaker)")
        self.request, self.limit = request, self._limit(request)
        cursor = request.query_params.get(self.cursor_query_param)
        queryset = queryset.order_by(*ordering)
        if cursor:
            queryset = queryset.filter(_after(queryset, ordering, _decode(cursor, len(ordering))))
        rows = list(queryset[: self.limit + 1])
        self.next_cursor = None
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            last = rows[-1]
            self.next_cursor = _encode([getattr(last, o.lstrip("-")) for o in ordering])
        return rows

    def get_paginated_response(self, data):
        next_url = None
        if self.next_cursor:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), self.cursor_query_param, self.next_cursor
            )
        return Response({"results": data, "next_cursor": self.next_cursor, "next": next_url})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next_cursor", "next"],
            "properties": {
                "results": schema,
                "next_cursor": {"type": "string", "nullable": True,
                                "description": "Pass as `cursor` for the next page; null on the last page."},
                "next": {"type": "string", "format": "uri", "nullable": True},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "in": "query", "required": False,
             "schema": {"type": "string"}, "description": "`next_cursor` of the previous page."},
            {"name": self.limit_query_param, "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        ]
