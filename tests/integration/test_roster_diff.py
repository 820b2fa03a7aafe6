"""Roll pushes against the running service: joiners, changes, leavers, graduation only after the year, sealed IDs."""

from __future__ import annotations

import time

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.pii import mask_national_id
from baoxue_common.testing import national_id

from tests.integration.conftest import Stack
from tests.integration.roll_support import BIRTH, auth, fetch, kid, of_type, publish_calendar, register, roster_events

COUNTY = "110105"  # 朝阳区
SCHOOL = "1101050077"  # not test_local_time's school: both put rolls on the same broker
GRAD_COUNTY = "110102"  # 西城区
GRAD_SCHOOL = "1101020001"
BIG_COUNTY = "110106"  # 丰台区
BIG_SCHOOL = "1101060001"


async def test_joiners_changes_and_leavers_become_events_and_ids_are_stored_sealed(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    admin, own = stack.token("admin"), stack.token(f"school:{SCHOOL}")
    a = kid(COUNTY, 1, groups=["left_behind", "migrant"], poverty_household=True)
    b = kid(COUNTY, 2, student_id="L1101050002")
    c = kid(COUNTY, 3)
    d = kid(COUNTY, 4)
    url = f"/v1/schools/{SCHOOL}/roster"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        await register(http, admin, SCHOOL, COUNTY)
        first = await http.put(url, headers=auth(own), json={"as_of": "2026-09-01", "students": [a, b, c]})
        assert first.status_code == 200, first.text
        assert first.json() == {"school_code": SCHOOL, "joined": 3, "changed": 0, "left": 0}
        for number in (a["national_id"], b["national_id"]):
            assert number not in first.text

        rows = await fetch(
            stack.database_url,
            "SELECT * FROM attendance_ingest.students WHERE school_code = $1 ORDER BY student_id",
            SCHOOL,
        )
        assert len(rows) == 3
        for row in rows:
            assert row["national_id_enc"] and row["national_id_key"] and len(row["national_id_hash"]) == 64
            assert str(row["roll_as_of"]) == "2026-09-01" and row["active"] and row["left_on"] is None
        masked = {r["student_id"]: r["national_id_masked"] for r in rows}
        assert masked[a["student_id"]] == mask_national_id(a["national_id"])
        sealed_before = {r["student_id"]: bytes(r["national_id_enc"]) for r in rows}

        again = await http.put(url, headers=auth(own), json={"as_of": "2026-09-01", "students": [a, b, c]})
        assert again.json() == {"school_code": SCHOOL, "joined": 0, "changed": 0, "left": 0}, again.text
        rows = await fetch(
            stack.database_url,
            "SELECT student_id, national_id_enc FROM attendance_ingest.students WHERE school_code = $1",
            SCHOOL,
        )
        assert {r["student_id"]: bytes(r["national_id_enc"]) for r in rows} == sealed_before, "no re-seal, no write"

        new_number = national_id(COUNTY, BIRTH, 12)  # b's ID number corrected; b has an L-number
        changed_a = {**a, "class": "5-2", "groups": ["migrant", "left_behind"]}  # order of groups is not a change
        changed_b = {**b, "national_id": new_number}
        later = await http.put(
            url, headers=auth(own), json={"as_of": "2026-10-08", "students": [changed_a, changed_b, d]}
        )
        assert later.json() == {"school_code": SCHOOL, "joined": 1, "changed": 2, "left": 1}, later.text
        before_stale = await fetch(
            stack.database_url,
            "SELECT * FROM attendance_ingest.students WHERE school_code = $1 ORDER BY student_id",
            SCHOOL,
        )
        stale = await http.put(url, headers=auth(own), json={"as_of": "2026-10-07", "students": [a, b, c]})
        assert stale.status_code == 409, stale.text
        assert [e["loc"] for e in stale.json()["errors"]] == [["body", "as_of"]]
        after_stale = await fetch(
            stack.database_url,
            "SELECT * FROM attendance_ingest.students WHERE school_code = $1 ORDER BY student_id",
            SCHOOL,
        )
        assert after_stale == before_stale, "an older roll changes nothing"

    events = await roster_events(stack.bootstrap, [SCHOOL], expect=7)
    assert [e.event_type for e, _ in events].count("StudentEnrolled") == 4
    enrolled = {p.student_id: p for _, p in of_type(events, "StudentEnrolled")}
    assert (
        enrolled[a["student_id"]].groups == ("left_behind", "migrant") and enrolled[a["student_id"]].poverty_household
    )
    assert str(enrolled[d["student_id"]].enrolled_on) == "2026-10-08"
    updated = {p.student_id: p for _, p in of_type(events, "StudentUpdated")}
    assert updated[a["student_id"]].changed == ("class_name",)
    assert updated[b["student_id"]].changed == ("national_id_hash",)
    assert updated[a["student_id"]].poverty_household and updated[a["student_id"]].groups == ("left_behind", "migrant")
    [(envelope, left)] = of_type(events, "StudentLeft")
    assert (left.student_id, left.reason, str(left.left_on), left.grade) == (
        c["student_id"],
        "unexplained",
        "2026-10-08",
        5,
    )
    assert envelope.region == COUNTY
    assert len(events) == 7, [e.event_type for e, _ in events]
    raw = str([e.model_dump() for e, _ in events])
    for number in (a["national_id"], new_number, b["national_id"]):
        # A G-number is G + the ID number by definition (全国学籍号); nothing else carries it.
        assert number not in raw.replace("G" + number, ""), "no clear ID number on the bus"

    rows = await fetch(
        stack.database_url,
        "SELECT student_id, active, left_on, national_id_masked FROM attendance_ingest.students WHERE school_code = $1",
        SCHOOL,
    )
    by_id = {r["student_id"]: r for r in rows}
    assert not by_id[c["student_id"]]["active"] and str(by_id[c["student_id"]]["left_on"]) == "2026-10-08"
    assert by_id[b["student_id"]]["national_id_masked"] == mask_national_id(new_number)


async def test_grade_6_leavers_graduate_only_after_the_last_term(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    admin, own = stack.token("admin"), stack.token(f"school:{GRAD_SCHOOL}")
    early, last_day, after, younger = (kid(GRAD_COUNTY, n, grade=6) for n in (1, 2, 3, 4))
    younger["grade"] = 5
    url = f"/v1/schools/{GRAD_SCHOOL}/roster"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        await register(http, admin, GRAD_SCHOOL, GRAD_COUNTY, "primary")
        await publish_calendar(
            http, admin, GRAD_COUNTY, "2025-2026", [("2025-09-01", "2026-01-20"), ("2026-03-02", "2026-07-10")]
        )
        await publish_calendar(http, admin, GRAD_COUNTY, "2026-2027", [("2026-09-01", "2027-01-20")])
        roll = [early, last_day, after, younger]
        first = await http.put(url, headers=auth(own), json={"as_of": "2026-03-02", "students": roll})
        assert first.json()["joined"] == 4, first.text
        for as_of, leaving in (
            ("2026-06-15", early),
            ("2026-07-10", last_day),
            ("2026-07-11", after),
            ("2026-07-12", younger),
        ):
            roll = [p for p in roll if p is not leaving]
            response = await http.put(url, headers=auth(own), json={"as_of": as_of, "students": roll})
            assert response.status_code == 200 and response.json()["left"] == 1, response.text

    events = await roster_events(stack.bootstrap, [GRAD_SCHOOL], expect=8)
    reasons = {p.student_id: (p.reason, str(p.left_on)) for _, p in of_type(events, "StudentLeft")}
    assert reasons == {
        early["student_id"]: ("unexplained", "2026-06-15"),  # before the end of the year: not a graduate
        last_day["student_id"]: ("unexplained", "2026-07-10"),  # on the last day of the last term: still not
        after["student_id"]: ("graduation", "2026-07-11"),  # once the last term has ended
        younger["student_id"]: ("unexplained", "2026-07-12"),  # grade 5 never graduates from a primary school
    }


async def test_a_roll_of_5000_pupils_is_accepted_quickly(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    """Prints the timings (first push, identical re-push, a push with 100 changes); asserts only the outcome."""
    admin, own = stack.token("admin"), stack.token(f"school:{BIG_SCHOOL}")
    pupils = [kid(BIG_COUNTY, n % 1000, birth=BIRTH.replace(day=1 + n // 1000)) for n in range(5000)]
    url = f"/v1/schools/{BIG_SCHOOL}/roster"
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=60) as http:
        await register(http, admin, BIG_SCHOOL, BIG_COUNTY)
        timings = []
        for label, roll in (
            ("first push", pupils),
            ("identical re-push", pupils),
            ("100 changed", [{**p, "class": "5-9"} if i < 100 else p for i, p in enumerate(pupils)]),
        ):
            started = time.perf_counter()
            response = await http.put(url, headers=auth(own), json={"as_of": "2026-09-01", "students": roll})
            timings.append(f"{label}: {time.perf_counter() - started:.3f}s")
            assert response.status_code == 200, response.text[:500]
        assert response.json()["changed"] == 100
    print("roll of 5,000 pupils over HTTP —", "; ".join(timings))
