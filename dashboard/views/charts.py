"""Server-rendered SVG charts (no JavaScript, no library): stacked bars and a two-line chart.

Each returns a dict the template draws; every chart also gets a data table for screen readers.
"""

from __future__ import annotations

from decimal import Decimal

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T = 640, 240, 56, 28, 12
PALETTE = ("#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626")


def _scale(top: Decimal) -> list[tuple[float, str]]:
    """Four gridlines at round values."""
    top = float(top) or 1.0
    step = 10 ** (len(str(int(top / 4))) - 1) if top >= 4 else 1
    while step * 4 < top:
        step *= 2 if str(step)[0] == "1" else 2.5
    return [(step * i, f"{step * i:,.0f}") for i in range(5)]


def _y(value: float, top: float) -> float:
    plot = HEIGHT - PAD_B - PAD_T
    return round(HEIGHT - PAD_B - (value / top) * plot if top else HEIGHT - PAD_B, 1)


def stacked_bars(months: list[str], series: dict[str, dict[str, Decimal]]) -> dict:
    """series: {platform: {month: amount}} → bars per month, one stacked segment per platform."""
    totals = [sum((s.get(m, Decimal(0)) for s in series.values()), Decimal(0)) for m in months]
    grid = _scale(max(totals, default=Decimal(0)))
    top = grid[-1][0] or 1
    slot = (WIDTH - PAD_L - 8) / max(len(months), 1)
    bar = max(min(slot * 0.6, 48), 4)
    bars = []
    for i, month in enumerate(months):
        base = 0.0
        x = PAD_L + i * slot + (slot - bar) / 2
        for n, (name, values) in enumerate(series.items()):
            value = float(values.get(month, 0))
            if value <= 0:
                continue
            y0, y1 = _y(base, top), _y(base + value, top)
            bars.append({"x": round(x, 1), "y": y1, "w": round(bar, 1), "h": round(y0 - y1, 1),
                         "color": PALETTE[n % len(PALETTE)], "label": f"{name} {month}: {value:,.2f}"})
            base += value
    return {
        "w": WIDTH, "h": HEIGHT, "bars": bars,
        "grid": [{"y": _y(v, top), "label": label} for v, label in grid],
        "xlabels": [{"x": round(PAD_L + i * slot + slot / 2, 1), "label": m} for i, m in enumerate(months)],
        "legend": [{"name": name, "color": PALETTE[n % len(PALETTE)]} for n, name in enumerate(series)],
        "axis_y": HEIGHT - PAD_B, "left": PAD_L, "right": WIDTH - 8,
    }


def lines(months: list[str], series: dict[str, dict[str, Decimal]]) -> dict:
    """series: {name: {month: amount}} → one polyline per series (deposits vs payouts)."""
    peak = max((v for s in series.values() for v in s.values()), default=Decimal(0))
    grid = _scale(peak)
    top = grid[-1][0] or 1
    slot = (WIDTH - PAD_L - 8) / max(len(months), 1)
    out = []
    for n, (name, values) in enumerate(series.items()):
        points = [(round(PAD_L + i * slot + slot / 2, 1), _y(float(values.get(m, 0)), top))
                  for i, m in enumerate(months)]
        out.append({"name": name, "color": PALETTE[n % len(PALETTE)], "dash": "6 4" if n else "",
                    "points": " ".join(f"{x},{y}" for x, y in points),
                    "dots": [{"x": x, "y": y} for x, y in points]})
    return {
        "w": WIDTH, "h": HEIGHT, "lines": out,
        "grid": [{"y": _y(v, top), "label": label} for v, label in grid],
        "xlabels": [{"x": round(PAD_L + i * slot + slot / 2, 1), "label": m} for i, m in enumerate(months)],
        "axis_y": HEIGHT - PAD_B, "left": PAD_L, "right": WIDTH - 8,
    }
