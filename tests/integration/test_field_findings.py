"""Field findings: a child found out of school is a suspect (source field), with or without an ID number."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id
from baoxue_contracts.topics import DETECTION

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.support import eventually, scalar
from tests.integration.test_detection import verification_published
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_rules import events_of

COUNTY, SCHOOL = "150122", "1501220001"  # 托克托县: no other test's county
FLAGGED = "SuspectedDropoutFlagged"
STORED = "SELECT count(*) FROM verification.field_findings WHERE county_code = $1"


async def test_a_field_finding_flags_a_suspect_once_and_is_refused_when_wrong(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the platform's date, as the service checks it
    found_on = today - timedelta(days=3)
    born = date(today.year - 10, 3, 1)
    county = auth(stack.token(f"region:{COUNTY}"))
    base = services["verification"].url
    child = {
        "name": "王小明",
        "birth_date": born.isoformat(),
        "finding": "no_hukou",
        "address": "某村3组",
        "found_on": found_on.isoformat(),
        "found_by": "村干部李某",
    }
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:

        async def post(body: dict[str, Any], headers: dict[str, str] = county) -> httpx.Response:
            return await http.post(f"/v1/counties/{COUNTY}/field-findings", headers=headers, json=body)

        r = await post(child)
        assert r.status_code == 201, r.text
        first = r.json()
        assert (first["matched_student_id"], first["national_id"]) == (None, None)

        await eventually(lambda: verification_published(stack.database_url))
        [(_, flag)] = await events_of(stack.bootstrap, DETECTION, FLAGGED, {COUNTY})
        assert (flag.source, flag.county_code, flag.student_id, flag.school_code) == ("field", COUNTY, None, None)
        assert (flag.name, flag.birth_date, flag.flagged_on, flag.national_id_hash) == ("王小明", born, found_on, None)
        assert (str(flag.suspicion_id), flag.source_ref) == (first["suspicion_id"], first["finding_id"])
        assert "household registration" in flag.reason

        # The same finding again, reported by someone else: the same ids, no second event.
        r = await post(child | {"found_by": "另一位村干部", "name": " 王小明 "})
        assert (r.status_code, r.json()) == (200, first), r.text

        # A second child with no ID number does not collide with the first (no student id on either).
        r = await post(child | {"name": "王小红", "finding": "not_attending"})
        assert r.status_code == 201, r.text
        second = r.json()

        # A child with an ID number not on any roll: stored masked and hashed, never in clear.
        number = national_id(COUNTY, born, 31)
        r = await post(child | {"name": "张三", "national_id": number})
        assert r.status_code == 201, r.text
        third = r.json()
        assert (third["national_id"], third["matched_student_id"]) == (number[:4] + "*" * 10 + number[-4:], None)
        clear = "SELECT count(*) FROM verification.field_findings WHERE national_id_hash = $1 OR dedup_key LIKE $2"
        assert await scalar(stack.database_url, clear, number, f"%{number}%") == 0

        stored = await scalar(stack.database_url, STORED, COUNTY)
        refused = [
            (child | {"name": "李四", "national_id": number[:-1] + ("1" if number[-1] != "1" else "2")}, "national_id"),
            (child | {"name": "李四", "national_id": "１２３"}, "national_id"),
            (child | {"name": "李四", "national_id": national_id(COUNTY, born + timedelta(days=1), 32)}, "national_id"),
            (child | {"found_on": (today + timedelta(days=1)).isoformat()}, "found_on"),
            (child | {"birth_date": date(today.year - 30, 1, 1).isoformat()}, "birth_date"),
            (child | {"finding": "missing"}, "finding"),
            (child | {"name": ""}, "name"),
            (child | {"address": "x" * 501}, "address"),
            (child | {"grade": 5}, "grade"),
        ]
        for body, field in refused:
            r = await post(body)
            assert r.status_code == 422, (body, r.text)
            assert ["body", field] in [e["loc"] for e in r.json()["errors"]], (body, r.json())
        r = await http.post("/v1/counties/150100/field-findings", headers=auth(stack.token("admin")), json=child)
        assert r.status_code == 422 and ["path", "county_code"] in [e["loc"] for e in r.json()["errors"]], r.text
        for scope in (f"school:{SCHOOL}", "national", "region:110000"):
            r = await post(child | {"name": "赵六"}, auth(stack.token(scope)))
            assert r.status_code == 403, (scope, r.text)
        assert await scalar(stack.database_url, STORED, COUNTY) == stored, "a refused finding stores nothing"

    # A pupil on a roll, found by their ID number, is matched through the blind index.
    pupil = kid(COUNTY, 41, birth=born, groups=["left_behind"])
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        await register(ingest, stack.token("admin"), SCHOOL, COUNTY)
        await put_roll(ingest, stack, SCHOOL, today - timedelta(days=20), [pupil])
    hashed = "SELECT national_id_hash IS NOT NULL FROM verification.pupils WHERE student_id = $1"
    await eventually(lambda: scalar(stack.database_url, hashed, pupil["student_id"]))
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        body = child | {"name": pupil["name"], "national_id": pupil["national_id"], "finding": "not_attending"}
        r = await http.post(f"/v1/counties/{COUNTY}/field-findings", headers=county, json=body)
        assert r.status_code == 201, r.text
        matched = r.json()
        assert matched["matched_student_id"] == pupil["student_id"]

    await eventually(lambda: verification_published(stack.database_url))
    flags = {str(e.suspicion_id): e for _, e in await events_of(stack.bootstrap, DETECTION, FLAGGED, {COUNTY})}
    assert set(flags) == {first["suspicion_id"], second["suspicion_id"], third["suspicion_id"], matched["suspicion_id"]}
    assert flags[third["suspicion_id"]].national_id_hash is not None
    assert all(number not in e.model_dump_json() for e in flags.values()), "no ID number in clear in an event"
    on_roll = flags[matched["suspicion_id"]]
    assert (on_roll.student_id, on_roll.school_code, on_roll.groups) == (pupil["student_id"], SCHOOL, ("left_behind",))

    async with httpx.AsyncClient(base_url=services["ledger"].url, timeout=10) as http:

        async def listed() -> list[dict[str, Any]]:
            r = await http.get(f"/v1/counties/{COUNTY}/ledgers/suspected", headers=county, params={"source": "field"})
            assert r.status_code == 200, r.text
            items = r.json()["items"]
            return items if len(items) == len(flags) else []

        items = await eventually(listed)
        assert {i["suspicion_id"] for i in items} == set(flags)
        assert {i["source"] for i in items} == {"field"}
