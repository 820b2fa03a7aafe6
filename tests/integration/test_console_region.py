"""The console's region pages over HTTP: figures by sub-region, the tier's report for a period and its downloads."""

from __future__ import annotations

import io
import json

import openpyxl  # type: ignore[import-untyped]
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.console_client import console_client, sign_in, visible
from tests.integration.console_support import add_user
from tests.integration.test_source_outcomes import shanghai_today

CITY, COUNTIES = "140400", ("140403", "140404")  # 长治市 with 潞州区, 上党区: the school + region tests' city


def semester_of(today: object) -> str:
    """The city report's current period label (S1 autumn term of YYYY, S2 spring term of YYYY+1)."""
    y, m = today.year, today.month  # type: ignore[attr-defined]
    return f"{y}-S1" if m >= 9 else f"{y - 1}-S1" if m == 1 else f"{y - 1}-S2"


async def test_a_city_viewer_sees_its_counties_and_downloads_the_semester_report(
    stack: Stack,
    services: dict[str, ServiceProcess],
    console: ServiceProcess,
) -> None:
    await add_user(stack, "changzhi-viewer", "陈主任", "region_viewer", f"region:{CITY}")
    period = semester_of(shanghai_today())
    async with console_client(console) as client:
        await sign_in(client, "changzhi-viewer")
        home = await client.get(f"/regions/{CITY}")
        assert home.status_code == 200, home.text
        page = visible(home.text)
        assert "长治市" in page and "潞州区" in page and "上党区" in page, page
        for county in COUNTIES:
            assert f'data-region="{county}"' in home.text
            assert f'href="/counties/{county}"' in home.text, "a city's sub-regions are counties"
        assert "适龄儿童少年人数" in page, "the figures carry reporting's Chinese labels"

        reports = await client.get(f"/regions/{CITY}/reports")
        assert reports.status_code == 200, reports.text
        assert "地市学期调研" in visible(reports.text) and f'value="{period}" selected' in reports.text
        assert 'class="report-section"' in reports.text, "the report's sections are shown as tables"

        chosen = await client.get(f"/regions/{CITY}/reports", params={"period": "2025-S1"})
        assert chosen.status_code == 200 and "2025-S1" in visible(chosen.text)
        wrong = await client.get(f"/regions/{CITY}/reports", params={"period": "2025-Q1"})
        assert wrong.status_code == 200 and 'id="report-error"' in wrong.text, "a bad period is said in words"

        base = f"/regions/{CITY}/reports/download"
        as_json = await client.get(base, params={"period": period, "format": "json"})
        assert as_json.status_code == 200 and "attachment" in as_json.headers["content-disposition"]
        assert json.loads(as_json.content)["report"] == "city-semester"
        as_csv = await client.get(base, params={"period": period, "format": "csv"})
        assert as_csv.status_code == 200 and "地市学期调研" in as_csv.content.decode("utf-8-sig")
        as_xlsx = await client.get(base, params={"period": period, "format": "xlsx"})
        assert as_xlsx.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).worksheets, "a real workbook"

        for path in ("/regions/140300", "/regions/000000", "/regions/140300/reports"):
            refused = await client.get(path)
            assert refused.status_code == 403 and "无权访问" in visible(refused.text), path
        unknown = await client.get(f"{base}?period={period}&format=pdf")
        assert unknown.status_code == 422 and "填写的内容有误" in visible(unknown.text)


async def test_a_school_user_cannot_open_region_pages(
    stack: Stack,
    services: dict[str, ServiceProcess],
    console: ServiceProcess,
) -> None:
    await add_user(stack, "changzhi-school", "周老师", "school_staff", "school:1404030001")
    async with console_client(console) as client:
        await sign_in(client, "changzhi-school")
        refused = await client.get(f"/regions/{CITY}")
        assert refused.status_code == 403 and "无权访问" in visible(refused.text)
        other_school = await client.get("/schools/1404030002")
        assert other_school.status_code == 403 and "只能查看学校 1404030001" in visible(other_school.text)
