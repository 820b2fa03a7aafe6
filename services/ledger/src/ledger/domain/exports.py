"""What a ledger shows and exports: columns with Chinese headers, labels, masks, sorts and the CSV guard.

Glossary: 学籍号 student number, 学校标识码 school code, 重点人群 priority groups, 脱贫户 poverty household,
辍学原因 cause of dropping out, 劝返 persuasion to return, 销号 close-out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from baoxue_common.labels import CAUSE_LABELS, CLOSE_LABELS, ESCALATION_LABELS
from baoxue_common.labels import GROUP_LABELS as GROUP_LABELS
from baoxue_common.pii import mask_national_id
from baoxue_common.sheets import guard_cell as guard_cell

from ledger.domain.ledgers import CASE_LABELS, CLEARED, SCHOOL_AGE_LABELS, STATUS_LABELS


@dataclass(frozen=True)
class LedgerSpec:
    """One ledger as it is read: its table, entry id, main date, statuses, sorts and exported columns."""

    key: str
    id_column: str
    main_date: str
    statuses: Mapping[str, str]
    sorts: frozenset[str]
    default_sort: str
    hidden_by_default: frozenset[str]
    columns: tuple[tuple[str, str], ...]


SPECS: dict[str, LedgerSpec] = {
    "school-age": LedgerSpec(
        key="school_age",
        id_column="entry_id",
        main_date="status_since",
        statuses=SCHOOL_AGE_LABELS,
        sorts=frozenset({"status_since", "student_id", "school_code", "grade", "status", "birth_date"}),
        default_sort="-status_since",
        hidden_by_default=frozenset(),
        columns=(
            ("student_id", "学籍号"),
            ("masked_id", "身份证号(脱敏)"),
            ("school_code", "学校标识码"),
            ("grade", "年级"),
            ("class_name", "班级"),
            ("gender", "性别"),
            ("birth_date", "出生日期"),
            ("hukou_county_code", "户籍所在县"),
            ("residence_county_code", "居住县"),
            ("status", "状态"),
            ("status_since", "状态起始日期"),
            ("groups", "重点人群"),
            ("poverty_household", "脱贫户"),
        ),
    ),
    "suspected": LedgerSpec(
        key="suspected",
        id_column="entry_id",
        main_date="flagged_on",
        statuses=STATUS_LABELS,
        sorts=frozenset({"flagged_on", "student_id", "school_code", "status", "due_on"}),
        default_sort="-flagged_on",
        hidden_by_default=frozenset({CLEARED}),
        columns=(
            ("student_id", "学籍号"),
            ("school_code", "学校标识码"),
            ("source", "来源"),
            ("status", "状态"),
            ("reason", "疑似原因"),
            ("groups", "重点人群"),
            ("poverty_household", "脱贫户"),
            ("flagged_on", "疑似日期"),
            ("due_on", "核实期限"),
            ("confirmed_on", "确认日期"),
            ("clear_reason", "排除原因"),
            ("cleared_on", "排除日期"),
        ),
    ),
    "dropouts": LedgerSpec(
        key="dropouts",
        id_column="case_id",
        main_date="confirmed_on",
        statuses=CASE_LABELS,
        sorts=frozenset({"confirmed_on", "student_id", "school_code", "status", "returned_on", "closed_on"}),
        default_sort="-confirmed_on",
        hidden_by_default=frozenset(),
        columns=(
            ("case_id", "案件编号"),
            ("student_id", "学籍号"),
            ("school_code", "学校标识码"),
            ("status", "状态"),
            ("groups", "重点人群"),
            ("poverty_household", "脱贫户"),
            ("flagged_on", "疑似日期"),
            ("confirmed_on", "确认辍学日期"),
            ("cause_main", "主要辍学原因"),
            ("escalation_level", "劝返级别"),
            ("order_deadline", "限期改正期限"),
            ("returned_on", "复学日期"),
            ("closed_on", "销号日期"),
            ("close_reason", "销号原因"),
            ("relapses", "反复辍学次数"),
        ),
    ),
}


def parse_sort(spec: LedgerSpec, sort: str | None) -> tuple[str, bool]:
    """The sort column and whether it descends; ValueError when the column is not in the ledger's whitelist."""
    text = sort or spec.default_sort
    column, descending = (text[1:], True) if text.startswith("-") else (text, False)
    if column not in spec.sorts:
        raise ValueError(f"sort by one of {', '.join(sorted(spec.sorts))} (prefix - to descend)")
    return column, descending


def mask_student_id(student_id: str | None) -> str | None:
    """A student number (`G` + the 18-character ID number) with its ID number masked."""
    if not student_id:
        return student_id
    if student_id[:1] == "G":
        return "G" + mask_national_id(student_id[1:])
    return mask_national_id(student_id)


def cell_text(spec: LedgerSpec, column: str, value: Any) -> str:
    """One exported value as text: statuses, groups, causes and levels in Chinese; booleans 是/否."""
    if value is None:
        return ""
    labels: dict[str, Callable[[Any], str]] = {
        "status": lambda v: spec.statuses.get(v, v),
        "groups": lambda v: "、".join(GROUP_LABELS.get(g, g) for g in v),
        "cause_main": lambda v: CAUSE_LABELS.get(v, v),
        "escalation_level": lambda v: ESCALATION_LABELS.get(v, v),
        "close_reason": lambda v: CLOSE_LABELS.get(v, v),
        "poverty_household": lambda v: "是" if v else "否",
    }
    if column in labels:
        return labels[column](value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_row(spec: LedgerSpec, row: Mapping[str, Any], *, clear: bool) -> list[str]:
    """One entry as the export's cells, guarded; the student number masked unless the export is a clear one."""
    cells = []
    for column, _ in spec.columns:
        value = row.get(column)
        if column == "student_id" and not clear:
            value = mask_student_id(value)
        cells.append(guard_cell(cell_text(spec, column, value)))
    return cells


def headers(spec: LedgerSpec) -> list[str]:
    """The export's Chinese column headers."""
    return [label for _, label in spec.columns]
