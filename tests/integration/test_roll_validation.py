"""Roll validation: every bad record is a 422 naming its index and field, never a 500, and nothing changes."""

from __future__ import annotations

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id

from tests.integration.conftest import Stack
from tests.integration.roll_support import BIRTH, auth, kid, register, state
from tests.integration.slice_data import BIRTH as SLICE_BIRTH
from tests.integration.slice_data import COUNTY, pupil
from tests.integration.test_api_problems import assert_problem

ROLL_SCHOOL = "1101010003"


async def test_an_id_number_with_an_unplaceable_birth_place_is_a_422_naming_the_record(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    ingest = services["attendance-ingest"].url
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    own = {"Authorization": f"Bearer {stack.token(f'school:{ROLL_SCHOOL}')}"}
    odd = national_id("527081", SLICE_BIRTH, 7)  # correct check digit; python-stdnum raises KeyError on its place code
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


VALIDATION_COUNTY, VALIDATION_SCHOOL = "110111", "1101110001"  # 房山区


async def test_every_bad_record_of_a_roll_is_named_and_nothing_changes(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    admin, own = stack.token("admin"), {"Authorization": f"Bearer {stack.token(f'school:{VALIDATION_SCHOOL}')}"}
    good = [kid(VALIDATION_COUNTY, n) for n in range(1, 4)]
    url = f"/v1/schools/{VALIDATION_SCHOOL}/roster"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        await register(http, admin, VALIDATION_SCHOOL, VALIDATION_COUNTY)
        assert (await http.put(url, headers=own, json={"as_of": "2026-09-01", "students": good})).status_code == 200
        before = await state(stack.database_url, [VALIDATION_SCHOOL])

        # The schema: types, grade, groups, region codes, odd text. Each entry names its record and field.
        odd = [
            ({"grade": 0}, "grade"),
            ({"grade": 10}, "grade"),
            ({"grade": "五"}, "grade"),
            ({"groups": ["orphan", "rich"]}, "groups"),
            ({"hukou_county_code": "110100"}, "hukou_county_code"),  # a city, not a county
            ({"residence_county_code": "999999"}, "residence_county_code"),  # no such county
            ({"residence_county_code": "１１０１０１"}, "residence_county_code"),  # full-width digits
            ({"national_id": 110101201405090011}, "national_id"),  # not a string
            ({"name": "名" * 100_000}, "name"),
            ({"student_id": "G" + "x" * 18}, "student_id"),
            ({"birth_date": "2014-02-30"}, "birth_date"),
        ]
        roll = [kid(VALIDATION_COUNTY, 10 + i, **change) for i, (change, _) in enumerate(odd)]
        body = assert_problem(await http.put(url, headers=own, json={"as_of": "2026-10-01", "students": roll}), 422)
        named = {(e["loc"][2], e["loc"][3]) for e in body["errors"]}
        assert named == {(i, field) for i, (_, field) in enumerate(odd)}, body["errors"]
        assert all(e["loc"][:2] == ["body", "students"] for e in body["errors"])
        assert "名" * 100 not in str(body), "a huge value is not echoed"

        # The identity rules: ID number, G-number, duplicates.
        other = national_id(VALIDATION_COUNTY, BIRTH, 99)
        rules = [
            kid(VALIDATION_COUNTY, 20),
            kid(VALIDATION_COUNTY, 20),  # the same pupil twice
            kid(VALIDATION_COUNTY, 21, birth_date="2014-05-10"),  # does not match the ID number
            kid(VALIDATION_COUNTY, 22, student_id="G" + other),  # a G-number of another ID number
            kid(VALIDATION_COUNTY, 23, student_id="L1101110023", national_id=good[0]["national_id"]),
            {**good[0], "student_id": "L1101110024"},  # the same ID number as index 4
            kid(VALIDATION_COUNTY, 25, national_id=good[1]["national_id"][:-1] + "0"),  # wrong check character
            kid(VALIDATION_COUNTY, 26, national_id="１１０１１１２０１４０５０９００１Ｘ"),  # full-width digits
        ]
        body = assert_problem(await http.put(url, headers=own, json={"as_of": "2026-10-01", "students": rules}), 422)
        assert [(e["loc"][2], e["loc"][3]) for e in body["errors"]] == [
            (1, "student_id"),
            (1, "national_id"),
            (2, "national_id"),
            (3, "student_id"),
            (5, "national_id"),
            (6, "national_id"),
            (7, "national_id"),
        ], body["errors"]
        for number in (other, good[0]["national_id"], good[1]["national_id"]):
            assert number not in str(body).replace("G" + number, ""), "no ID number echoed"

        for county, why in (("110100", "city"), ("999999", "not a county-level"), ("１１０１０１", "ASCII digits")):
            school = {"name": "坏县", "county_code": county, "kind": "primary"}
            problem = assert_problem(
                await http.put(f"/v1/schools/{VALIDATION_SCHOOL}", headers=auth(admin), json=school), 422
            )
            assert problem["errors"][0]["loc"] == ["body", "county_code"] and why in problem["errors"][0]["msg"], (
                problem
            )
        assert await state(stack.database_url, [VALIDATION_SCHOOL]) == before
