"""台账一致性核查: do a county's ledgers agree with each other (人账相符)? Checks on reporting's counters."""

from __future__ import annotations

from collections.abc import Sequence

from reporting.domain.metrics import CONFIRMED, IN_SCHOOL, NOT_POPULATION, OUT_OF_SCHOOL
from reporting.reports._figures import Figures, breakdown, value
from reporting.reports.model import Cell, Column, Row, Table

PASS, FAIL, UNKNOWN = "通过", "不通过", "无法核查"


def _sum(values: Sequence[Cell]) -> int | None:
    """The sum of counts; None if any is missing."""
    total = 0
    for v in values:
        if not isinstance(v, int):
            return None
        total += v
    return total


def _check(key: str, title: str, left: tuple[str, Cell], right: tuple[str, Cell]) -> Row:
    passed = None if left[1] is None or right[1] is None else left[1] == right[1]
    result = UNKNOWN if passed is None else PASS if passed else FAIL
    return {
        "check": key,
        "title": title,
        "left_label": left[0],
        "left": left[1],
        "right_label": right[0],
        "right": right[1],
        "passed": passed,
        "result": result,
    }


def checks(figs: Figures) -> list[Row]:
    """Each check: its two sides and whether they agree (None when a side has no figures)."""
    statuses = breakdown(figs, "school_age_status", "status:")
    other = sum(n or 0 for s, n in statuses.items() if s not in IN_SCHOOL | OUT_OF_SCHOOL | NOT_POPULATION)
    counted = _sum([value(figs, "in_school") or 0, value(figs, "out_of_school") or 0, other]) if statuses else None
    cases_parts = [value(figs, k) or 0 for k in ("cases_open", "cases_back", "cases_closed", "cases_cancelled")]
    return [
        _check(
            "population",
            "适龄儿童数 = 在校 + 失学辍学 + 其他状态",
            ("适龄儿童数", value(figs, "population")),
            ("在校 + 失学辍学 + 其他状态", counted),
        ),
        _check(
            "confirmed_vs_cases",
            "确认辍学人数 = 辍学学生台账人数",
            ("疑似台账确认辍学", breakdown(figs, "suspected_status", "status:").get(CONFIRMED, 0)),
            ("辍学台账立案", value(figs, "cases_total")),
        ),
        _check(
            "cases_by_status",
            "辍学台账 = 劝返中 + 已复学待巩固 + 已销号 + 撤销",
            ("辍学台账立案", value(figs, "cases_total")),
            ("各状态之和", _sum(cases_parts)),
        ),
    ]


def table(figs: Figures) -> Table:
    """The checks as a report section, each passed (通过) or failed (不通过)."""
    columns = (
        Column("title", "核查项", "text"),
        Column("left", "左值"),
        Column("right", "右值"),
        Column("result", "结果", "text"),
    )
    return Table("consistency", "台账一致性核查", columns, tuple(checks(figs)))
