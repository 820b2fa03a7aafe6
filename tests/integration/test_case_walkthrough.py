"""One child through the whole process, across the four real services: enrolled → absent → suspected → confirmed
(with a cause) → three attempts → order to correct (deadline passed: overdue) → judicial document → returned →
consolidation → proposed → approved by a second person → closed → leaves again → reopened. At each step the three
ledgers, an as-of ledger of a past day, the case and the timeline are checked."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.pii import mask_national_id

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import eventually, scalar
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_source_outcomes import shanghai_today
from tests.integration.test_verifications import absent_for, outcome_url, push

COUNTY, SCHOOL = "140213", "1402130001"  # 平城区, Datong: no other test's county
CASEWORKER, APPROVER = "张敏", "李华"


def masked(student: str) -> str:
    """A student number as ledger pages show it."""
    return student[0] + mask_national_id(student[1:])


def sweep(stack: Stack, day: date) -> str:
    """Run `baoxue ledger sweep --date --county` as an operator would."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "baoxue_common.cli", "ledger", "sweep", "--date", day.isoformat()]
    done = subprocess.run(
        [*command, "--county", COUNTY], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class Walk:
    """The clients and tokens of the walk, with the reads each step checks."""

    def __init__(self, stack: Stack, services: dict[str, ServiceProcess], student: str) -> None:
        self.stack, self.student = stack, student
        self.ledger = httpx.AsyncClient(base_url=services["ledger"].url, timeout=30)
        self.caseworker = auth(stack.token(f"region:{COUNTY}", user=CASEWORKER))
        self.approver = auth(stack.token(f"region:{COUNTY}", user=APPROVER))

    async def entries(self, ledger: str, **params: Any) -> list[dict[str, Any]]:
        """The child's entries of one ledger (every status), optionally as of a day."""
        query = {"limit": 500, **{k: str(v) for k, v in params.items()}}
        r = await self.ledger.get(f"/v1/counties/{COUNTY}/ledgers/{ledger}", headers=self.caseworker, params=query)
        assert r.status_code == 200, r.text
        return [i for i in r.json()["items"] if i.get("student_id") == masked(self.student)]

    async def status(self, ledger: str, **params: Any) -> list[str]:
        """The statuses of the child's entries in one ledger."""
        return sorted(e["status"] for e in await self.entries(ledger, **params))

    async def shows(self, ledger: str, status: str, **params: Any) -> bool:
        """Whether the ledger shows the child with that status (to wait on)."""
        return status in await self.status(ledger, status=status, **params)

    async def case(self, case_id: str) -> dict[str, Any]:
        r = await self.ledger.get(f"/v1/cases/{case_id}", headers=self.caseworker)
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    async def timeline(self) -> list[str]:
        """The event types of the child's timeline, oldest first."""
        r = await self.ledger.get(
            f"/v1/students/{self.student}/timeline", headers=self.caseworker, params={"limit": 500}
        )
        assert r.status_code == 200, r.text
        return [line["event_type"] for line in r.json()["items"]]

    async def post(self, case_id: str, path: str, body: dict[str, Any], who: dict[str, str] | None = None) -> Any:
        r = await self.ledger.post(f"/v1/cases/{case_id}/{path}", headers=who or self.caseworker, json=body)
        return r


async def test_one_child_from_enrolment_to_a_reopened_case(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    today = shanghai_today()
    days = past_school_days(30, today)
    born = date(2019, 3, 1)  # 平城区 exists since 2018: its ID numbers start then
    pupil = kid(COUNTY, 1, birth=born, groups=["left_behind"], poverty_household=True)
    classmate = kid(COUNTY, 2, birth=born)
    sid = pupil["student_id"]
    walk = Walk(stack, services, sid)
    admin = stack.token("admin")
    async with (
        httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as ingest,
        httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification,
        walk.ledger,
    ):
        r = await verification.put(
            f"/v1/regions/{COUNTY}/rules", headers=auth(admin), json={"return_consolidation_school_days": 3}
        )
        assert r.status_code == 200, r.text
        rule = "SELECT return_consolidation_school_days FROM ledger.rules WHERE region_code = $1"
        await eventually(lambda: _equals(scalar(stack.database_url, rule, COUNTY), 3))

        # Enrolled.
        await register(ingest, admin, SCHOOL, COUNTY)
        await put_roll(ingest, stack, SCHOOL, days[0] - timedelta(days=3), [pupil, classmate])
        await eventually(lambda: walk.shows("school-age", "enrolled"))
        known = "SELECT count(*) FROM verification.pupils WHERE student_id = $1 AND national_id_hash IS NOT NULL"
        await eventually(lambda: _equals(scalar(stack.database_url, known, sid), 1))
        assert "StudentEnrolled" in await walk.timeline()

        # Absent 15 school days → suspected, then verifying.
        await absent_for(ingest, stack, [sid], days[:15], SCHOOL)
        await eventually(lambda: walk.shows("suspected", "verifying"))
        lines = await walk.timeline()
        assert lines.count("AbsenceRecorded") == 15
        assert lines.index("SuspectedDropoutFlagged") < lines.index("VerificationAssigned")
        assert await walk.status("dropouts") == []

        # Confirmed with a cause → a case opens; the school-age ledger says dropout.
        verification_id = await scalar(
            stack.database_url, "SELECT verification_id FROM verification.verifications WHERE student_id = $1", sid
        )
        verdict = {
            "outcome": "confirmed_dropout",
            "cause": "family_poverty",
            "verified_by": "王老师",
            "verified_on": days[15].isoformat(),
        }
        r = await verification.post(
            outcome_url(verification_id), headers=auth(stack.token(f"school:{SCHOOL}")), json=verdict
        )
        assert r.status_code == 200, r.text
        await eventually(lambda: walk.shows("dropouts", "open"))
        [entry] = await walk.entries("dropouts")
        case_id = entry["case_id"]
        assert await walk.status("suspected") == ["confirmed_dropout"]
        await eventually(lambda: walk.shows("school-age", "dropout"))
        case = await walk.case(case_id)
        assert (case["status"], case["cause_main"], case["confirmed_on"]) == (
            "open",
            "family_poverty",
            days[15].isoformat(),
        )
        assert (case["groups"], case["poverty_household"]) == (["left_behind"], True)
        # As it stood at the end of the flag's day (assigned the same day): being verified, not yet a dropout.
        assert await walk.status("suspected", as_of=days[14]) == ["verifying"]
        assert await walk.status("suspected", as_of=days[13]) == []
        assert await walk.status("dropouts", as_of=days[14]) == []
        assert await walk.status("dropouts", as_of=days[15]) == ["open"]
        assert "DropoutConfirmed" in await walk.timeline()

        # Three attempts.
        for day, outcome in zip(days[16:19], ("refused", "unreachable", "refused"), strict=True):
            body = {"date": day.isoformat(), "method": "home_visit", "by": "班主任刘老师", "outcome": outcome}
            r = await walk.post(case_id, "attempts", body)
            assert r.status_code == 201, r.text
        case = await walk.case(case_id)
        assert [a["outcome"] for a in case["attempts"]] == ["refused", "unreachable", "refused"]
        assert {a["recorded_by"] for a in case["attempts"]} == {CASEWORKER}

        # Criticism and education, then an order to correct whose deadline passes: overdue.
        ladder = [
            {"level": "criticism_education", "date": days[19].isoformat(), "issued_by": "镇政府"},
            {
                "level": "order_to_correct",
                "date": days[20].isoformat(),
                "deadline": days[22].isoformat(),
                "issued_by": "县教育局",
            },
        ]
        for step in ladder:
            r = await walk.post(case_id, "escalations", step)
            assert r.status_code == 201, r.text
        case = await walk.case(case_id)
        assert (case["escalation_level"], case["order_deadline"], case["order_overdue"]) == (
            "order_to_correct",
            days[22].isoformat(),
            True,
        )
        [entry] = await walk.entries("dropouts")
        assert (entry["status"], entry["escalation_level"]) == ("open", "order_to_correct")

        # A judicial document; then the child is back.
        r = await walk.post(
            case_id, "escalations", {"level": "judicial_document", "date": days[24].isoformat(), "issued_by": "县法院"}
        )
        assert r.status_code == 201, r.text
        assert (await walk.case(case_id))["order_overdue"] is False, "a higher level supersedes the order"
        back = {"school_code": SCHOOL, "date": days[25].isoformat(), "placement": "regular"}
        r = await walk.post(case_id, "return", back)
        assert r.status_code == 200, r.text
        case = await walk.case(case_id)
        assert (case["status"], case["returned_on"], case["return_recorded_by"]) == (
            "returned",
            days[25].isoformat(),
            CASEWORKER,
        )
        assert await walk.status("dropouts") == ["returned"]
        await eventually(lambda: walk.shows("school-age", "returned"))
        assert await walk.status("dropouts", as_of=days[24]) == ["open"], "the past day still shows the open case"

        # Consolidation: back at school on the days after the return; the operator's sweep proposes the close-out.
        for day in days[26:]:
            await push(ingest, stack, day, {sid: "present", classmate["student_id"]: "present"}, SCHOOL)
        assert sweep(stack, days[26]).endswith(": 0"), "one school day back is not enough"
        assert sweep(stack, today).endswith(": 1")
        case = await walk.case(case_id)
        assert (case["status"], case["proposed_on"]) == ("closure_proposed", today.isoformat())

        # Approved by a second person: the one who recorded the return may not.
        r = await walk.post(case_id, "closure/approve", {"note": "已稳定"})
        assert r.status_code == 409, r.text
        r = await walk.post(case_id, "closure/approve", {"note": "已稳定"}, who=walk.approver)
        assert r.status_code == 200, r.text
        case = await walk.case(case_id)
        assert (case["status"], case["closed_by"], case["closed_on"]) == ("closed", APPROVER, today.isoformat())
        assert await walk.status("dropouts") == ["closed"]
        r = await walk.post(case_id, "return", back)
        assert r.status_code == 409, "a closed case takes no return"

        # Leaves again: the next roll leaves the pupil out, with no transfer → the case reopens, a relapse.
        await put_roll(ingest, stack, SCHOOL, today, [classmate])
        await eventually(lambda: walk.shows("dropouts", "open"))
        case = await walk.case(case_id)
        assert (case["status"], case["relapses"], case["closed_on"]) == ("open", 1, None)
        await eventually(lambda: walk.shows("school-age", "dropout"))
        assert await walk.status("dropouts", as_of=days[25]) == ["returned"]

        lines = await walk.timeline()
        order = [
            "StudentEnrolled",
            "SuspectedDropoutFlagged",
            "DropoutConfirmed",
            "PersuasionAttemptRecorded",
            "CaseEscalated",
            "ReturnConfirmed",
            "CaseClosureProposed",
            "CaseClosed",
            "CaseReopened",
        ]
        assert [lines.index(t) for t in order] == sorted(lines.index(t) for t in order), lines
        assert lines.count("PersuasionAttemptRecorded") == 3 and lines.count("CaseEscalated") == 3
        logged = "SELECT count(*) FROM ledger.access_log WHERE county_code = $1 AND action IN ('case', 'timeline')"
        assert int(await scalar(stack.database_url, logged, COUNTY)) > 10, "every read of the case and timeline logged"


async def _equals(value: Any, expected: Any) -> bool:
    return (await value) == expected
