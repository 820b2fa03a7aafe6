"""County pages as plain data: the ledgers' filters and columns, the school year's quarters, chart series."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from baoxue_common.labels import CASE_STATUS_LABELS, GROUP_LABELS, SCHOOL_AGE_STATUS_LABELS, SUSPECT_STATUS_LABELS

LedgerName = Literal["school-age", "suspected", "dropouts"]
LEDGER_TITLES: dict[str, str] = {
    "school-age": "适龄儿童台账",
    "suspected": "疑似辍学学生台账",
    "dropouts": "辍学学生台账",
}
STATUSES: dict[str, dict[str, str]] = {
    "school-age": SCHOOL_AGE_STATUS_LABELS,
    "suspected": SUSPECT_STATUS_LABELS,
    "dropouts": CASE_STATUS_LABELS,
}
"""Each ledger's statuses (the ledger service's words), for the status filter."""
OPEN_SUSPECT = frozenset({"pending", "verifying"})
"""Suspects still being checked: their rows link to the verification."""
NATIONAL_STATES: dict[str, str] = {
    "pending": "待核实",
    "verifying": "核实中",
    "confirmed_dropout": "确认辍学",
    "cleared": "已排除",
    "returned": "已复学",
    "closed": "已销号",
}
PAGE_SIZES = (20, 50, 100, 200)
_SCHOOL = re.compile(r"^\d{10}$")


class FilterError(ValueError):
    """A filter a person typed that cannot be used, in words."""


@dataclass(frozen=True, slots=True)
class LedgerQuery:
    """The filters and page of a ledger page, as the form sent them (empty fields dropped)."""

    school_code: str | None = None
    status: str | None = None
    group: str | None = None
    poverty_household: str | None = None
    as_of: date | None = None
    from_day: date | None = None
    to_day: date | None = None
    offset: int = 0
    limit: int = 50

    def filters(self) -> dict[str, str]:
        """The filters as query parameters (the ledger's names), without paging."""
        pairs = {
            "school_code": self.school_code,
            "status": self.status,
            "group": self.group,
            "poverty_household": self.poverty_household,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "from": self.from_day.isoformat() if self.from_day else None,
            "to": self.to_day.isoformat() if self.to_day else None,
        }
        return {k: v for k, v in pairs.items() if v is not None}

    def params(self) -> dict[str, str]:
        """Filters and paging, for the ledger service and for links."""
        return self.filters() | {"offset": str(self.offset), "limit": str(self.limit)}

    def at(self, offset: int) -> dict[str, str]:
        """The same query at another offset (the pager's links)."""
        return self.params() | {"offset": str(max(0, offset))}


def _day(value: str | None, words: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{words}不是有效日期（应为 YYYY-MM-DD）：{value}") from None


def parse_query(ledger: str, raw: Mapping[str, str]) -> LedgerQuery:
    """The ledger query of a page's query string; FilterError in words for what cannot be used."""
    school = (raw.get("school_code") or "").strip() or None
    if school is not None and not _SCHOOL.match(school):
        raise FilterError(f"学校标识码应为 10 位数字：{school}")
    status = raw.get("status") or None
    if status is not None and status not in STATUSES[ledger]:
        raise FilterError(f"该台账没有这种状态：{status}")
    group = raw.get("group") or None
    if group is not None and group not in GROUP_LABELS:
        raise FilterError(f"未知的重点人群：{group}")
    poverty = raw.get("poverty_household") or None
    if poverty is not None and poverty not in ("true", "false"):
        raise FilterError("脱贫户筛选只能是“是”或“否”")
    try:
        offset = max(0, int(raw.get("offset") or 0))
        limit = int(raw.get("limit") or 50)
    except ValueError:
        raise FilterError("分页参数应为整数") from None
    return LedgerQuery(
        school_code=school,
        status=status,
        group=group,
        poverty_household=poverty,
        as_of=_day(raw.get("as_of"), "台账日期"),
        from_day=_day(raw.get("from"), "起始日期"),
        to_day=_day(raw.get("to"), "截止日期"),
        offset=offset,
        limit=min(max(limit, 1), 500),
    )


def clear_student(student_id: str | None) -> str | None:
    """The student number when the ledger shows it in clear (a timeline can be opened), else None."""
    return student_id if student_id and "*" not in student_id else None


def school_year_quarters(today: date) -> list[str]:
    """The county periods (quarters) of the school year `today` is in, from September up to today's quarter."""
    first = today.year if today.month >= 9 else today.year - 1
    quarters = [f"{first}-Q3", f"{first}-Q4", f"{first + 1}-Q1", f"{first + 1}-Q2", f"{first + 1}-Q3"]
    current = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return quarters[: quarters.index(current) + 1]


TREND_KEYS = {"flagged": "新发现疑似", "confirmed": "确认辍学", "returned": "劝返复学", "closed": "销号"}
SCHOOL_KEYS = {"flagged": "疑似", "confirmed": "确认辍学", "returned": "劝返复学"}
GROUP_KEYS = {"flagged": "新发现疑似", "confirmed": "确认辍学", "cases_active": "在办案件"}


def _count(figures: Mapping[str, Any], key: str) -> int:
    value = figures.get(key)
    return int(value) if isinstance(value, int | float) else 0


def trend_chart(periods: list[str], figures: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Suspects, confirmations, returns and close-outs per quarter of the school year."""
    series = [{"name": name, "data": [_count(f, key) for f in figures]} for key, name in TREND_KEYS.items()]
    return {"categories": periods, "series": series}


def school_chart(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Suspects, confirmations and returns per school (the quarterly review's school rows)."""
    names = [str(r.get("name") or r.get("code")) for r in rows]
    series = [{"name": name, "data": [_count(r, key) for r in rows]} for key, name in SCHOOL_KEYS.items()]
    return {"categories": names, "series": series}


def group_chart(figures: Mapping[str, Any]) -> dict[str, Any]:
    """Suspects, confirmations and open cases per priority group, from the figures' `.g.<group>` breakdowns."""
    groups = list(GROUP_LABELS)
    series = [
        {"name": name, "data": [_count(figures, f"{key}.g.{g}") for g in groups]} for key, name in GROUP_KEYS.items()
    ]
    return {"categories": [GROUP_LABELS[g] for g in groups], "series": series}


HEADLINE = (
    "suspected",
    "verifying",
    "confirmed",
    "cases_active",
    "returned",
    "closed",
    "verifications_overdue_open",
    "orders_overdue",
    "enrolment_rate",
    "consolidation_rate",
    "attendance_rate",
    "schools_not_submitting",
)
RATES = frozenset({"enrolment_rate", "consolidation_rate", "attendance_rate"})
WARN = frozenset({"verifications_overdue_open", "orders_overdue", "schools_not_submitting"})


def headline(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The figures the home page shows first: key, Chinese name, value, whether a rate, whether a warning."""
    figures, labels = stats.get("figures") or {}, stats.get("labels") or {}
    return [
        {
            "key": key,
            "name": labels.get(key, key),
            "value": figures.get(key),
            "rate": key in RATES,
            "warn": key in WARN and bool(figures.get(key)),
        }
        for key in HEADLINE
        if key in figures
    ]


_REASONS = (
    (
        re.compile(r"^(\d+) consecutive school days of unexcused absence from (\S+) to (\S+)$"),
        "{1} 至 {2} 连续 {0} 个校日无故缺勤",
    ),
    (
        re.compile(r"^cumulative: (\d+) school days of unexcused absence in the term by (\S+)$"),
        "本学期截至 {1} 累计 {0} 个校日无故缺勤",
    ),
    (
        re.compile(r"^left the roll of school (\d+) on (\S+) without a transfer or graduation$"),
        "{1} 离开学校 {0} 的花名册，无转学或毕业记录",
    ),
    (re.compile(r"^on the national platform's suspected list: (.*)$"), "国家平台疑似辍学名单：{0}"),
)


def reason_zh(reason: str | None) -> str:
    """A suspect's reason (the detector's English sentence) in Chinese; other text as it is."""
    for pattern, words in _REASONS:
        if found := pattern.match(reason or ""):
            return words.format(*found.groups())
    return reason or "—"
