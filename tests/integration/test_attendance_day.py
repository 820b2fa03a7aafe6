"""`GET /v1/schools/{school_code}/attendance/{date}`: whether a school day was submitted, its counts, who is missing."""

from __future__ import annotations

import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_verifications import push

COUNTY, SCHOOL, OTHER = "140223", "1402230004", "1402230005"  # 广灵县: the school + region tests' county


async def test_a_day_reads_unsubmitted_then_submitted_with_counts_and_the_unrecorded(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    pupils = [kid(COUNTY, seq) for seq in (41, 42, 43)]
    ids = [p["student_id"] for p in pupils]
    first, day = past_school_days(3)[0], past_school_days(1)[0]
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        await register(http, stack.token("admin"), SCHOOL, COUNTY)
        await put_roll(http, stack, SCHOOL, first, pupils)
        path = f"/v1/schools/{SCHOOL}/attendance/{day.isoformat()}"
        school = auth(stack.token(f"school:{SCHOOL}"))

        before = await http.get(path, headers=school)
        assert before.status_code == 200, before.text
        assert before.json() == {
            "school_code": SCHOOL,
            "county_code": COUNTY,
            "date": day.isoformat(),
            "submitted": False,
            "counts": {},
            "total": 0,
            "unrecorded": 3,
        }
        await push(http, stack, day, {ids[0]: "present", ids[1]: "absent_excused"}, SCHOOL)
        after = (await http.get(path, headers=auth(stack.token(f"region:{COUNTY}")))).json()
        assert after["submitted"] is True and after["total"] == 2 and after["unrecorded"] == 1
        assert after["counts"] == {"present": 1, "absent_excused": 1}

        other = await http.get(path, headers=auth(stack.token(f"school:{OTHER}")))
        assert other.status_code == 403, other.text
        admin = auth(stack.token("admin"))
        unknown = await http.get(f"/v1/schools/{OTHER}/attendance/{day.isoformat()}", headers=admin)
        assert unknown.status_code == 404, unknown.text
        bad_day = await http.get(f"/v1/schools/{SCHOOL}/attendance/2026-02-30", headers=school)
        assert bad_day.status_code == 422, bad_day.text
