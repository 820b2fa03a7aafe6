"""What several reports share: figure labels, the per-region indicator columns and the targets."""

from __future__ import annotations

from collections.abc import Sequence

from baoxue_common.labels import CLEAR_LABELS, ESCALATION_LABELS

from reporting.domain.indicators import FIGURE_LABELS
from reporting.reports._figures import Figures, Tree, breakdown, dim_key, value
from reporting.reports.model import Cell, Column, Kind, Row, rate_met

ENROLMENT_TARGET = 1.0
"""入学率 target: 100 %."""
CONSOLIDATION_TARGET = 0.99
"""巩固率 target: at least 99 %."""

_DEFAULT_LABELS: dict[str, str] = {
    "population": "适龄儿童少年人数",
    "in_school": "在校（在学）人数",
    "out_of_school": "失学辍学人数",
    "enrolment_rate": "入学率",
    "consolidation_rate": "九年义务教育巩固率",
    "attendance_rate": "出勤率",
    "absences": "缺勤人次",
    "early_warnings": "预警（家访）人次",
    "schools_not_submitting": "未按时报送考勤学校数",
    "flagged": "新发现疑似辍学人数",
    "suspected": "疑似辍学人数",
    "verifying": "核实中人数",
    "confirmed": "确认辍学人数",
    "cleared": "排除疑似人数",
    "verified_on_time": "按期完成核实数",
    "verified_late": "逾期完成核实数",
    "verifications_overdue": "核实逾期数",
    "verifications_overdue_open": "逾期未完成核实数",
    "verification_on_time_rate": "核实按期完成率",
    "cases_opened": "新增辍学案件数",
    "cases_open": "未复学辍学案件数",
    "cases_back": "已复学待销号案件数",
    "cases_closed": "已销号案件数",
    "cases_active": "在办辍学案件数",
    "returned": "劝返复学人数",
    "closed": "销号人数",
    "reopened": "复辍人数",
    "return_rate": "劝返率",
    "orders_overdue": "逾期未改正的责令限期改正数",
    "median_flag_to_return_days": "发现至复学校日数中位数",
}
LABELS: dict[str, str] = _DEFAULT_LABELS | FIGURE_LABELS
"""Figure key → Chinese label: `indicators.FIGURE_LABELS` where it has one (the defaults use the same words)."""
RATES = frozenset(
    {
        "enrolment_rate",
        "consolidation_rate",
        "attendance_rate",
        "return_rate",
        "closure_rate",
        "relapse_rate",
        "precision",
        "verification_on_time_rate",
    }
)
DAYS = frozenset({"median_flag_to_return_days", "median_return_to_close_days"})


def kind_of(key: str) -> Kind:
    """How a figure is shown: a rate as a percentage, days, or a count."""
    return "rate" if key in RATES else "days" if key in DAYS else "int"


def figure_columns(keys: Sequence[str]) -> tuple[Column, ...]:
    """A column per figure key, with its Chinese label."""
    return tuple(Column(k, LABELS.get(k, k), kind_of(k)) for k in keys)


def region_columns(label: str, keys: Sequence[str]) -> tuple[Column, ...]:
    """Name, code, then a column per figure."""
    return (Column("name", label, "text"), Column("code", "代码", "text"), *figure_columns(keys))


def region_row(code: str, name: str, figs: Figures, keys: Sequence[str]) -> Row:
    """A region's row: its name and code, then its figures (None where missing)."""
    row: dict[str, Cell] = {"name": name, "code": code}
    row.update({k: value(figs, k) for k in keys})
    return row


def region_rows(tree: Tree, codes: Sequence[str], keys: Sequence[str]) -> tuple[Row, ...]:
    """One row per region, in the order given."""
    return tuple(region_row(c, tree.name(c), tree.of(c), keys) for c in codes)


TARGET_COLUMNS = (
    Column("enrolment_rate", "入学率", "rate"),
    Column("enrolment_target", "入学率目标", "rate"),
    Column("enrolment_met", "入学率达标", "text"),
    Column("consolidation_rate", "巩固率", "rate"),
    Column("consolidation_target", "巩固率目标(不低于)", "rate"),
    Column("consolidation_met", "巩固率达标", "text"),
)


def target_cells(figs: Figures) -> dict[str, Cell]:
    """入学率 and 巩固率 beside their targets, and whether each is met."""
    enrol, consol = value(figs, "enrolment_rate"), value(figs, "consolidation_rate")
    return {
        "enrolment_rate": enrol,
        "enrolment_target": ENROLMENT_TARGET,
        "enrolment_met": rate_met(enrol, ENROLMENT_TARGET),
        "consolidation_rate": consol,
        "consolidation_target": CONSOLIDATION_TARGET,
        "consolidation_met": rate_met(consol, CONSOLIDATION_TARGET),
    }


Item = tuple[str, str, Cell, Kind]
"""An indicator table's row: (key, Chinese label, value, kind)."""


def items(figs: Figures, keys: Sequence[str]) -> list[Item]:
    """Indicator rows of figures, labelled."""
    return [(k, LABELS.get(k, k), value(figs, k), kind_of(k)) for k in keys]


def cleared_items(figs: Figures) -> list[Item]:
    """Suspects cleared, one row per reason."""
    found = breakdown(figs, "cleared", "reason:")
    return [(dim_key("cleared", f"reason:{r}"), f"排除:{CLEAR_LABELS.get(r, r)}", n, "int") for r, n in found.items()]


def level_items(figs: Figures) -> list[Item]:
    """Open cases, one row per escalation level (`none`: no legal step yet)."""
    found = breakdown(figs, "cases_open", "level:")
    return [(dim_key("cases_open", f"level:{v}"), f"未复学:{_LEVELS.get(v, v)}", n, "int") for v, n in found.items()]


_LEVELS = ESCALATION_LABELS | {"none": "未启动法律程序"}
