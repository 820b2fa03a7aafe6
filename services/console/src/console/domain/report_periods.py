"""The periods of each tier's report (the reporting service's labels), newest first, for the period picker."""

from __future__ import annotations

from datetime import date

REPORTS: dict[str, tuple[str, str]] = {
    "county": ("county-quarterly", "县级季度复核"),
    "city": ("city-semester", "地市学期调研"),
    "province": ("province-annual", "省级学年评估"),
    "national": ("national-bimonthly", "全国双月调度"),
}


def period_of(tier: str, day: date) -> str:
    """The label of the tier's period holding `day` (2026-Q1, 2026-S1, 2026-2027, 2026-B1)."""
    y, m = day.year, day.month
    if tier == "county":
        return f"{y}-Q{(m - 1) // 3 + 1}"
    if tier == "city":
        return f"{y}-S1" if m >= 9 else f"{y - 1}-S1" if m == 1 else f"{y - 1}-S2"
    if tier == "province":
        start = y if m >= 9 else y - 1
        return f"{start}-{start + 1}"
    return f"{y}-B{(m - 1) // 2 + 1}"


def recent_periods(tier: str, today: date, count: int = 8) -> list[str]:
    """The current period and the ones before it, newest first (stepping back a month at a time)."""
    found: list[str] = []
    year, month = today.year, today.month
    while len(found) < count and year > today.year - 10:
        label = period_of(tier, date(year, month, 1))
        if label not in found:
            found.append(label)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found
