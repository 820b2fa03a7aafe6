"""Indicators (指标) of a region over a period, from its counts: formulas documented in docs/indicators.md."""

from __future__ import annotations

from reporting.adapters.counters import Counts

Figure = int | float | None
"""A count, a rate (0..1) or a median; None where a rate's denominator is 0."""

FIGURE_LABELS: dict[str, str] = {
    "suspected": "疑似辍学人数",
    "suspected_priority": "重点人群疑似辍学人数",
    "suspected_poverty": "脱贫家庭疑似辍学人数",
}


def rate(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator, None when the denominator is 0."""
    return numerator / denominator if denominator else None


def figures(counts: Counts) -> dict[str, Figure]:
    """Every indicator of a region over a period, from its counts."""
    return {
        "suspected": counts.get(("suspected", ""), 0),
        "suspected_priority": counts.get(("suspected", "priority"), 0),
        "suspected_poverty": counts.get(("suspected", "poverty"), 0),
    }
