"""The five periodic reports on the real database: counters seeded through the real ledger handler, each
report's content in JSON, CSV and XLSX, and who may read which report.

City 3304 (嘉兴市): 南湖区 330402 with schools 3304020001 and 3304020002, 秀洲区 330411 with 3304110001.
In 2026-Q1 南湖区 has four children (three in school, one dropped out), three suspects (one confirmed and
back in school, one cleared as transferred, one being verified) and one case; 秀洲区 two children and a
pending suspect.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

import httpx
import openpyxl  # type: ignore[import-untyped]
import pytest
from baoxue_common.settings import get_settings
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import SchoolRegistered
from baoxue_contracts.events.ledger import EntrySnapshot, LedgerEntryChanged
from reporting.bootstrap import bootstrap
from reporting.entrypoints.app import create_app
from reporting.feeds import schools_registered
from reporting.handlers import ledger_entries_changed

from tests.integration.conftest import Stack

NANHU, XIUZHOU, CITY, PROVINCE = "330402", "330411", "330400", "330000"
A, B, C = "3304020001", "3304020002", "3304110001"


def change(
    ledger: str, county: str, school: str, status: str, on: date, before: dict[str, Any] | None = None, **more: Any
) -> LedgerEntryChanged:
    """A ledger change as the ledger publishes it (`before`: the entry's state before, None when added)."""
    entry = more.pop("entry_id", uuid.uuid4())
    return LedgerEntryChanged.model_validate(
        {
            "ledger": ledger,
            "entry_id": entry,
            "change": "added" if before is None else "updated",
            "county_code": county,
            "school_code": school,
            "status": status,
            "changed_on": on,
            "before": None if before is None else EntrySnapshot.model_validate({"school_code": school, **before}),
            **more,
        }
    )


def scenario() -> list[LedgerEntryChanged]:
    """The quarter's ledger changes, in order."""
    s1, s2, s3, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    feb, mar = date(2026, 2, 10), date(2026, 3, 10)
    return [
        change("school_age", NANHU, A, "enrolled", feb, groups=("orphan",), grade=3),
        change("school_age", NANHU, A, "enrolled", feb, poverty_household=True, grade=3),
        change("school_age", NANHU, B, "enrolled", feb, grade=4),
        change("school_age", NANHU, A, "dropout", feb, grade=5),
        change("school_age", XIUZHOU, C, "enrolled", feb, grade=1),
        change("school_age", XIUZHOU, C, "enrolled", feb, grade=2),
        change("suspected", NANHU, A, "pending", feb, entry_id=s1, source="attendance", flagged_on=feb),
        change(
            "suspected",
            NANHU,
            A,
            "confirmed_dropout",
            date(2026, 2, 20),
            {"status": "pending", "source": "attendance"},
            entry_id=s1,
            source="attendance",
            flagged_on=feb,
        ),
        change("dropouts", NANHU, A, "open", date(2026, 2, 20), entry_id=case, flagged_on=feb, cause="work"),
        change(
            "dropouts",
            NANHU,
            A,
            "returned",
            date(2026, 3, 15),
            {"status": "open", "cause": "work", "flagged_on": feb},
            entry_id=case,
            flagged_on=feb,
            returned_on=date(2026, 3, 15),
            cause="work",
        ),
        change("suspected", NANHU, A, "pending", date(2026, 3, 1), entry_id=s2, source="cross_check"),
        change(
            "suspected",
            NANHU,
            A,
            "cleared",
            date(2026, 3, 5),
            {"status": "pending", "source": "cross_check"},
            entry_id=s2,
            source="cross_check",
            reason="transferred",
        ),
        change("suspected", NANHU, B, "pending", mar, entry_id=s3, source="field", poverty_household=True),
        change(
            "suspected",
            NANHU,
            B,
            "verifying",
            mar,
            {"status": "pending", "source": "field", "poverty_household": True},
            entry_id=s3,
            source="field",
            poverty_household=True,
        ),
        change("suspected", XIUZHOU, C, "pending", date(2026, 3, 2), source="national_platform"),
    ]


@pytest.fixture(scope="module")
async def reporting(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """Reporting in this process on the test database, its counters seeded through the real batch handler."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in stack.env.items():
            env.setenv(name, value)
        get_settings.cache_clear()
        async for http in _serve(stack):
            yield http
    get_settings.cache_clear()


async def _serve(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    runtime = await bootstrap(get_settings())
    events = scenario()
    async with runtime.uow() as uow:
        now = datetime.now(UTC)
        envelopes = [Envelope.wrap(e, producer="ledger", region=e.county_code, occurred_at=now) for e in events]
        await ledger_entries_changed(list(zip(events, envelopes, strict=True)), uow)
        registered = [
            SchoolRegistered(school_code=code, name=name, county_code=code[:6], kind="primary")
            for code, name in ((A, "南湖实验小学"), (B, "南湖第二小学"), (C, "秀洲实验小学"))
        ]
        await schools_registered(
            [
                (e, Envelope.wrap(e, producer="attendance-ingest", region=e.county_code, occurred_at=now))
                for e in registered
            ],
            uow,
        )
        await uow.commit()
    app = create_app()
    app.state.runtime = runtime
    revocations = asyncio.create_task(runtime.revocations.run())
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as http:
            yield http
    finally:
        runtime.revocations.stop()
        await revocations
        await runtime.engine.dispose()


def auth(stack: Stack, scope: str) -> dict[str, str]:
    """The header of a token with that scope."""
    return {"Authorization": f"Bearer {stack.token(scope)}"}


async def get(http: httpx.AsyncClient, stack: Stack, scope: str, path: str, fmt: str = "json") -> httpx.Response:
    """A report in one format."""
    return await http.get(f"/v1/reports/{path}", params={"format": fmt}, headers=auth(stack, scope))


def csv_lines(r: httpx.Response) -> list[list[str]]:
    """A CSV download's lines (it starts with a BOM)."""
    assert r.headers["content-type"].startswith("text/csv") and r.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def table_after(lines: list[list[str]], title: str) -> list[list[str]]:
    """A CSV section's header then rows: the lines after its title, up to the blank line."""
    start = lines.index([title]) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def workbook(r: httpx.Response) -> Any:
    """An XLSX download opened, after checking it holds at least one native chart."""
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert any(n.startswith("xl/charts/chart") for n in names), "a native chart"
    return openpyxl.load_workbook(io.BytesIO(r.content))


def download_name(r: httpx.Response) -> str:
    """The Chinese file name of a download (RFC 5987 filename*)."""
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    return unquote(disposition.split("filename*=UTF-8''")[1])


async def test_school_monthly_report_in_three_formats(stack: Stack, reporting: httpx.AsyncClient) -> None:
    path, own = f"school-monthly/{A}/2026-03", f"school:{A}"
    r = await get(reporting, stack, own, path)
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["report"], data["region_code"], data["period"]["label"]) == ("school-monthly", A, "2026-03")
    suspects = {row["key"]: row["value"] for row in data["sections"]["suspects"]["rows"]}
    assert suspects["flagged"] == 1 and suspects["cleared"] == 1 and suspects["cleared.reason.transferred"] == 1
    assert suspects["confirmed"] == 0, "the confirmation was in February"
    cases = {row["key"]: row["value"] for row in data["sections"]["cases"]["rows"]}
    assert cases["returned"] == 1 and cases["cases_back"] == 1
    assert data["labels"]["sections"]["suspects"] == "疑似辍学学生及核实"

    lines = csv_lines(await get(reporting, stack, own, path, "csv"))
    suspects_csv = table_after(lines, "疑似辍学学生及核实")
    assert suspects_csv[0] == ["指标", "数值"]
    assert ["排除:已转学", "1"] in suspects_csv and ["核实逾期数", "0"] in suspects_csv

    r = await get(reporting, stack, own, path, "xlsx")
    assert download_name(r) == "南湖实验小学_学校月报告_2026-03.xlsx"  # the registered name
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[:3] == ["报告信息", "出勤汇总(按班级)", "缺勤情况(按类型)"]
    sheet = book["辍学学生劝返"]
    assert [c.value for c in sheet[4]] == ["指标", "数值"]
    assert ["劝返复学人数", 1] in [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]


async def test_county_quarterly_report_in_three_formats(stack: Stack, reporting: httpx.AsyncClient) -> None:
    path, county = f"county-quarterly/{NANHU}/2026-Q1", f"region:{NANHU}"
    data = (await get(reporting, stack, county, path)).json()
    assert data["region_name"] == "南湖区" and data["period"]["end"] == "2026-03-31"
    schools = {row["code"]: row for row in data["sections"]["schools"]["rows"]}
    assert set(schools) == {A, B}
    assert (schools[A]["flagged"], schools[A]["confirmed"], schools[A]["returned"]) == (2, 1, 1)
    assert (schools[B]["flagged"], schools[B]["in_school"]) == (1, 1)
    verification = {row["key"]: row["value"] for row in data["sections"]["verification"]["rows"]}
    assert (verification["flagged"], verification["verifying"], verification["suspected"]) == (3, 1, 1)
    groups = {row["group"]: row for row in data["sections"]["priority_groups"]["rows"]}
    assert groups["orphan"]["population"] == 1 and groups["orphan"]["in_school"] == 1
    assert data["sections"]["poverty"]["rows"][0]["population"] == 1
    assert data["sections"]["poverty"]["rows"][0]["suspected"] == 1
    checks = {
        row["check"]: (row["left"], row["right"], row["passed"]) for row in data["sections"]["consistency"]["rows"]
    }
    assert checks == {
        "population": (4, 4, True),
        "confirmed_vs_cases": (1, 1, True),
        "cases_by_status": (1, 1, True),
    }

    lines = csv_lines(await get(reporting, stack, county, path, "csv"))
    assert lines[0] == ["县级季度复核报告(控辍保学)"] and ["地区", "南湖区", "代码", NANHU] in lines
    schools_csv = table_after(lines, "各校情况")
    assert schools_csv[0][:5] == ["学校", "代码", "在校（在学）人数", "出勤率", "新发现疑似辍学人数"]
    assert [schools_csv[1][1], schools_csv[1][4], schools_csv[1][5]] == [A, "2", "1"]
    consistency_csv = table_after(lines, "台账一致性核查")
    assert consistency_csv[0] == ["核查项", "左值", "右值", "结果"] and all(r[3] == "通过" for r in consistency_csv[1:])

    r = await get(reporting, stack, county, path, "xlsx")
    assert download_name(r) == "南湖区_县级季度复核报告_2026-Q1.xlsx"
    book = workbook(r)
    assert "台账一致性核查" in book.sheetnames and "重点人群" in book.sheetnames
    sheet = book["各校情况"]
    assert [c.value for c in sheet[4]][:3] == ["学校", "代码", "在校（在学）人数"]
    assert [sheet.cell(5, 2).value, sheet.cell(5, 5).value, sheet.cell(5, 4).value] == [A, 2, "—"]


async def test_city_semester_report_compares_counties_and_semesters(stack: Stack, reporting: httpx.AsyncClient) -> None:
    path, city = f"city-semester/{CITY}/2025-S2", f"region:{CITY}"
    data = (await get(reporting, stack, city, path)).json()
    assert data["period"] == {"label": "2025-S2", "kind": "semester", "start": "2026-02-01", "end": "2026-08-31"}
    counties = {row["code"]: row for row in data["sections"]["counties"]["rows"]}
    assert list(counties)[:2] == [NANHU, XIUZHOU] and counties[XIUZHOU]["name"] == "秀洲区"
    assert len(counties) == 8, "every county of 嘉兴市 in GB/T 2260, then the city"
    assert counties["330421"]["name"] == "嘉善县" and counties["330421"]["confirmed"] == 0
    assert (counties[NANHU]["population"], counties[XIUZHOU]["population"], counties[CITY]["population"]) == (4, 2, 6)
    assert (counties[NANHU]["suspected"], counties[XIUZHOU]["suspected"]) == (1, 1)
    trend = {(row["code"], row["indicator"]): row for row in data["sections"]["trends"]["rows"]}
    flagged = trend[(CITY, "flagged")]
    assert (flagged["current"], flagged["previous"], flagged["change"]) == (4, 0, 4)

    lines = csv_lines(await get(reporting, stack, city, path, "csv"))
    trends_csv = table_after(lines, "趋势(本学期与上学期比较)")
    assert trends_csv[0] == ["地区", "代码", "指标", "本学期", "上学期(2025-S1)", "变化"]
    assert ["嘉兴市", CITY, "新发现疑似辍学人数", "4", "0", "4"] in trends_csv

    book = workbook(await get(reporting, stack, city, path, "xlsx"))
    rows = [[c.value for c in row] for row in book["各县(区)对比"].iter_rows(min_row=5, max_col=3)]
    assert ["秀洲区", XIUZHOU, 2] in rows


async def test_province_annual_report_against_targets(stack: Stack, reporting: httpx.AsyncClient) -> None:
    path, province = f"province-annual/{PROVINCE}/2025-2026", f"region:{PROVINCE}"
    data = (await get(reporting, stack, province, path)).json()
    assert data["due_date"] == "2026-07-31" and data["region_name"] == "浙江省"
    cities = {row["code"]: row for row in data["sections"]["cities"]["rows"]}
    assert cities[CITY]["name"] == "嘉兴市" and cities[CITY]["consolidation_target"] == 0.99
    counties = {row["code"]: row for row in data["sections"]["counties"]["rows"]}
    assert counties[NANHU]["city"] == "嘉兴市" and counties[NANHU]["confirmed"] == 1
    rate = counties[NANHU]["enrolment_rate"]
    assert counties[NANHU]["enrolment_met"] == (None if rate is None else "达标" if rate >= 1 else "未达标")

    lines = csv_lines(await get(reporting, stack, province, path, "csv"))
    assert ["报送截止日期", "2026-07-31"] in lines
    counties_csv = table_after(lines, "各县(区)指标")
    assert counties_csv[0][:6] == ["所属市", "县(区)", "代码", "入学率", "入学率目标", "入学率达标"]
    [nanhu] = [row for row in counties_csv if row[2] == NANHU]
    assert nanhu[4] == "100.00%"

    book = workbook(await get(reporting, stack, province, path, "xlsx"))
    sheet = book["各县(区)指标"]
    [row] = [r for r in sheet.iter_rows(min_row=5) if r[2].value == NANHU]
    assert row[4].value == 1.0 and row[4].number_format == "0.00%"


async def test_national_bimonthly_report_per_province(stack: Stack, reporting: httpx.AsyncClient) -> None:
    path = "national-bimonthly/2026-B2"
    data = (await get(reporting, stack, "national", path)).json()
    provinces = {row["code"]: row for row in data["sections"]["provinces"]["rows"]}
    assert provinces[PROVINCE]["name"] == "浙江省" and provinces[PROVINCE]["flagged"] >= 3
    assert provinces["000000"]["name"] == "全国"
    lines = csv_lines(await get(reporting, stack, "admin", path, "csv"))
    assert table_after(lines, "各省情况")[0][:2] == ["省份", "代码"]
    book = workbook(await get(reporting, stack, "national", path, "xlsx"))
    assert book.sheetnames == ["报告信息", "各省情况"]


@pytest.mark.parametrize(
    ("scope", "path", "status"),
    [
        (f"region:{XIUZHOU}", f"county-quarterly/{NANHU}/2026-Q1", 403),
        (f"region:{CITY}", f"county-quarterly/{NANHU}/2026-Q1", 200),
        (f"school:{A}", f"county-quarterly/{NANHU}/2026-Q1", 403),
        (f"school:{B}", f"school-monthly/{A}/2026-03", 403),
        (f"region:{XIUZHOU}", f"school-monthly/{A}/2026-03", 403),
        (f"region:{NANHU}", f"school-monthly/{A}/2026-03", 200),
        ("national", f"school-monthly/{A}/2026-03", 200),
        (f"region:{NANHU}", f"city-semester/{CITY}/2025-S2", 403),
        (f"region:{PROVINCE}", "national-bimonthly/2026-B2", 403),
        (f"region:{NANHU}", f"county-quarterly/{NANHU}/2026-13", 422),
        (f"region:{NANHU}", f"county-quarterly/{NANHU}/2026-03", 422),
        ("admin", "province-annual/330000/2025-2027", 422),
        ("admin", f"school-monthly/{A}/2026-Q1", 422),
        ("admin", "county-quarterly/330499/2026-Q1", 404),
        ("admin", f"county-quarterly/{CITY}/2026-Q1", 404),
        ("admin", "school-monthly/3304029999/2026-03", 404),
    ],
)
async def test_who_may_read_which_report(
    stack: Stack, reporting: httpx.AsyncClient, scope: str, path: str, status: int
) -> None:
    r = await get(reporting, stack, scope, path)
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_bad_format_is_422(stack: Stack, reporting: httpx.AsyncClient) -> None:
    r = await get(reporting, stack, "admin", f"county-quarterly/{NANHU}/2026-Q1", "pdf")
    assert r.status_code == 422, r.text
