"""A roll with an ID number python-stdnum cannot place is a 422 naming the record, not a 500."""

from __future__ import annotations

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH, COUNTY, pupil
from tests.integration.test_api_problems import assert_problem

ROLL_SCHOOL = "1101010003"


async def test_an_id_number_with_an_unplaceable_birth_place_is_a_422_naming_the_record(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ingest = services["attendance-ingest"].url
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    own = {"Authorization": f"Bearer {stack.token(f'school:{ROLL_SCHOOL}')}"}
    odd = national_id("527081", BIRTH, 7)  # correct check digit; python-stdnum raises KeyError on its place code
    stranger = {**pupil(31), "student_id": "G" + odd, "national_id": odd}
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as http:
        school = {"name": "东城三小", "county_code": COUNTY, "kind": "primary"}
        assert (await http.put(f"/v1/schools/{ROLL_SCHOOL}", headers=admin, json=school)).status_code == 200
        url = f"/v1/schools/{ROLL_SCHOOL}/roster"
        body = assert_problem(
            await http.put(url, headers=own, json={"as_of": "2026-09-01", "students": [pupil(30), stranger]}), 422
        )
        assert body["errors"] == [
            {
                "loc": ["body", "students", 1, "national_id"],
                "msg": "not a valid resident ID number (its birth-place code is not recognised)",
            }
        ]
        assert odd not in body["detail"] + str(body["errors"]), "the number itself is never echoed"
        accepted = await http.put(url, headers=own, json={"as_of": "2026-09-01", "students": [pupil(30)]})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["joined"] == 1, "the refused roll changed nothing"
