"""The console's school pages over HTTP: templates, roll and attendance uploads checked row by row, the home page."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped]
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.console_client import console_client, sign_in, visible
from tests.integration.console_support import add_user
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import eventually
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_source_outcomes import shanghai_today
from tests.integration.test_verifications import push

COUNTY, SCHOOL, OTHER = "140223", "1402230002", "1402230003"  # 广灵县: the school + region tests' county
ROLL_HEADER = ["学籍号", "身份证号", "姓名", "性别", "出生日期", "年级", "班级", "户籍所在县代码", "居住地县代码"]
ROLL_HEADER += ["重点人群", "脱贫家庭"]


def roll_line(pupil: dict[str, Any], **changes: str) -> list[str]:
    """A roll template row of a pupil, as a teacher fills it in."""
    row = [pupil["student_id"], pupil["national_id"], pupil["name"], "女" if pupil["gender"] == "F" else "男"]
    row += [pupil["birth_date"], "5", "5-1", COUNTY, COUNTY, "留守儿童", "否"]
    for key, value in changes.items():
        row[ROLL_HEADER.index(key)] = value
    return row


def xlsx(rows: list[list[str]]) -> bytes:
    """An XLSX workbook of the rows, first row the header."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8")


async def upload(client: httpx.AsyncClient, kind: str, day: date, name: str, body: bytes) -> httpx.Response:
    """Post a file to the upload form as the browser does (multipart, date field, CSRF header)."""
    files = {"file": (name, body, "application/octet-stream")}
    return await client.post(f"/schools/{SCHOOL}/uploads/{kind}", data={"date": day.isoformat()}, files=files)


async def roll_count(http: httpx.AsyncClient, stack: Stack) -> int:
    r = await http.get(f"/v1/schools/{SCHOOL}/roster", headers=auth(stack.token(f"school:{SCHOOL}")))
    assert r.status_code == 200, r.text
    total: int = r.json()["total"]
    return total


async def test_uploads_show_every_bad_row_store_nothing_then_store_the_clean_file(
    stack: Stack,
    services: dict[str, ServiceProcess],
    console: ServiceProcess,
) -> None:
    pupils = [kid(COUNTY, seq) for seq in (11, 12, 13)]
    ids = [p["student_id"] for p in pupils]
    await add_user(stack, "guangling-school-http", "刘老师", "school_staff", f"school:{SCHOOL}")
    ingest = httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30)
    async with ingest, console_client(console) as client:
        await register(ingest, stack.token("admin"), SCHOOL, COUNTY)
        await sign_in(client, "guangling-school-http")
        for name in ("roll.csv", "roll.xlsx", "attendance.csv", "attendance.xlsx"):
            r = await client.get(f"/schools/{SCHOOL}/templates/{name}")
            assert r.status_code == 200 and "attachment" in r.headers["content-disposition"], name
        assert "学籍号" in (await client.get(f"/schools/{SCHOOL}/templates/roll.csv")).content.decode("utf-8-sig")
        other = await client.get(f"/schools/{OTHER}/uploads/roll")
        assert other.status_code == 403 and "无权访问" in other.text

        as_of = past_school_days(5)[0]
        bad_roll = [
            ROLL_HEADER,
            roll_line(pupils[0]),
            roll_line(pupils[1], 性别="男女"),
            roll_line(pupils[2], 身份证号="140223201405091234", 年级="12"),
        ]
        r = await upload(client, "roll", as_of, "roll.xlsx", xlsx(bad_roll))
        assert r.status_code == 422, r.text
        page = visible(r.text)
        assert "没有保存任何内容" in page and "性别应为 男 或 女" in page and "应在 1 到 9 之间" in page, page
        assert 'data-row="3"' in r.text and 'data-row="4"' in r.text and 'data-row="2"' not in r.text
        assert await roll_count(ingest, stack) == 0, "a roll with a bad row stores nothing"

        r = await upload(client, "roll", as_of, "roll.xlsx", xlsx([ROLL_HEADER, *map(roll_line, pupils)]))
        assert r.status_code == 200, visible(r.text)
        assert "新入册 3 人" in visible(r.text)
        assert await roll_count(ingest, stack) == 3

        day = past_school_days(1)[0]
        header = ["学籍号", "出勤状态", "缺勤原因", "备注"]
        stranger = kid(COUNTY, 19)["student_id"]
        bad_day = [header, [ids[0], "出勤", "", ""], [ids[0], "迟到", "", ""], [ids[1], "旷课", "", ""]]
        bad_day += [[stranger, "出勤", "", ""], ["123", "出勤", "", ""]]
        r = await upload(client, "attendance", day, "day.csv", csv_bytes(bad_day))
        assert r.status_code == 422, r.text
        page = visible(r.text)
        for words in ("与第 2 行是同一学生", "出勤状态只能是", "不在本校花名册上", "学籍号应为"):
            assert words in page, (words, page)
        future = await upload(client, "attendance", date(2099, 1, 5), "day.csv", csv_bytes(bad_day[:2]))
        assert future.status_code == 422 and "不能上传将来的日期" in visible(future.text)
        stored = await ingest.get(
            f"/v1/schools/{SCHOOL}/attendance/{day}", headers=auth(stack.token(f"school:{SCHOOL}"))
        )
        assert stored.json()["submitted"] is False

        good_day = [
            header,
            [ids[0], "出勤", "", ""],
            [ids[1], "absent_excused", "sick", "发烧"],
            [ids[2], "早退", "", ""],
        ]
        r = await upload(client, "attendance", day, "day.xlsx", xlsx(good_day))
        assert r.status_code == 200, visible(r.text)
        assert "共 3 条记录，其中缺勤 1 条" in visible(r.text)
        stored = await ingest.get(
            f"/v1/schools/{SCHOOL}/attendance/{day}", headers=auth(stack.token(f"school:{SCHOOL}"))
        )
        assert stored.json() | {"counts": None} == {
            "school_code": SCHOOL,
            "county_code": COUNTY,
            "date": day.isoformat(),
            "submitted": True,
            "counts": None,
            "total": 3,
            "unrecorded": 0,
        }

        home = await client.get(f"/schools/{SCHOOL}")
        assert home.status_code == 200
        today = shanghai_today()
        assert 'id="today-status">未报送' in home.text
        if today.weekday() < 5:  # every weekday teaches in the test calendars
            body = {"date": today.isoformat(), "records": [{"student_id": i, "status": "present"} for i in ids]}
            r = await ingest.post(
                f"/v1/schools/{SCHOOL}/attendance", headers=auth(stack.token(f"school:{SCHOOL}")), json=body
            )
            assert r.status_code == 200, r.text
            home = await client.get(f"/schools/{SCHOOL}")
            assert 'id="today-status">已报送' in home.text and "出勤 3 人" in visible(home.text)
        assert "本校目前没有待核实或核实中的疑似辍学学生" in visible(home.text)


async def test_the_school_home_lists_open_warnings_until_the_pupil_is_back(
    stack: Stack,
    services: dict[str, ServiceProcess],
    console: ServiceProcess,
) -> None:
    school = "1402230006"
    pupils = [kid(COUNTY, seq) for seq in (61, 62)]
    absent, present = (p["student_id"] for p in pupils)
    days = past_school_days(5)
    await add_user(stack, "guangling-warnings", "孙老师", "school_staff", f"school:{school}")
    token = auth(stack.token(f"school:{school}"))
    async with (
        httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as ingest,
        httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification,
        console_client(console) as client,
    ):
        await register(ingest, stack.token("admin"), school, COUNTY)
        await put_roll(ingest, stack, school, days[0], pupils)
        await sign_in(client, "guangling-warnings")
        assert "本校目前没有未解除的家访预警" in visible((await client.get(f"/schools/{school}")).text)
        for day in days[1:4]:  # three unexcused school days in a row: the national home-visit threshold
            await push(ingest, stack, day, {absent: "absent_unexcused", present: "present"}, school)

        async def warned() -> bool:
            page = await client.get(f"/schools/{school}")
            return 'class="warning"' in page.text and absent in page.text

        await eventually(warned)
        listed = (await verification.get(f"/v1/schools/{school}/warnings", headers=token)).json()
        assert [w["student_id"] for w in listed["items"]] == [absent] and listed["total"] == 1
        other = await verification.get(f"/v1/schools/{school}/warnings", headers=auth(stack.token(f"school:{SCHOOL}")))
        assert other.status_code == 403, other.text
        elsewhere = auth(stack.token("region:140224"))  # another county of the same city
        refused = await verification.get(f"/v1/schools/{school}/warnings", headers=elsewhere)
        assert refused.status_code == 403, refused.text
        unknown = await verification.get(
            "/v1/schools/1402239999/warnings", headers=auth(stack.token(f"region:{COUNTY}"))
        )
        assert unknown.status_code == 404, unknown.text

        await push(ingest, stack, days[4], {absent: "present", present: "present"}, school)

        async def cleared() -> bool:
            r = await verification.get(f"/v1/schools/{school}/warnings", headers=token)
            return r.json()["total"] == 0

        await eventually(cleared)
        assert "本校目前没有未解除的家访预警" in visible((await client.get(f"/schools/{school}")).text)
