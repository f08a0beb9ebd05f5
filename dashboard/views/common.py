"""What every dashboard page shares: the layout-or-partial choice, theme, filters."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.shortcuts import render

from dashboard.selectors import TxnFilters
from ledger.models import BankTransactionStatus

TABS = (("overview", "Overview"), ("transactions", "Transactions"), ("review", "Review"),
        ("close", "Close"), ("connections", "Connections"))


def actor(request) -> str:
    """Who a dashboard decision is recorded as: the embedded company's session."""
    return f"embed:{request.embed.company.public_id}"


def _luminance(r: float, g: float, b: float) -> float:
    def lin(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def theme(brand: str) -> dict:
    """CSS variables from the partner's colour, keeping text readable (WCAG 4.5:1)."""
    rgb = [int(brand[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lum = _luminance(*rgb)
    on_brand = "#ffffff" if 1.05 / (lum + 0.05) >= 4.5 else "#111111"
    # A light brand colour is too faint for links and focus rings on white: darken it until it
    # reaches 4.5:1 against white.
    factor = 1.0
    while 1.05 / (_luminance(*(c * factor for c in rgb)) + 0.05) < 4.5 and factor > 0:
        factor -= 0.05
    ink = "#" + "".join(f"{round(c * max(factor, 0) * 255):02x}" for c in rgb)
    return {"brand": brand, "on_brand": on_brand, "brand_ink": ink}


def render_page(request, template: str, context: dict, *, tab: str, status: int = 200):
    """The whole frame for a first load, only the page body for htmx navigation."""
    embed = request.embed
    base = "dashboard/partial.html" if request.htmx else "dashboard/layout.html"
    ctx = {
        "base": base, "embed": embed, "c": embed.company.public_id, "company": embed.company,
        "tab": tab, "tabs": TABS, "theme": theme(embed.partner.brand_color),
        "origins_json": json.dumps(embed.partner.allowed_origins), **context,
    }
    return render(request, template, ctx, status=status)


class TxnFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or amount"}))
    status = forms.ChoiceField(required=False, label="Status",
                               choices=[("", "Any status"), *BankTransactionStatus.choices])
    platform = forms.ChoiceField(required=False, label="Platform", choices=[("", "Any platform")])
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    amount_min = forms.DecimalField(required=False, label="Min amount", decimal_places=2,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    amount_max = forms.DecimalField(required=False, label="Max amount", decimal_places=2,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))

    def __init__(self, data, platforms):
        super().__init__(data)
        self.fields["platform"].choices = [("", "Any platform"), *((p, p.title()) for p in platforms)]

    def filters(self) -> TxnFilters:
        """The valid part of what was asked (a bad field is ignored and shown as an error)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}
        return TxnFilters(**data)


def parse_amount(raw) -> Decimal | None:
    try:
        return Decimal(str(raw).replace(",", "").strip()).quantize(Decimal("0.01")) if raw not in (None, "") else None
    except InvalidOperation:
        return None
