"""Rules per region: set through the API, inherited down the regions, published once, and followed by detection."""

from __future__ import annotations

from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id, student_id
from baoxue_contracts.topics import DETECTION, RULES

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH, past_school_days
from tests.integration.support import eventually, scalar, topic_events
from tests.integration.test_detection import verification_published

PROVINCE, COUNTY = "150000", "150102"  # 内蒙古, 新城区: no other test's province
DETECTED, SCHOOL = "150104", "1501040041"  # 玉泉区: the county whose rule detection follows
HOME, SUSPECT = "home_visit_after_consecutive_unexcused", "suspect_after_consecutive_unexcused"
STORED = "SELECT to_jsonb(r) - 'updated_at' FROM verification.rules r WHERE region_code = $1"


async def events_of(bootstrap: str, topic: str, event_type: str, regions: set[str]) -> list[tuple[str, Any]]:
    """Every event of a type keyed to one of the regions on a topic, with its region."""
    kept = await topic_events(bootstrap, topic, lambda e: e.event_type == event_type and e.region in regions)
    return [(envelope.region, event) for envelope, event in kept]


async def test_rules_are_set_inherited_published_once_and_refused_when_wrong(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    base = services["verification"].url
    national = {"Authorization": f"Bearer {stack.token('national')}"}
    province = {"Authorization": f"Bearer {stack.token(f'region:{PROVINCE}')}"}

    async def put(region: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await http.put(f"{base}/v1/regions/{region}/rules", headers=headers, json=body)

    async with httpx.AsyncClient(timeout=10) as http:
        r = await put(PROVINCE, {SUSPECT: 12, "verification_deadline_days": 7}, province)
        assert (r.status_code, r.json()["changed"]) == (200, True), r.text
        r = await put(COUNTY, {HOME: 2}, province)
        assert (r.status_code, r.json()["changed"]) == (200, True), r.text
        assert r.json()["rules"][SUSPECT] == 12 and r.json()["sources"][SUSPECT] == PROVINCE
        r = await put(COUNTY, {HOME: 2}, national)
        assert (r.status_code, r.json()["changed"]) == (200, False), "an identical PUT changes nothing"

        r = await http.get(f"{base}/v1/regions/{COUNTY}/rules", headers=province)
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["rules"][HOME], got["sources"][HOME]) == (2, COUNTY)
        assert (got["rules"][SUSPECT], got["sources"][SUSPECT]) == (12, PROVINCE)
        assert (got["rules"]["verification_deadline_days"], got["sources"]["verification_deadline_days"]) == (
            7,
            PROVINCE,
        )
        assert (
            got["rules"]["review_after_consecutive_excused"],
            got["sources"]["review_after_consecutive_excused"],
        ) == (
            20,
            "000000",
        )
        before = {region: await scalar(stack.database_url, STORED, region) for region in (PROVINCE, COUNTY, "000000")}

        refused = [
            (COUNTY, {HOME: 0}, national, ["body", HOME]),
            (COUNTY, {HOME: -1}, national, ["body", HOME]),
            (COUNTY, {HOME: 100000}, national, ["body", HOME]),
            (COUNTY, {HOME: "2"}, national, ["body", HOME]),
            (COUNTY, {"home_visit_after": 2}, national, ["body", "home_visit_after"]),
            (COUNTY, {HOME: 12}, national, ["body", HOME]),  # not below the province's 12
            (PROVINCE, {SUSPECT: 2}, national, ["body", HOME]),  # would break the county's home visit at 2
            ("159999", {HOME: 2}, national, ["path", "region_code"]),
        ]
        for region, body, headers, loc in refused:
            r = await put(region, body, headers)
            assert r.status_code == 422, (body, r.text)
            assert loc in [e["loc"] for e in r.json()["errors"]], (body, r.json())
        forbidden = [
            (COUNTY, stack.token("school:1501020041")),
            (COUNTY, stack.token("region:110000")),
            ("000000", stack.token(f"region:{PROVINCE}")),
        ]
        for region, token in forbidden:
            r = await put(region, {HOME: 2}, {"Authorization": f"Bearer {token}"})
            assert r.status_code == 403, (region, r.text)
    after = {region: await scalar(stack.database_url, STORED, region) for region in (PROVINCE, COUNTY, "000000")}
    assert after == before, "a refused PUT stores nothing"

    await eventually(lambda: verification_published(stack.database_url))
    published = await events_of(stack.bootstrap, RULES, "RulesPublished", {PROVINCE, COUNTY})
    assert sorted((region, e.region_code) for region, e in published) == [(PROVINCE, PROVINCE), (COUNTY, COUNTY)]
    by_region = {region: e for region, e in published}
    assert (
        by_region[COUNTY].home_visit_after_consecutive_unexcused,
        by_region[COUNTY].suspect_after_consecutive_unexcused,
    ) == (
        2,
        None,
    )
    assert by_region[PROVINCE].suspect_after_consecutive_unexcused == 12


async def test_detection_follows_the_county_rule(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    ingest = services["attendance-ingest"].url
    pupils = [
        {
            "student_id": student_id(DETECTED, BIRTH, seq),
            "national_id": national_id(DETECTED, BIRTH, seq),
            "name": f"学生{seq}",
            "gender": "M",
            "birth_date": BIRTH.isoformat(),
            "grade": 4,
            "class": "4-1",
            "hukou_county_code": DETECTED,
            "residence_county_code": DETECTED,
            "groups": [],
        }
        for seq in (1, 2)
    ]
    two, one = (p["student_id"] for p in pupils)
    token = {"Authorization": f"Bearer {stack.token(f'school:{SCHOOL}')}"}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.put(f"{services['verification'].url}/v1/regions/{DETECTED}/rules", headers=admin, json={HOME: 2})
        assert r.status_code == 200, r.text
        school = {"name": "回民区实验小学", "county_code": DETECTED, "kind": "primary"}
        assert (await http.put(f"{ingest}/v1/schools/{SCHOOL}", headers=admin, json=school)).status_code == 200
        roster = {"as_of": "2026-09-01", "students": pupils}
        r = await http.put(f"{ingest}/v1/schools/{SCHOOL}/roster", headers=token, json=roster)
        assert r.status_code == 200, r.text
        known = "SELECT count(*) FROM verification.pupils WHERE school_code = $1"
        await eventually(lambda: _at_least(stack.database_url, known, SCHOOL, 2))
        first, second = past_school_days(2)
        for day, marks in (
            (first, {two: "absent_unexcused", one: "present"}),
            (second, {two: "absent_unexcused", one: "absent_unexcused"}),
        ):
            records = [{"student_id": sid, "status": status} for sid, status in marks.items()]
            r = await http.post(
                f"{ingest}/v1/schools/{SCHOOL}/attendance",
                headers=token,
                json={"date": day.isoformat(), "records": records},
            )
            assert r.status_code == 200, r.text

    absences = "SELECT count(*) FROM verification.absences WHERE student_id = ANY($1::text[])"

    async def warned() -> list[Any]:
        if not await _at_least(stack.database_url, absences, [two, one], 3):
            return []
        if not await verification_published(stack.database_url):
            return []
        return await events_of(stack.bootstrap, DETECTION, "EarlyWarningRaised", {DETECTED})

    found = [e for _, e in await eventually(warned)]
    assert [(w.student_id, w.threshold, w.consecutive_unexcused_days, w.raised_on) for w in found] == [
        (two, 2, 2, second)
    ], "two unexcused days reach the county's home visit; one day does not"


async def _at_least(database_url: str, query: str, arg: object, n: int) -> bool:
    return int(await scalar(database_url, query, arg)) >= n
