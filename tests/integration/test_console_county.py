"""The console's county pages over HTTP, against the real console and the four real services: the home page's
figures and chart data, the three ledgers (filters, paging, as-of, row links), the CSV/XLSX downloads streamed
through, the consistency check, the access log, the national list feedback, and another county's user refused."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id

from tests.integration.conftest import Stack
from tests.integration.console_support import PASSWORD, add_user
from tests.integration.county_data import COUNTY, OTHER_COUNTY, SCHOOLS, seed_county
from tests.integration.roll_support import auth
from tests.integration.support import eventually


@asynccontextmanager
async def signed_in(console: ServiceProcess, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the session cookie of the user, signed in through the form."""
    async with httpx.AsyncClient(base_url=console.url, timeout=60) as http:
        r = await http.post("/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.text
        yield http


def chart_data(page: str) -> dict[str, dict[str, list[object]]]:
    """The charts' data the home page embeds."""
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)
    assert found, "the home page embeds its charts' data"
    data: dict[str, dict[str, list[object]]] = json.loads(html.unescape(found.group(1)))
    return data


async def test_county_pages_show_the_ledgers_figures_and_downloads(
    stack: Stack, services: dict[str, ServiceProcess], console: ServiceProcess
) -> None:
    county = await seed_county(stack, services)
    await add_user(stack, "county-h1-http", "孙丽", "county_caseworker", f"region:{COUNTY}")
    async with signed_in(console, "county-h1-http") as http:
        # Home: the live figures and three charts, with the suspects and cases in them.
        async def counted() -> str | None:
            r = await http.get(f"/counties/{COUNTY}")
            assert r.status_code == 200, r.text
            data = chart_data(r.text)
            confirmed = next(s for s in data["trend"]["series"] if s["name"] == "确认辍学")
            return r.text if sum(int(str(v)) for v in confirmed["data"]) >= 2 else None

        home = await eventually(counted)
        assert "疑似辍学人数" in home and 'id="chart-trend"' in home
        data = chart_data(home)
        assert data["groups"]["categories"][:4] == ["孤儿", "事实无人抚养儿童", "残疾儿童", "留守儿童"]
        r = await http.get(f"/counties/{COUNTY}/figures", headers={"HX-Request": "true"})
        assert r.status_code == 200 and 'class="figure' in r.text and "<html" not in r.text

        # Suspected ledger: the open suspect links to its verification; the confirmed ones do not.
        r = await http.get(f"/counties/{COUNTY}/ledgers/suspected")
        assert r.status_code == 200, r.text
        assert "共 <strong>3</strong> 条" in r.text, "the confirmed suspects stay, cleared ones would be left out"
        links = re.findall(r'class="verify-link" href="/suspicions/([0-9a-f-]+)/verification"', r.text)
        assert len(links) == 1 and links[0] in county.suspects
        r = await http.get(f"/counties/{COUNTY}/ledgers/suspected", params={"status": "confirmed_dropout"})
        assert "共 <strong>2</strong> 条" in r.text and "verify-link" not in r.text
        assert "/timeline" not in r.text, "masked student numbers are not linked"

        # Dropouts: each row links its case; filters by school, group; paging; as of a day before the cases.
        r = await http.get(f"/counties/{COUNTY}/ledgers/dropouts")
        cases = re.findall(r'class="case-link" href="/cases/([0-9a-f-]+)"', r.text)
        assert sorted(cases) == sorted(county.cases)
        r = await http.get(f"/counties/{COUNTY}/ledgers/dropouts", params={"school_code": SCHOOLS[1], "group": ""})
        assert len(re.findall('class="case-link"', r.text)) == 1
        r = await http.get(f"/counties/{COUNTY}/ledgers/school-age", params={"limit": 2})
        assert "共 <strong>6</strong> 条" in r.text and 'id="page-next"' in r.text and 'id="page-prev"' not in r.text
        nxt = html.unescape(re.search(r'id="page-next" href="([^"]+)"', r.text).group(1))  # type: ignore[union-attr]
        r = await http.get(nxt, headers={"HX-Request": "true"})
        assert "当前第 3–4 条" in r.text and 'id="page-prev"' in r.text and "<html" not in r.text
        before = (county.days[0] - timedelta(days=1)).isoformat()
        r = await http.get(f"/counties/{COUNTY}/ledgers/dropouts", params={"as_of": before})
        assert f"共 <strong>0</strong> 条（截至 {before} 日终）" in r.text
        r = await http.get(f"/counties/{COUNTY}/ledgers/school-age", params={"poverty_household": "true"})
        assert "共 <strong>1</strong> 条" in r.text

        # Filters that cannot be used answer in words.
        future = (date.today() + timedelta(days=30)).isoformat()
        r = await http.get(f"/counties/{COUNTY}/ledgers/suspected", params={"as_of": future})
        assert r.status_code == 422 and "填写的内容有误" in r.text and "Traceback" not in r.text
        r = await http.get(f"/counties/{COUNTY}/ledgers/suspected", params={"school_code": "12"})
        assert r.status_code == 422 and "学校标识码应为 10 位数字" in r.text

        # Downloads stream through, filtered as the page is; each export lands in the access log.
        r = await http.get(f"/counties/{COUNTY}/ledgers/dropouts/download", params={"format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"] and "案件编号" in r.content.decode("utf-8-sig")
        params = {"format": "xlsx", "school_code": SCHOOLS[0]}
        r = await http.get(f"/counties/{COUNTY}/ledgers/school-age/download", params=params)
        assert r.status_code == 200 and r.content[:2] == b"PK", "an XLSX workbook (a zip)"
        r = await http.get(f"/counties/{COUNTY}/ledgers/school-age")
        assert f"/counties/{COUNTY}/ledgers/school-age/download?format=csv" in r.text and "正在生成" not in r.text
        r = await http.get(f"/counties/{COUNTY}/access-log", params={"action": "ledger_export", "actor": "孙丽"})
        assert r.status_code == 200 and "导出台账" in r.text, "the export is recorded under the person's name"
        assert "共 <strong>2</strong> 条" in r.text, r.text
        params = {"format": "csv", "as_of": future}
        r = await http.get(
            f"/counties/{COUNTY}/ledgers/suspected/download", params=params, headers={"HX-Request": "true"}
        )
        assert r.status_code == 422 and 'class="message"' in r.text and "<html" not in r.text, "the words, for the link"

        # The consistency check.
        r = await http.get(f"/counties/{COUNTY}/consistency")
        assert r.status_code == 200 and "三本台账一致" in r.text, r.text


async def test_national_list_feedback_and_another_countys_user(
    stack: Stack, services: dict[str, ServiceProcess], console: ServiceProcess
) -> None:
    await seed_county(stack, services)
    child = national_id(OTHER_COUNTY, date(2014, 6, 1), 7)  # on no roll: a child the platform found elsewhere
    batch = {
        "batch_id": "h1-county-2026-01",
        "issued_at": "2026-01-05T08:00:00+08:00",
        "items": [
            {
                "item_id": "h1-1",
                "national_id": child,
                "name": "郑小雨",
                "county_code": OTHER_COUNTY,
                "reason": "国家平台比对疑似辍学",
            }
        ],
    }
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification:
        r = await verification.post("/v1/national/suspected-lists", headers=auth(stack.token("national")), json=batch)
        assert r.status_code == 202, r.text
    await add_user(stack, "county-h1-admin", "周强", "admin", "admin")
    async with signed_in(console, "county-h1-admin") as http:
        r = await http.get("/national/lists")
        assert r.status_code == 200 and 'for="batch-id"' in r.text

        async def fed_back() -> str | None:
            r = await http.get("/national/lists", params={"batch_id": "h1-county-2026-01"})
            assert r.status_code == 200, r.text
            return r.text if "共 1 人" in r.text else None

        page = await eventually(fed_back)
        assert "郑小雨" in page and "h1-1" in page and child not in page, "the ID number shown masked"
        r = await http.get("/national/lists", params={"batch_id": "no-such-batch"})
        assert r.status_code == 404 and "未找到" in r.text

    await add_user(stack, "county-h1-other", "吴刚", "county_caseworker", f"region:{OTHER_COUNTY}")
    async with signed_in(console, "county-h1-other") as http:
        for path in ("", "/ledgers/suspected", "/ledgers/dropouts/download?format=csv", "/consistency", "/access-log"):
            r = await http.get(f"/counties/{COUNTY}{path}")
            assert r.status_code == 403, path
            assert "无权访问" in r.text and OTHER_COUNTY in r.text and "Traceback" not in r.text
        r = await http.get("/national/lists", params={"batch_id": "h1-county-2026-01"})
        assert r.status_code == 200 and "郑小雨" in r.text, "a county reads the feedback of its own children"

    await add_user(stack, "county-h1-lists", "冯雪", "county_caseworker", f"region:{COUNTY}")
    async with signed_in(console, "county-h1-lists") as http:
        r = await http.get("/national/lists", params={"batch_id": "h1-county-2026-01"})
        assert r.status_code == 200 and "郑小雨" not in r.text and "本辖区在该批次中没有条目" in r.text
