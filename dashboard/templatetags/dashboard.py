"""Money and status formatting for the dashboard templates."""

from decimal import Decimal

from django import template

from ledger.platforms import display_name

register = template.Library()


@register.filter
def money(value, currency=""):
    """-1234.5 → "−1,234.50" (a real minus sign: screen readers say "minus")."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    text = f"{abs(value):,.2f}"
    sign = "−" if value < 0 else ""
    return f"{sign}{text}" + (f" {currency}" if currency else "")


@register.filter
def percent(value):
    if value is None:
        return ""
    return f"{Decimal(value) * 100:.0f}%"


@register.filter
def platform_name(value: str) -> str:
    return display_name(value or "")
