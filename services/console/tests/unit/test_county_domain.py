"""The county pages' pure parts: ledger filters from a query string, quarters, chart series, reasons in Chinese."""

from __future__ import annotations

from datetime import date

import pytest
from console.domain.county import (
    FilterError,
    clear_student,
    group_chart,
    headline,
    parse_query,
    reason_zh,
    school_year_quarters,
    trend_chart,
)


def test_empty_fields_are_dropped_and_paging_is_bounded() -> None:
    query = parse_query("suspected", {"status": "", "group": "left_behind", "as_of": "2026-11-30", "limit": "9999"})
    assert query.filters() == {"group": "left_behind", "as_of": "2026-11-30"}
    assert query.params() == query.filters() | {"offset": "0", "limit": "500"}
    assert query.at(-50)["offset"] == "0"


@pytest.mark.parametrize(
    ("ledger", "raw", "words"),
    [
        ("suspected", {"school_code": "12"}, "10 位数字"),
        ("suspected", {"status": "open"}, "没有这种状态"),
        ("dropouts", {"group": "martian"}, "未知的重点人群"),
        ("school-age", {"poverty_household": "maybe"}, "脱贫户"),
        ("school-age", {"from": "2026-13-01"}, "起始日期不是有效日期"),
        ("school-age", {"offset": "x"}, "整数"),
    ],
)
def test_unusable_filters_are_refused_in_words(ledger: str, raw: dict[str, str], words: str) -> None:
    with pytest.raises(FilterError, match=words):
        parse_query(ledger, raw)


def test_only_clear_student_numbers_are_linked() -> None:
    assert clear_student("G140224201405090011") == "G140224201405090011"
    assert clear_student("G1402**********0011") is None
    assert clear_student(None) is None


@pytest.mark.parametrize(
    ("today", "quarters"),
    [
        (date(2026, 9, 1), ["2026-Q3"]),
        (date(2026, 12, 7), ["2026-Q3", "2026-Q4"]),
        (date(2027, 5, 1), ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"]),
        (date(2027, 8, 31), ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3"]),
    ],
)
def test_the_school_years_quarters_run_from_september_to_today(today: date, quarters: list[str]) -> None:
    assert school_year_quarters(today) == quarters


def test_chart_series_count_what_the_figures_say() -> None:
    trend = trend_chart(["2026-Q3", "2026-Q4"], [{"flagged": 1}, {"flagged": 3, "confirmed": 2}])
    assert trend["series"][0] == {"name": "新发现疑似", "data": [1, 3]}
    assert trend["series"][1]["data"] == [0, 2]
    groups = group_chart({"flagged.g.left_behind": 2, "confirmed.g.orphan": 1})
    assert "留守儿童" in groups["categories"]
    assert groups["series"][0]["data"][groups["categories"].index("留守儿童")] == 2


def test_headline_marks_rates_and_warnings() -> None:
    stats = {"figures": {"suspected": 3, "enrolment_rate": 0.98, "orders_overdue": 1}, "labels": {"suspected": "疑似"}}
    shown = {f["key"]: f for f in headline(stats)}
    assert shown["suspected"]["name"] == "疑似" and shown["enrolment_rate"]["rate"]
    assert shown["orders_overdue"]["warn"] and not shown["suspected"]["warn"]


def test_suspects_reasons_read_in_chinese() -> None:
    assert reason_zh("15 consecutive school days of unexcused absence from 2026-11-13 to 2026-12-03") == (
        "2026-11-13 至 2026-12-03 连续 15 个校日无故缺勤"
    )
    assert reason_zh("on the national platform's suspected list: 比对") == "国家平台疑似辍学名单：比对"
    assert reason_zh("something else") == "something else"
    assert reason_zh(None) == "—"
