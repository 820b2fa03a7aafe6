"""School staff upload a day's attendance with one bad row, see the error next to the row, fix it, upload again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.browser.conftest import Shots
from tests.integration.browser.pages import find, sign_in, text_of, wait_text
from tests.integration.conftest import Stack
from tests.integration.console_support import add_user_by_command
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.test_roster_gaps import put_roll

COUNTY, SCHOOL = "140223", "1402230001"  # 广灵县: the school + region tests' county


def sheet(folder: Path, name: str, lines: list[str]) -> str:
    """A CSV of the attendance template (the headers people see), saved for the browser to pick."""
    path = folder / name
    path.write_text("\n".join(["学籍号,出勤状态,缺勤原因,备注", *lines]) + "\n", encoding="utf-8")
    return str(path)


async def test_school_staff_fix_a_bad_row_and_the_day_is_stored(
    stack: Stack,
    services: dict[str, ServiceProcess],
    console: ServiceProcess,
    browser: tuple[Any, Shots],
    tmp_path: Path,
) -> None:
    driver, shots = browser
    pupils = [kid(COUNTY, seq) for seq in (1, 2, 3)]
    ids = [p["student_id"] for p in pupils]
    day = past_school_days(1)[0]
    ingest = httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30)
    async with ingest:
        await register(ingest, stack.token("admin"), SCHOOL, COUNTY)
        await put_roll(ingest, stack, SCHOOL, past_school_days(5)[0], pupils)
    add_user_by_command(stack, "guangling-teacher", "王老师", "school_staff", f"school:{SCHOOL}")

    sign_in(driver, console.url, "guangling-teacher")
    assert driver.current_url.endswith(f"/schools/{SCHOOL}")
    find(driver, "#today-status")
    shots("school-home")

    driver.get(f"{console.url}/schools/{SCHOOL}/uploads/attendance")
    date_input = find(driver, "#date")
    driver.execute_script("arguments[0].value = arguments[1]", date_input, day.isoformat())
    stranger = kid(COUNTY, 9)["student_id"]  # a valid number, not on this school's roll
    bad = sheet(tmp_path, "day-bad.csv", [f"{ids[0]},出勤,,", f"{ids[1]},无故缺勤,unknown,", f"{stranger},出勤,,"])
    find(driver, "#file").send_keys(bad)
    shots("attendance-form")
    find(driver, "#upload").click()
    wait_text(driver, "#problems", "不在本校花名册上")
    assert "没有保存任何内容" in text_of(driver, "#problems-summary")
    row = find(driver, '#problems tr.problem[data-row="4"]')
    assert stranger in row.text, row.text
    shots("attendance-error")

    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        path = f"/v1/schools/{SCHOOL}/attendance/{day.isoformat()}"
        before = (await http.get(path, headers=auth(stack.token(f"school:{SCHOOL}")))).json()
    assert before["submitted"] is False, "a file with a bad row stores nothing"

    date_input = find(driver, "#date")
    driver.execute_script("arguments[0].value = arguments[1]", date_input, day.isoformat())
    good = sheet(tmp_path, "day-fixed.csv", [f"{ids[0]},出勤,,", f"{ids[1]},无故缺勤,unknown,", f"{ids[2]},迟到,,"])
    find(driver, "#file").send_keys(good)
    find(driver, "#upload").click()
    wait_text(driver, "#stored", "共 3 条记录")
    assert "缺勤 1 条" in text_of(driver, "#stored")
    shots("attendance-stored")

    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        after = (await http.get(path, headers=auth(stack.token(f"school:{SCHOOL}")))).json()
    assert after["submitted"] is True and after["counts"] == {"present": 1, "absent_unexcused": 1, "late": 1}
