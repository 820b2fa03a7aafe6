"""Reading the three ledgers over HTTP: filters, sorts and pages; as of a past day; CSV and XLSX exports of a
10,000-entry ledger, masked or clear; the access log of every export; a school sees only its own entries.

Rows are written straight into the ledger's tables (and its kept history), as the event handlers would leave them.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import openpyxl
import pytest
from baoxue_common.devstack import ServiceProcess
from ledger.changes import jsonable
from ledger.domain.exports import SPECS, headers, mask_student_id

from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

COUNTY, S1, S2 = "140121", "1401210001", "1401210002"  # 小店区, Taiyuan: no other test's county
SCHOOL_AGE_ROWS = 10_000
HOSTILE_CLASS = '=HYPERLINK("http://evil.example/","点我")'
D = date.fromisoformat


def sid(n: int) -> str:
    """A student number: G and an 18-character ID number (test data, not a real check digit)."""
    return f"G{COUNTY}2014{n:08d}"


def suspect(
    name: str, school: str, status: str, flagged: str, groups: list[str], poverty: bool, n: int
) -> dict[str, Any]:
    return {
        "entry_id": uuid.uuid5(uuid.NAMESPACE_URL, f"h4-suspect-{name}"),
        "suspicion_id": uuid.uuid5(uuid.NAMESPACE_URL, f"h4-suspicion-{name}"),
        "county_code": COUNTY,
        "school_code": school,
        "student_id": sid(n),
        "source": "attendance",
        "status": status,
        "reason": "连续旷课",
        "groups": groups,
        "flagged_on": D(flagged),
        "poverty_household": poverty,
    }


SUSPECTS = {
    "a": suspect("a", S1, "pending", "2026-09-10", ["left_behind"], True, 900_001),
    "b": suspect("b", S1, "verifying", "2026-09-12", [], False, 900_002),
    "c": suspect("c", S2, "confirmed_dropout", "2026-09-05", ["left_behind", "orphan"], True, 900_003),
    "d": suspect("d", S2, "cleared", "2026-09-11", [], False, 900_004),
    "e": suspect("e", S1, "pending", "2026-09-12", [], False, 900_005),
    "f": suspect("f", S2, "pending", "2026-09-20", ["orphan"], False, 900_006),
}
GONE = suspect("g", S1, "pending", "2026-09-06", [], False, 900_007)  # left the ledger on 9 September


def case(name: str, school: str, status: str, confirmed: str, n: int, **more: Any) -> dict[str, Any]:
    return {
        "case_id": uuid.uuid5(uuid.NAMESPACE_URL, f"h4-case-{name}"),
        "suspicion_id": uuid.uuid5(uuid.NAMESPACE_URL, f"h4-case-suspicion-{name}"),
        "county_code": COUNTY,
        "school_code": school,
        "student_id": sid(n),
        "child_key": sid(n),
        "status": status,
        "source": "attendance",
        "groups": [],
        "poverty_household": False,
        "confirmed_on": D(confirmed),
        **more,
    }


CASES = {
    "open": case("open", S1, "open", "2026-09-15", 910_001, cause_main="work", escalation_level="order_to_correct"),
    "back": case("back", S2, "returned", "2026-09-01", 910_002, returned_on=D("2026-09-20")),
    "closed": case(
        "closed", S1, "closed", "2026-08-01", 910_003, returned_on=D("2026-08-20"), closed_on=D("2026-09-25")
    ),
}

# (ledger, entry, day, state): every state the entries had; the same day twice for c (the later seq wins).
HISTORY: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    ("suspected", SUSPECTS["c"], "2026-09-05", {"status": "pending", "groups": []}),
    ("suspected", GONE, "2026-09-06", {}),
    ("suspected", GONE, "2026-09-09", {"removed": True}),
    ("suspected", SUSPECTS["a"], "2026-09-10", {}),
    ("suspected", SUSPECTS["d"], "2026-09-11", {"status": "pending"}),
    ("suspected", SUSPECTS["b"], "2026-09-12", {"status": "pending"}),
    ("suspected", SUSPECTS["e"], "2026-09-12", {}),
    ("suspected", SUSPECTS["c"], "2026-09-13", {"status": "verifying"}),
    ("suspected", SUSPECTS["c"], "2026-09-13", {}),
    ("suspected", SUSPECTS["b"], "2026-09-14", {}),
    ("suspected", SUSPECTS["d"], "2026-09-16", {}),
    ("suspected", SUSPECTS["f"], "2026-09-20", {}),
    ("dropouts", CASES["closed"], "2026-08-01", {"status": "open", "returned_on": None, "closed_on": None}),
    ("dropouts", CASES["closed"], "2026-08-20", {"status": "returned", "closed_on": None}),
    ("dropouts", CASES["back"], "2026-09-01", {"status": "open", "returned_on": None}),
    ("dropouts", CASES["open"], "2026-09-15", {}),
    ("dropouts", CASES["back"], "2026-09-20", {}),
    ("dropouts", CASES["closed"], "2026-09-25", {}),
]

SCHOOL_AGE_SQL = f"""
INSERT INTO ledger.school_age (county_code, child_key, entry_id, relations, student_id, masked_id, school_code,
    grade, class_name, gender, birth_date, on_roll, status, status_since, groups, poverty_household)
SELECT '{COUNTY}', s.id, gen_random_uuid(), '{{school}}', s.id, left(s.n, 4) || repeat('*', 10) || right(s.n, 4),
    CASE WHEN i % 2 = 0 THEN '{S1}' ELSE '{S2}' END, 1 + i % 9,
    CASE WHEN i = 1 THEN $1 ELSE (1 + i % 9) || '年级' || (1 + i % 5) || '班' END,
    CASE WHEN i % 2 = 0 THEN 'M' ELSE 'F' END, date '2012-01-01' + i % 1000, true,
    (ARRAY['enrolled', 'studying_elsewhere', 'home_education', 'dropout'])[1 + i % 4], date '2026-09-01' + i % 30,
    CASE WHEN i % 10 = 0 THEN ARRAY['left_behind'] ELSE '{{}}' END, i % 7 = 0
FROM generate_series(1, {SCHOOL_AGE_ROWS}) AS i,
    LATERAL (SELECT '{COUNTY}2014' || lpad(i::text, 8, '0') AS n) AS num,
    LATERAL (SELECT 'G' || num.n AS id, num.n) AS s
"""


def insert_sql(table: str, row: dict[str, Any]) -> tuple[Any, ...]:
    names = list(row)
    marks = ", ".join(f"${i + 1}" for i in range(len(names)))
    return (f"INSERT INTO ledger.{table} ({', '.join(names)}) VALUES ({marks})", *row.values())


@pytest.fixture(scope="module")
async def ledgers(stack: Stack) -> None:
    """County 140121's three ledgers and their history, written once for this module."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        async with conn.transaction():
            for row in SUSPECTS.values():
                await conn.execute(*insert_sql("suspected", row))
            for row in CASES.values():
                await conn.execute(*insert_sql("cases", row))
            await conn.execute(SCHOOL_AGE_SQL, HOSTILE_CLASS)
            for ledger, entry, day, state in HISTORY:
                key = "case_id" if ledger == "dropouts" else "entry_id"
                await conn.execute(
                    "INSERT INTO ledger.ledger_history (ledger, county_code, entry_id, changed_on, row)"
                    " VALUES ($1, $2, $3, $4, $5::jsonb)",
                    ledger,
                    COUNTY,
                    entry[key],
                    D(day),
                    json.dumps(jsonable({**entry, **state})),
                )
    finally:
        await conn.close()


def auth(stack: Stack, scope: str, user: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(scope, user=user)}"}


async def get(http: httpx.AsyncClient, base: str, path: str, headers: dict[str, str], **params: Any) -> Any:
    r = await http.get(f"{base}/v1/counties/{COUNTY}/{path}", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def ids(page: dict[str, Any], key: str = "entry_id") -> list[str]:
    return [item[key] for item in page["items"]]


def expect(*names: str) -> list[str]:
    return [str(SUSPECTS[n]["entry_id"]) if n in SUSPECTS else str(GONE["entry_id"]) for n in names]


def newest_first(*names: str) -> list[str]:
    """The names sorted as the ledger sorts by default: flagged_on descending, then the entry id descending."""
    rows = [SUSPECTS.get(n, GONE) for n in names]
    rows.sort(key=lambda r: (r["flagged_on"], str(r["entry_id"])), reverse=True)
    return [str(r["entry_id"]) for r in rows]


async def test_filters_sorts_and_pages_of_the_suspected_and_dropout_ledgers(
    stack: Stack, services: dict[str, ServiceProcess], ledgers: None
) -> None:
    base, county = services["ledger"].url, auth(stack, f"region:{COUNTY}")
    async with httpx.AsyncClient(timeout=30) as http:
        page = await get(http, base, "ledgers/suspected", county)
        assert (page["total"], page["label"]) == (5, "疑似辍学学生台账")
        assert ids(page) == newest_first("a", "b", "c", "e", "f")  # cleared d left out
        first = page["items"][ids(page).index(str(SUSPECTS["b"]["entry_id"]))]
        assert (first["status"], first["status_label"]) == ("verifying", "核实中")
        assert first["student_id"] == mask_student_id(SUSPECTS["b"]["student_id"]) != SUSPECTS["b"]["student_id"]
        assert ids(await get(http, base, "ledgers/suspected", county, status="cleared")) == expect("d")
        assert set(ids(await get(http, base, "ledgers/suspected", county, group="left_behind"))) == set(
            expect("a", "c")
        )
        poor = await get(http, base, "ledgers/suspected", county, poverty_household="true")
        assert set(ids(poor)) == set(expect("a", "c"))
        ranged = await get(http, base, "ledgers/suspected", county, **{"from": "2026-09-10", "to": "2026-09-12"})
        assert ids(ranged) == newest_first("a", "b", "e")
        by_school = await get(http, base, "ledgers/suspected", county, school_code=S2, sort="flagged_on")
        assert ids(by_school) == expect("c", "f")
        combined = await get(
            http, base, "ledgers/suspected", county, status="pending", group="orphan", sort="-flagged_on"
        )
        assert ids(combined) == expect("f")

        pages, offset = [], 0
        while offset is not None:
            part = await get(http, base, "ledgers/suspected", county, limit=2, offset=offset, sort="flagged_on")
            pages.append(part)
            offset = part["next_offset"]
        assert [p["next_offset"] for p in pages] == [2, 4, None]
        oldest = sorted(SUSPECTS.values(), key=lambda r: (r["flagged_on"], str(r["entry_id"])))
        assert [i for p in pages for i in ids(p)] == [str(r["entry_id"]) for r in oldest if r["status"] != "cleared"]

        cases = await get(http, base, "ledgers/dropouts", county, sort="-returned_on")
        assert ids(cases, "case_id") == [str(CASES[n]["case_id"]) for n in ("back", "closed", "open")]  # NULL last
        labels = {i["status"]: i["status_label"] for i in cases["items"]}
        assert labels == {"open": "劝返中", "returned": "已复学待巩固", "closed": "已销号"}
        recent = await get(http, base, "ledgers/dropouts", county, **{"from": "2026-09-01"}, status="open")
        assert ids(recent, "case_id") == [str(CASES["open"]["case_id"])]

        school_age = await get(
            http, base, "ledgers/school-age", county, status="enrolled", group="left_behind", limit=5
        )
        assert school_age["total"] == SCHOOL_AGE_ROWS // 20 and len(school_age["items"]) == 5
        assert all(i["status_label"] == "在读" and "*" in i["student_id"] for i in school_age["items"])
        assert all("national_id_hash" not in i and "child_key" not in i for i in school_age["items"])


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "enrolled"}, "status"),
        ({"sort": "national_id_hash"}, "sort"),
        ({"from": "2026-09-12", "to": "2026-09-10"}, "to"),
        ({"as_of": (date.today() + timedelta(days=2)).isoformat()}, "as_of"),
        ({"clear": "true"}, "clear"),
    ],
)
async def test_a_query_the_ledger_cannot_answer_is_a_422(
    stack: Stack, services: dict[str, ServiceProcess], ledgers: None, params: dict[str, str], loc: str
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.get(
            f"{services['ledger'].url}/v1/counties/{COUNTY}/ledgers/suspected",
            headers=auth(stack, f"region:{COUNTY}"),
            params=params,
        )
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["errors"]] == [["query", loc]]


async def test_as_of_a_past_day_answers_the_ledger_as_it_stood_then(
    stack: Stack, services: dict[str, ServiceProcess], ledgers: None
) -> None:
    base, county = services["ledger"].url, auth(stack, f"region:{COUNTY}")
    async with httpx.AsyncClient(timeout=30) as http:

        async def on(day: str, ledger: str = "suspected", **params: Any) -> dict[str, Any]:
            page: dict[str, Any] = await get(http, base, f"ledgers/{ledger}", county, as_of=day, **params)
            assert page["as_of"] == day
            return page

        assert ids(await on("2026-09-04")) == []
        assert ids(await on("2026-09-08")) == newest_first("c", "g")  # g still there
        on_12 = await on("2026-09-12")
        assert ids(on_12) == newest_first("a", "b", "c", "d", "e")  # g removed on the 9th
        assert {i["status"] for i in on_12["items"]} == {"pending"}
        on_13 = await on("2026-09-13", status="confirmed_dropout")
        assert ids(on_13) == expect("c")  # the later of the two states of the 13th
        assert on_13["items"][0]["groups"] == ["left_behind", "orphan"]
        assert ids(await on("2026-09-16")) == newest_first("a", "b", "c", "e")  # d cleared that day
        assert ids(await on("2026-09-16", status="cleared")) == expect("d")
        paged = await on("2026-09-12", limit=2, offset=2, sort="flagged_on", school_code=S1)
        assert (paged["total"], ids(paged), paged["next_offset"]) == (3, newest_first("b", "e")[:1], None)
        r = await http.get(
            f"{base}/v1/counties/{COUNTY}/ledgers/suspected",
            headers=county,
            params={"as_of": "2026-09-12", "format": "csv"},
        )
        assert r.status_code == 200 and "_2026-09-12.csv" in r.headers["content-disposition"]
        exported = csv_rows(r.content)
        assert len(exported) == 6 and {row[3] for row in exported[1:]} == {"待核实"}
        beyond = await on("2026-09-12", offset=10)
        assert (beyond["total"], beyond["items"], beyond["next_offset"]) == (5, [], None)
        today = await get(http, base, "ledgers/suspected", county)
        assert ids(today) == newest_first("a", "b", "c", "e", "f")
        assert ids(await on(date.today().isoformat())) == ids(today)

        in_august = await on("2026-08-25", "dropouts")
        assert [(i["case_id"], i["status"]) for i in in_august["items"]] == [
            (str(CASES["closed"]["case_id"]), "returned")
        ]
        in_september = await on("2026-09-21", "dropouts", sort="confirmed_on")
        states = [(i["case_id"], i["status"]) for i in in_september["items"]]
        assert states == [
            (str(CASES[n]["case_id"]), s) for n, s in (("closed", "returned"), ("back", "returned"), ("open", "open"))
        ]


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_csv_and_xlsx_exports_of_a_10000_entry_ledger_are_masked_guarded_and_logged(
    stack: Stack, services: dict[str, ServiceProcess], ledgers: None, tmp_path: Any
) -> None:
    base = services["ledger"].url
    county, city = auth(stack, f"region:{COUNTY}", user="王审计"), auth(stack, "region:140100", user="李市")
    spec = SPECS["school-age"]
    async with httpx.AsyncClient(timeout=120) as http:
        url = f"{base}/v1/counties/{COUNTY}/ledgers/school-age"
        before = (await get(http, base, "access-log", county, action="ledger_export"))["total"]

        r = await http.get(url, headers=city, params={"format": "csv", "sort": "student_id"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert "filename*=UTF-8''140121_" in r.headers["content-disposition"]
        rows = csv_rows(r.content)
        assert rows[0] == headers(spec) and len(rows) == SCHOOL_AGE_ROWS + 1
        first = dict(zip(rows[0], rows[1], strict=True))
        assert first["学籍号"] == mask_student_id(sid(1)) and first["班级"] == "'" + HOSTILE_CLASS
        assert first["状态"] == "异地就读" and first["脱贫户"] == "否" and first["身份证号(脱敏)"].count("*") == 10
        tenth = dict(zip(rows[0], rows[10], strict=True))
        assert (tenth["重点人群"], tenth["学校标识码"], tenth["年级"]) == ("留守儿童", S1, "2")
        assert not any(sid(i) in r.text for i in (1, 2, 5000))
        statuses = {
            label: sum(1 for row in rows[1:] if row[9] == label) for label in ("在读", "异地就读", "送教上门", "辍学")
        }
        assert statuses == {"在读": 2500, "异地就读": 2500, "送教上门": 2500, "辍学": 2500}

        denied = await http.get(url, headers=city, params={"format": "csv", "clear": "true"})
        assert denied.status_code == 403 and "region:140121 or admin" in denied.json()["detail"]

        r = await http.get(url, headers=county, params={"format": "xlsx", "clear": "true", "status": "dropout"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        path = tmp_path / "ledger.xlsx"
        path.write_bytes(r.content)
        book = openpyxl.load_workbook(path, read_only=True)
        sheet = book.worksheets[0]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert sheet.title == "适龄儿童台账" and values[0] == headers(spec) and len(values) == 2501
        clear_ids = {row[0] for row in values[1:]}
        assert clear_ids == {sid(i) for i in range(1, SCHOOL_AGE_ROWS + 1) if i % 4 == 3}
        assert {row[9] for row in values[1:]} == {"辍学"}

        whole = await http.get(url, headers=county, params={"format": "xlsx"})
        assert not list(Path(tempfile.gettempdir()).glob("ledger-*.xlsx"))  # the service keeps no file
        path.write_bytes(whole.content)
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert len(values) == SCHOOL_AGE_ROWS + 1
        hostile = next(row for row in values[1:] if row[0] == mask_student_id(sid(1)))
        assert hostile[4] == "'" + HOSTILE_CLASS

        admin = await http.get(url, headers=auth(stack, "admin"), params={"format": "csv", "clear": "true", "limit": 1})
        assert admin.status_code == 200 and sid(2) in admin.text

        log = await get(http, base, "access-log", county, action="ledger_export")
        assert log["total"] == before + 4  # the refused clear export is no export
        newest = log["items"][:4]
        assert [(i["actor"], i["detail"]["format"], i["detail"]["clear"]) for i in newest] == [
            ("admin", "csv", True),
            ("王审计", "xlsx", False),
            ("王审计", "xlsx", True),
            ("李市", "csv", False),
        ]
        assert newest[2]["detail"]["rows"] == 2500 and newest[2]["detail"]["filters"] == {"status": "dropout"}
        assert newest[3]["subject"] == "school-age" and newest[3]["scope"] == "region:140100"
        by_actor = await get(http, base, "access-log", county, actor="李市")
        assert [i["detail"]["rows"] for i in by_actor["items"]] == [SCHOOL_AGE_ROWS]
        r = await http.get(f"{base}/v1/counties/{COUNTY}/access-log", headers=auth(stack, "region:130108"))
        assert r.status_code == 403


async def test_a_school_sees_only_its_own_entries(
    stack: Stack, services: dict[str, ServiceProcess], ledgers: None
) -> None:
    base, school = services["ledger"].url, auth(stack, f"school:{S1}")
    async with httpx.AsyncClient(timeout=60) as http:
        mine = await get(http, base, "ledgers/suspected", school)
        assert ids(mine) == newest_first("a", "b", "e")
        assert {
            i["school_code"] for i in (await get(http, base, "ledgers/school-age", school, limit=500))["items"]
        } == {S1}
        cases = await get(http, base, "ledgers/dropouts", school, as_of="2026-09-21")
        assert {i["school_code"] for i in cases["items"]} == {S1} and cases["total"] == 2
        r = await http.get(f"{base}/v1/counties/{COUNTY}/ledgers/suspected", headers=school, params={"school_code": S2})
        assert r.status_code == 403
        r = await http.get(f"{base}/v1/counties/130108/ledgers/suspected", headers=school)
        assert r.status_code == 403
        r = await http.get(f"{base}/v1/counties/{COUNTY}/ledgers/school-age", headers=school, params={"format": "csv"})
        rows = csv_rows(r.content)
        assert len(rows) == SCHOOL_AGE_ROWS // 2 + 1 and {row[2] for row in rows[1:]} == {S1}
        r = await http.get(
            f"{base}/v1/counties/{COUNTY}/ledgers/school-age", headers=school, params={"format": "csv", "clear": "true"}
        )
        assert r.status_code == 403
        other = await http.get(f"{base}/v1/counties/{COUNTY}/ledgers/suspected", headers=auth(stack, "region:130108"))
        assert other.status_code == 403
        r = await http.get(f"{base}/v1/counties/{COUNTY}/access-log", headers=school)
        assert r.status_code == 403
