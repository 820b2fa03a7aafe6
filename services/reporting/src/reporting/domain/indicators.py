"""Indicators (指标) of a region over a period, from its counts: formulas documented in docs/indicators.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reporting.domain.labels import DIM_LABELS, FIGURE_LABELS, METRIC_LABELS

__all__ = ["FIGURE_LABELS", "Extra", "Figure", "figures", "label_of", "labels_of", "median", "rate"]

Figure = int | float | None
"""A count, a rate (0..1) or a median; None where a rate's denominator is 0 (or a value is unknown)."""
Counts = Mapping[tuple[str, str], int]
"""(metric, dim) → value over a period: stocks at its end, flows within it (adapters.counters.Counts)."""

ENROLMENT_TARGET = 1.0
CONSOLIDATION_TARGET = 0.99

BROKEN_DOWN = (
    "population",
    "in_school",
    "out_of_school",
    "school_age_status",
    "suspected",
    "suspected_status",
    "flagged",
    "confirmed",
    "cleared",
    "cases_opened",
    "returned",
    "closed",
    "reopened",
    "escalated",
    "cases_total",
    "cases_active",
    "cases_open",
    "cases_back",
    "cases_closed",
    "cases_cancelled",
    "early_warnings",
    "absences",
    "verifications_assigned",
    "verified_on_time",
    "verified_late",
    "verifications_overdue",
    "verifications_overdue_open",
)
"""Metrics whose breakdowns (groups, poverty, source, reason, cause, level, status, class) become figures."""

NO_TOTAL = frozenset({"school_age_status", "suspected_status", "escalated"})
"""Metrics counted only by breakdown (a status, a level)."""

RATE_DIMS = ("priority", "poverty", "g:")
"""Breakdowns rates are also given for: priority groups, each group, poverty households."""


@dataclass(frozen=True, slots=True)
class Extra:
    """What a region's figures need beyond its counters, read at read time (adapters/read.py)."""

    cohort_grade1: int | None = None
    """Grade-1 pupils in school at the end of the school year 8 years before (None: unknown)."""
    schools: int = 0
    schools_not_submitting: int = 0
    orders_overdue: int = 0
    caseload: Mapping[str, int] = field(default_factory=dict)
    """Open cases per assignee (empty above the county tier)."""
    caseload_assignees: int = 0
    caseload_max: int = 0


def rate(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator, None when the denominator is 0."""
    return numerator / denominator if denominator else None


def median(histogram: Mapping[int, int]) -> float | None:
    """The median of values given as value → how many; the mean of the two middle ones for an even count."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    lower, upper = (total - 1) // 2, total // 2
    seen, found = 0, []
    for value in sorted(histogram):
        n = histogram[value]
        for index in (lower, upper):
            if seen <= index < seen + n:
                found.append(value)
        seen += n
    return (found[0] + found[1]) / 2


def meets(value: float | None, target: float) -> int | None:
    """1 when a rate reaches its target, 0 when not, None when the rate is unknown."""
    return None if value is None else int(value >= target)


def _key(metric: str, dim: str) -> str:
    return f"{metric}.{dim.replace(':', '.').replace('|', '.')}" if dim else metric


def label_of(key: str) -> str:
    """The Chinese label of a figure key, a broken-down one included (e.g. `suspected.g.left_behind`)."""
    if key in FIGURE_LABELS:
        return FIGURE_LABELS[key]
    base, _, rest = key.partition(".")
    parts = rest.split(".")
    words = []
    for kind, value in zip(parts[::2], parts[1::2], strict=False):
        words.append(f"{DIM_LABELS.get(kind, kind)}：{DIM_LABELS.get(value, value)}")
    if len(parts) % 2:
        words.append(DIM_LABELS.get(parts[-1], parts[-1]))
    name = FIGURE_LABELS.get(base) or METRIC_LABELS.get(base, base)
    return f"{name}（{'，'.join(words)}）" if words else name


def labels_of(values: Mapping[str, Figure]) -> dict[str, str]:
    """The label of every figure given."""
    return {key: label_of(key) for key in values}


def _histogram(counts: Counts, metric: str) -> dict[int, int]:
    return {int(dim[2:]): n for (m, dim), n in counts.items() if m == metric and dim.startswith("d:")}


def _rates(out: dict[str, Figure], counts: Counts, key: str, num: tuple[str, ...], den: tuple[str, ...]) -> None:
    """A rate in total and for each group / poverty breakdown either side has."""
    dims = {d for (m, d) in counts if m in num + den and d.startswith(RATE_DIMS)}
    for dim in ("", *sorted(dims)):
        top = sum(counts.get((m, dim), 0) for m in num)
        bottom = sum(counts.get((m, dim), 0) for m in den)
        out[_key(key, dim)] = rate(top, bottom)


def figures(counts: Counts, extra: Extra | None = None) -> dict[str, Figure]:
    """Every indicator of a region over a period, from its counts and what is read beside them."""
    x = extra or Extra()
    c = counts.get

    def n(metric: str, dim: str = "") -> int:
        return c((metric, dim), 0)

    out: dict[str, Figure] = {}
    for metric in BROKEN_DOWN:
        if metric not in NO_TOTAL:
            out[metric] = n(metric)
    out["escalated"] = sum(v for (m, d), v in counts.items() if m == "escalated" and d.startswith("level:"))
    out["suspected_priority"] = n("suspected", "priority")
    out["suspected_poverty"] = n("suspected", "poverty")
    out["verifying"] = n("verifying")
    out["absences_unexcused"] = n("absences", "status:absent_unexcused")
    out["absences_excused"] = n("absences", "status:absent_excused")
    out["confirmed_attendance_first"] = n("confirmed_attendance_first")
    out["closure_proposed"] = n("closure_proposed")
    out["cases_relapsed"] = n("cases_relapsed")
    _rates(out, counts, "enrolment_rate", ("in_school",), ("population",))
    out["enrolment_rate_target"] = ENROLMENT_TARGET
    out["enrolment_rate_meets_target"] = meets(_float(out["enrolment_rate"]), ENROLMENT_TARGET)
    out["grade9_in_school"] = n("in_school", "grade:9")
    out["cohort_grade1"] = x.cohort_grade1
    out["consolidation_rate"] = rate(n("in_school", "grade:9"), x.cohort_grade1 or 0)
    out["consolidation_rate_target"] = CONSOLIDATION_TARGET
    out["consolidation_rate_meets_target"] = meets(_float(out["consolidation_rate"]), CONSOLIDATION_TARGET)
    out["attendance_expected"] = n("attendance_expected")
    out["attendance_present"] = n("attendance_present")
    out["attendance_rate"] = rate(n("attendance_present"), n("attendance_expected"))
    out["days_submitted"] = n("days_submitted")
    out["schools"] = x.schools
    out["schools_not_submitting"] = x.schools_not_submitting
    _rates(out, counts, "precision", ("confirmed",), ("flagged",))
    for dim in sorted({d for (m, d) in counts if m in ("flagged", "confirmed") and d.startswith("src:")}):
        out[_key("precision", dim)] = rate(n("confirmed", dim), n("flagged", dim))
    out["attendance_first_share"] = rate(n("confirmed_attendance_first"), n("confirmed"))
    _rates(out, counts, "return_rate", ("cases_back", "cases_closed"), ("cases_active", "cases_closed"))
    _rates(out, counts, "closure_rate", ("cases_closed",), ("cases_active", "cases_closed"))
    out["relapse_rate"] = rate(n("cases_relapsed"), n("cases_total"))
    out["median_flag_to_return_days"] = median(_histogram(counts, "flag_to_return_days"))
    out["median_return_to_close_days"] = median(_histogram(counts, "return_to_close_days"))
    on_time, late = n("verified_on_time"), n("verified_late")
    out["verification_on_time_rate"] = rate(on_time, on_time + late)
    out["orders_overdue"] = x.orders_overdue
    out["caseload_assignees"] = x.caseload_assignees
    out["caseload_max"] = x.caseload_max
    for name, open_cases in sorted(x.caseload.items()):
        out[f"caseload.{name}"] = open_cases
    for (metric, dim), value in sorted(counts.items()):
        if dim and metric in BROKEN_DOWN:
            out[_key(metric, dim)] = value
    return out


def _float(value: Figure) -> float | None:
    return None if value is None else float(value)
