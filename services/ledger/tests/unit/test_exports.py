"""What a ledger export shows: guarded cells, masked student numbers, Chinese headers and labels, whitelisted sorts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args

import pytest
from baoxue_common.auth import Principal
from baoxue_common.errors import Forbidden
from baoxue_common.testing import student_id
from baoxue_contracts.base import PRIORITY_GROUPS
from ledger.domain.exports import (
    GROUP_LABELS,
    SPECS,
    export_row,
    guard_cell,
    headers,
    mask_student_id,
    parse_sort,
)
from ledger.domain.ledgers import CASE_LABELS, SCHOOL_AGE_LABELS, STATUS_LABELS, LedgerName
from ledger.exports import disposition, ensure_clear_allowed


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_a_spreadsheet_would_run_gets_a_leading_quote(start: str) -> None:
    hostile = f'{start}HYPERLINK("http://x")'
    assert guard_cell(hostile) == "'" + hostile


@pytest.mark.parametrize("text", ["", "三年级2班", "1401210001", "a=b", " =1"])
def test_an_ordinary_cell_is_left_as_it_is(text: str) -> None:
    assert guard_cell(text) == text


def test_a_student_number_shows_only_the_ends_of_its_id_number() -> None:
    sid = student_id("140121", date(2014, 3, 5), 7)
    masked = mask_student_id(sid)
    assert masked is not None
    assert masked[0] == "G" and len(masked) == len(sid)
    assert masked[1:5] == sid[1:5] and masked[-4:] == sid[-4:]
    assert set(masked[5:-4]) == {"*"}
    assert mask_student_id(None) is None


def test_an_export_row_masks_unless_clear_and_writes_labels_in_chinese() -> None:
    sid = student_id("140121", date(2014, 3, 5), 8)
    row = {
        "student_id": sid,
        "school_code": "1401210001",
        "status": "verifying",
        "groups": ["left_behind", "orphan"],
        "poverty_household": True,
        "flagged_on": date(2026, 9, 14),
        "reason": "=cmd|' /C calc'!A0",
        "source": "attendance",
    }
    spec = SPECS["suspected"]
    cells = dict(zip(headers(spec), export_row(spec, row, clear=False), strict=True))
    assert cells["学籍号"] == mask_student_id(sid)
    assert cells["状态"] == "核实中"
    assert cells["重点人群"] == "留守儿童、孤儿"
    assert cells["脱贫户"] == "是"
    assert cells["疑似日期"] == "2026-09-14"
    assert cells["疑似原因"].startswith("'=")
    assert cells["排除日期"] == ""
    clear = dict(zip(headers(spec), export_row(spec, row, clear=True), strict=True))
    assert clear["学籍号"] == sid


def test_each_ledger_has_chinese_headers_and_labels_for_every_status() -> None:
    assert {"学籍号", "学校标识码", "年级", "状态", "重点人群", "脱贫户"} <= set(headers(SPECS["school-age"]))
    assert {"学籍号", "学校标识码", "状态", "疑似日期", "重点人群", "脱贫户"} <= set(headers(SPECS["suspected"]))
    assert {"案件编号", "确认辍学日期", "主要辍学原因", "劝返级别"} <= set(headers(SPECS["dropouts"]))
    assert set(SPECS) == set(get_args(LedgerName))
    assert SPECS["school-age"].statuses is SCHOOL_AGE_LABELS
    assert SPECS["suspected"].statuses is STATUS_LABELS
    assert SPECS["dropouts"].statuses is CASE_LABELS
    assert set(GROUP_LABELS) == set(PRIORITY_GROUPS)
    for spec in SPECS.values():
        assert all(label and not label.isascii() for label in headers(spec))
        assert spec.main_date in spec.sorts


@pytest.mark.parametrize(
    ("ledger", "sort", "expected"),
    [
        ("suspected", None, ("flagged_on", True)),
        ("suspected", "school_code", ("school_code", False)),
        ("school-age", "-grade", ("grade", True)),
        ("dropouts", None, ("confirmed_on", True)),
    ],
)
def test_a_sort_names_a_whitelisted_column(ledger: str, sort: str | None, expected: tuple[str, bool]) -> None:
    assert parse_sort(SPECS[ledger], sort) == expected


@pytest.mark.parametrize("sort", ["national_id_hash", "-child_key", "grade; drop table x", "--flagged_on", ""])
def test_a_sort_outside_the_whitelist_is_refused(sort: str) -> None:
    with pytest.raises(ValueError, match="sort by one of"):
        parse_sort(SPECS["suspected"], sort or "-")


def test_the_file_name_is_chinese_with_an_ascii_fallback() -> None:
    value = disposition("dropouts", "140121", "xlsx", date(2026, 6, 30))
    assert 'filename="140121_dropouts_2026-06-30.xlsx"' in value
    assert "filename*=UTF-8''140121_%E8%BE%8D%E5%AD%A6" in value


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("region:140121", True),
        ("admin", True),
        ("region:140100", False),
        ("region:140000", False),
        ("region:140122", False),
        ("national", False),
        ("school:1401210001", False),
    ],
)
def test_a_clear_export_is_for_the_county_itself_or_admin(scope: str, allowed: bool) -> None:
    principal = Principal(scope=scope, jti="t", expires_at=datetime.now(UTC) + timedelta(hours=1))
    if allowed:
        ensure_clear_allowed(principal, "140121")
    else:
        with pytest.raises(Forbidden, match="region:140121 or admin"):
            ensure_clear_allowed(principal, "140121")
