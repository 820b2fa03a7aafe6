"""ID numbers: the roll is read masked; the clear value only by the audited reveal (admin, or a covering region)."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.pii import seal_national_id

from tests.integration.conftest import Stack
from tests.integration.slice_data import COUNTY, pupil
from tests.integration.test_api_problems import assert_problem

SCHOOL = "1101010061"
NEIGHBOUR = "1101010062"
FAR_COUNTY, FAR_SCHOOL = "120101", "1201010061"
SEQS = range(600, 607)


def auth(stack: Stack, scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(scope)}"}


async def ensure_sealed(stack: Stack, pupils: list[dict[str, Any]]) -> None:
    """Seal the pupils' numbers as the roll does (SM4-GCM, context = student id) where the roll has not yet.

    The roll endpoint stores the sealed value itself once the roll work is merged; until then the row holds
    only the blind index, so the test seals it here with the services' own keys (same settings).
    """
    settings = stack.settings()
    cipher = settings.pii_cipher()
    conn = await asyncpg.connect(stack.database_url)
    try:
        for p in pupils:
            s = seal_national_id(cipher, settings.pii_key, p["national_id"], p["student_id"])
            await conn.execute(
                "UPDATE attendance_ingest.students SET national_id_enc = $2, national_id_key = $3,"
                " national_id_masked = $4 WHERE student_id = $1 AND national_id_enc IS NULL",
                p["student_id"],
                s.sealed,
                s.key_id,
                s.masked,
            )
    finally:
        await conn.close()


async def audit_rows(stack: Stack, student_id: str | None = None) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetch(  # type: ignore[no-any-return]
            "SELECT student_id, actor, purpose FROM attendance_ingest.pii_reads"
            " WHERE $1::text IS NULL OR student_id = $1 ORDER BY id",
            student_id,
        )
    finally:
        await conn.close()


async def school_with_roll(http: httpx.AsyncClient, stack: Stack, school: str, county: str, seqs: range) -> list[Any]:
    admin = auth(stack, "admin")
    body = {"name": f"学校{school}", "county_code": county, "kind": "primary"}
    assert (await http.put(f"/v1/schools/{school}", headers=admin, json=body)).status_code == 200
    pupils = [pupil(s) for s in seqs]
    roll = {"as_of": "2026-09-01", "students": pupils}
    pushed = await http.put(f"/v1/schools/{school}/roster", headers=auth(stack, f"school:{school}"), json=roll)
    assert pushed.status_code == 200, pushed.text
    await ensure_sealed(stack, pupils)
    return pupils


async def test_reveal_gives_the_clear_number_and_leaves_an_audit_row(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        pupils = await school_with_roll(http, stack, SCHOOL, COUNTY, SEQS)
        target = pupils[2]
        url = f"/v1/schools/{SCHOOL}/pupils/{target['student_id']}/national-id:reveal"
        before = await audit_rows(stack, target["student_id"])

        by_admin = await http.post(url, headers=auth(stack, "admin"), json={"purpose": "  export for county audit "})
        assert by_admin.status_code == 200, by_admin.text
        assert by_admin.json() == {
            "student_id": target["student_id"],
            "national_id": target["national_id"],
            "purpose": "export for county audit",
        }
        assert by_admin.headers["cache-control"] == "no-store"
        by_region = await http.post(url, headers=auth(stack, "region:110000"), json={"purpose": "home visit"})
        assert by_region.status_code == 200, by_region.text
        assert by_region.json()["national_id"] == target["national_id"]

        rows = (await audit_rows(stack, target["student_id"]))[len(before) :]
        assert [(r["purpose"], r["actor"].split(" ")[0]) for r in rows] == [
            ("export for county audit", "admin"),
            ("home visit", "region:110000"),
        ]
        assert all("(token " in r["actor"] for r in rows), "the actor names the token it used"


async def test_reveal_is_refused_to_schools_national_and_regions_not_covering(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        pupils = await school_with_roll(http, stack, NEIGHBOUR, COUNTY, range(610, 612))
        await school_with_roll(http, stack, FAR_SCHOOL, FAR_COUNTY, range(620, 621))
        target = pupils[0]["student_id"]
        url = f"/v1/schools/{NEIGHBOUR}/pupils/{target}/national-id:reveal"
        body = {"purpose": "curiosity"}
        before = await audit_rows(stack)

        for scope in (f"school:{NEIGHBOUR}", "national", "region:120101", "region:110102", "region:120000"):
            refused = assert_problem(await http.post(url, headers=auth(stack, scope), json=body), 403)
            assert pupils[0]["national_id"] not in str(refused)
        assert_problem(await http.post(url, json=body), 401)
        # A covering token, but the pupil is not at that school, or does not exist, or the school does not.
        admin = auth(stack, "admin")
        far = f"/v1/schools/{FAR_SCHOOL}/pupils/{target}/national-id:reveal"
        assert_problem(await http.post(far, headers=admin, json=body), 404)
        ghost = f"/v1/schools/{NEIGHBOUR}/pupils/{pupil(699)['student_id']}/national-id:reveal"
        assert_problem(await http.post(ghost, headers=admin, json=body), 404)
        nowhere = f"/v1/schools/1101019999/pupils/{target}/national-id:reveal"
        assert_problem(await http.post(nowhere, headers=admin, json=body), 404)
        # A reason is required.
        for bad in ({}, {"purpose": ""}, {"purpose": "   "}, {"purpose": "x", "extra": 1}, {"purpose": "x" * 501}):
            assert_problem(await http.post(url, headers=admin, json=bad), 422)
        assert_problem(
            await http.post(f"/v1/schools/{NEIGHBOUR}/pupils/nobody/national-id:reveal", headers=admin, json=body), 422
        )

        assert await audit_rows(stack) == before, "no refused request leaves an audit row (or reveals anything)"


async def test_the_roll_reads_masked_paged_in_student_id_order(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    school = "1101010063"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        pupils = await school_with_roll(http, stack, school, COUNTY, range(630, 642))
        own = auth(stack, f"school:{school}")
        url = f"/v1/schools/{school}/roster"
        expected = sorted(p["student_id"] for p in pupils)

        whole = await http.get(url, headers=own)
        assert whole.status_code == 200, whole.text
        body = whole.json()
        assert (body["total"], body["limit"], body["offset"]) == (12, 100, 0)
        assert [p["student_id"] for p in body["pupils"]] == expected
        by_id = {p["student_id"]: p for p in pupils}
        for row in body["pupils"]:
            clear = by_id[row["student_id"]]["national_id"]
            assert row["national_id"] == clear[:4] + "*" * 10 + clear[-4:]
            assert row["class"] == "5-1" and row["grade"] == 5
        # A G-number student id *is* "G" + the ID number (DOMAIN.md); anywhere else the number is a leak.
        assert not any(re.search(f"(?<!G){p['national_id']}", whole.text) for p in pupils)

        pages = []
        for offset in range(0, 12, 5):
            page = await http.get(url, headers=own, params={"limit": 5, "offset": offset})
            assert page.status_code == 200 and page.json()["total"] == 12
            pages += [p["student_id"] for p in page.json()["pupils"]]
        assert pages == expected
        past = (await http.get(url, headers=own, params={"offset": 12})).json()
        assert (past["total"], past["pupils"]) == (12, [])

        region = await http.get(url, headers=auth(stack, "region:110101"), params={"limit": 1000})
        assert region.status_code == 200 and region.json()["total"] == 12
        for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "many"}):
            assert_problem(await http.get(url, headers=own, params=params), 422)
        assert_problem(await http.get(url, headers=auth(stack, f"school:{SCHOOL}")), 403)
        assert_problem(await http.get(url, headers=auth(stack, "region:120101")), 403)
        assert_problem(await http.get("/v1/schools/1101019998/roster", headers=auth(stack, "admin")), 404)
        assert_problem(await http.get("/v1/schools/1101019998/roster", headers=auth(stack, "school:1101019998")), 404)


async def test_a_seal_that_does_not_open_is_a_500_problem_without_audit_row(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    school = "1101010064"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        pupils = await school_with_roll(http, stack, school, COUNTY, range(645, 647))
        moved, kept = pupils[0]["student_id"], pupils[1]["student_id"]
        conn = await asyncpg.connect(stack.database_url)
        try:  # the seal of another pupil copied onto this row: it must not open (the student id is bound in)
            await conn.execute(
                "UPDATE attendance_ingest.students SET national_id_enc ="
                " (SELECT national_id_enc FROM attendance_ingest.students WHERE student_id = $2) WHERE student_id = $1",
                moved,
                kept,
            )
        finally:
            await conn.close()
        before = await audit_rows(stack)
        url = f"/v1/schools/{school}/pupils/{moved}/national-id:reveal"
        body = assert_problem(await http.post(url, headers=auth(stack, "admin"), json={"purpose": "check"}), 500)
        assert pupils[1]["national_id"] not in str(body) and pupils[0]["national_id"] not in str(body)
        assert await audit_rows(stack) == before
