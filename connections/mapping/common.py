"""Small parsing helpers shared by the provider mappers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from ledger.money import MoneyError, normalize_currency, quantize, to_decimal


class MappingError(ValueError):
    """A provider object that cannot be turned into a row (e.g. no currency at all)."""


def currency_of(value: str | None, default: str | None = None) -> str:
    for candidate in (value, default):
        if candidate:
            try:
                return normalize_currency(candidate)
            except MoneyError as exc:
                raise MappingError(str(exc)) from exc
    raise MappingError("no currency on the object and no default currency given")


def money(value, currency: str) -> Decimal:
    """A major-unit provider amount as a quantized Decimal; null counts as zero."""
    if value is None or value == "":
        return quantize(Decimal(0), currency)
    try:
        return quantize(to_decimal(value), currency)
    except MoneyError as exc:
        raise MappingError(str(exc)) from exc


def negate(value: Decimal) -> Decimal:
    """-value without ever producing Decimal('-0.00'), which would print as a negative zero."""
    return Decimal(0) - value


def parse_datetime(value) -> datetime | None:
    """ISO 8601 (with Z) or Unix seconds -> aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise MappingError(f"not an ISO 8601 timestamp: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise MappingError(f"not an ISO 8601 date: {value!r}") from exc
