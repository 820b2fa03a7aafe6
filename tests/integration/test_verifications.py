"""Verification end to end: one suspect and one verification per child, its outcome, and the overdue sweep."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_contracts.topics import DETECTION, VERIFICATION
from ledger.domain.exports import mask_student_id

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import events_on, eventually, scalar
from tests.integration.test_detection import verification_published
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_rules import events_of

COUNTY, SCHOOL, OTHER = "320102", "3201020001", "3201020003"  # 玄武区, Nanjing: no other test's county or city
FLAGGED, ASSIGNED = "SuspectedDropoutFlagged", "VerificationAssigned"
STATE = "SELECT to_jsonb(v) FROM verification.verifications v WHERE verification_id = $1"


async def push(http: httpx.AsyncClient, stack: Stack, day: date, marks: dict[str, str], school: str = SCHOOL) -> None:
    """Push one day's attendance of the school."""
    records = [{"student_id": sid, "status": status} for sid, status in marks.items()]
    headers = auth(stack.token(f"school:{school}"))
    body = {"date": day.isoformat(), "records": records}
    r = await http.post(f"/v1/schools/{school}/attendance", headers=headers, json=body)
    assert r.status_code == 200, r.text


async def absent_for(
    http: httpx.AsyncClient, stack: Stack, sids: list[str], days: list[date], school: str = SCHOOL
) -> None:
    """Mark the pupils unexcused on every one of the days."""
    for day in days:
        await push(http, stack, day, dict.fromkeys(sids, "absent_unexcused"), school)


async def enrol(
    http: httpx.AsyncClient, stack: Stack, pupils: list[dict[str, Any]], as_of: date, school: str = SCHOOL
) -> None:
    """Register the school and its roll; wait until verification knows the pupils."""
    await register(http, stack.token("admin"), school, COUNTY)
    await put_roll(http, stack, school, as_of, pupils)
    known = "SELECT count(*) FROM verification.pupils WHERE student_id = ANY($1) AND national_id_hash IS NOT NULL"
    ids = [p["student_id"] for p in pupils]
    await eventually(lambda: _at_least(stack.database_url, known, ids, len(ids)))


async def state_of(stack: Stack, verification_id: object) -> dict[str, Any]:
    """A verification's stored row."""
    found: dict[str, Any] = json.loads(await scalar(stack.database_url, STATE, verification_id))
    return found


async def _at_least(database_url: str, query: str, arg: object, n: int) -> bool:
    return int(await scalar(database_url, query, arg)) >= n


async def assigned(stack: Stack, sid: str) -> Any:
    """The one VerificationAssigned of a pupil, once published."""
    [event] = await eventually(lambda: events_on(stack.bootstrap, VERIFICATION, ASSIGNED, {sid}))
    return event


def outcome_url(verification_id: object) -> str:
    return f"/v1/verifications/{verification_id}/outcome"


async def test_an_attendance_suspect_is_assigned_confirmed_once_and_not_flagged_again(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    pupil = kid(COUNTY, 1, groups=["left_behind"], poverty_household=True)
    sid = pupil["student_id"]
    days = past_school_days(16)
    today = date.today()
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        await enrol(ingest, stack, [pupil], days[0] - timedelta(days=3))
        await absent_for(ingest, stack, [sid], days[:15])
        [flag] = await eventually(lambda: events_on(stack.bootstrap, DETECTION, FLAGGED, {sid}))
        assert (flag.source, flag.sources, flag.flagged_on) == ("attendance", ("attendance",), days[14])
        task = await assigned(stack, sid)
        assert (task.suspicion_id, task.assigned_to, task.school_code, task.county_code) == (
            flag.suspicion_id,
            "school",
            SCHOOL,
            COUNTY,
        )
        assert (task.assigned_on, task.due_on, task.groups) == (
            days[14],
            days[14] + timedelta(days=10),
            ("left_behind",),
        )

        async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
            r = await http.get(f"/v1/counties/{COUNTY}/verifications", headers=auth(stack.token(f"region:{COUNTY}")))
            assert r.status_code == 200, r.text
            [listed] = [i for i in r.json()["items"] if i["verification_id"] == str(task.verification_id)]
            assert (listed["status"], listed["sources"], listed["student_id"]) == ("open", ["attendance"], sid)
            assert f'"{pupil["national_id"]}"' not in r.text and "national_id_hash" not in listed

            verdict = {
                "outcome": "confirmed_dropout",
                "cause": "work",
                "note": "家访确认外出务工",
                "verified_by": "王老师",
                "verified_on": today.isoformat(),
            }
            # Another school's token may not; the pupil's own school may.
            r = await http.post(
                outcome_url(task.verification_id), headers=auth(stack.token("school:3201020002")), json=verdict
            )
            assert r.status_code == 403, r.text
            school = auth(stack.token(f"school:{SCHOOL}"))
            r = await http.post(outcome_url(task.verification_id), headers=school, json=verdict)
            assert r.status_code == 200, r.text
            done = r.json()
            assert (done["status"], done["outcome"], done["cause"], done["verified_on"]) == (
                "done",
                "confirmed_dropout",
                "work",
                today.isoformat(),
            )
            # The same outcome again (a retry) changes nothing; another one is a conflict.
            r = await http.post(outcome_url(task.verification_id), headers=school, json=verdict)
            assert (r.status_code, r.json()) == (200, done), r.text
            cleared = {
                "outcome": "cleared",
                "reason": "returned",
                "verified_by": "王老师",
                "verified_on": today.isoformat(),
            }
            r = await http.post(outcome_url(task.verification_id), headers=school, json=cleared)
            assert r.status_code == 409, r.text

        # The run goes on after the confirmation: the same episode is not flagged again.
        await absent_for(ingest, stack, [sid], days[15:])
        latest = "SELECT count(*) FROM verification.absences WHERE student_id = $1 AND day = $2"
        await eventually(lambda: scalar(stack.database_url, latest, sid, days[15]))
    await eventually(lambda: verification_published(stack.database_url))
    [confirmed] = await events_on(stack.bootstrap, VERIFICATION, "DropoutConfirmed", {sid})
    assert (confirmed.verification_id, confirmed.suspicion_id, confirmed.sources) == (
        task.verification_id,
        flag.suspicion_id,
        ("attendance",),
    )
    assert (confirmed.cause, confirmed.groups, confirmed.poverty_household) == ("work", ("left_behind",), True)
    assert (confirmed.confirmed_on, confirmed.verified_by, confirmed.flagged_on) == (today, "王老师", days[14])
    assert len(await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})) == 1, "no second flag of the episode"
    assert len(await events_on(stack.bootstrap, VERIFICATION, ASSIGNED, {sid})) == 1
    status = "SELECT array_agg(status) FROM verification.suspicions WHERE student_id = $1"
    assert await scalar(stack.database_url, status, sid) == ["confirmed"]


async def test_three_sources_flagging_one_pupil_make_one_suspect_and_one_verification(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    stays, goes = kid(COUNTY, 2), kid(COUNTY, 3, groups=["disabled"])
    sid = goes["student_id"]
    days = past_school_days(15)
    today = date.today()
    county = auth(stack.token(f"region:{COUNTY}"))
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        await enrol(ingest, stack, [stays, goes], days[0] - timedelta(days=3))
        await absent_for(ingest, stack, [sid], days)
        [first] = await eventually(lambda: events_on(stack.bootstrap, DETECTION, FLAGGED, {sid}))
        assert first.source == "attendance"
        # The pupil leaves the roll unexplained: roster joins the suspect.
        first_test = kid(COUNTY, 1, groups=["left_behind"], poverty_household=True)  # stays on the roll too
        await put_roll(ingest, stack, SCHOOL, today - timedelta(days=1), [stays, first_test])

        async def flags(n: int) -> list[Any]:
            found = await events_on(stack.bootstrap, DETECTION, FLAGGED, {sid})
            return found if len(found) >= n else []

        await eventually(lambda: flags(2))
    # A field search finds the child by the ID number: field joins it too.
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
        finding = {
            "national_id": goes["national_id"],
            "name": goes["name"],
            "birth_date": goes["birth_date"],
            "finding": "not_attending",
            "address": "某村",
            "found_on": (today - timedelta(days=1)).isoformat(),
            "found_by": "村干部",
        }
        r = await http.post(f"/v1/counties/{COUNTY}/field-findings", headers=county, json=finding)
        assert r.status_code == 201, r.text
        assert (r.json()["suspicion_id"], r.json()["matched_student_id"]) == (str(first.suspicion_id), sid)

    flagged = await eventually(lambda: flags(3))
    assert [f.source for f in flagged] == ["attendance", "roster", "field"]
    assert {f.suspicion_id for f in flagged} == {first.suspicion_id}, "one suspect: the bus sees one id"
    assert [f.sources for f in flagged] == [
        ("attendance",),
        ("attendance", "roster"),
        ("attendance", "field", "roster"),
    ]
    task = await assigned(stack, sid)
    count = "SELECT count(*) FROM verification.verifications WHERE student_id = $1"
    assert await scalar(stack.database_url, count, sid) == 1
    rows = "SELECT count(DISTINCT suspect_id) || '/' || count(*) FROM verification.suspicions WHERE student_id = $1"
    assert await scalar(stack.database_url, rows, sid) == "1/3", "three sources' rows, one suspect"

    async with httpx.AsyncClient(base_url=services["ledger"].url, timeout=10) as http:

        async def entries() -> list[dict[str, Any]]:
            r = await http.get(f"/v1/counties/{COUNTY}/ledgers/suspected", headers=county)
            assert r.status_code == 200, r.text
            return [i for i in r.json()["items"] if i["student_id"] == mask_student_id(sid)]

        [entry] = await eventually(entries)
        assert entry["suspicion_id"] == str(first.suspicion_id)

    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
        body = {"outcome": "confirmed_dropout", "verified_by": "教育局张科长", "verified_on": today.isoformat()}
        r = await http.post(outcome_url(task.verification_id), headers=county, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["sources"] == ["attendance", "field", "roster"]
    [confirmed] = await eventually(lambda: events_on(stack.bootstrap, VERIFICATION, "DropoutConfirmed", {sid}))
    assert (confirmed.sources, confirmed.source, confirmed.groups) == (
        ("attendance", "field", "roster"),
        "attendance",
        ("disabled",),
    )
    assert confirmed.national_id_hash is not None and f'"{goes["national_id"]}"' not in confirmed.model_dump_json()


async def test_a_field_suspect_is_cleared_refused_when_wrong_and_two_outcomes_at_once_one_wins(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the platform's date, as the service checks it
    county = auth(stack.token(f"region:{COUNTY}"))
    child = {
        "name": "无籍儿童甲",
        "birth_date": "2016-03-01",
        "finding": "no_hukou",
        "address": "某村5组",
        "found_on": (today - timedelta(days=3)).isoformat(),
        "found_by": "村干部",
    }
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
        ids = []
        for name in ("无籍儿童甲", "无籍儿童乙"):
            r = await http.post(f"/v1/counties/{COUNTY}/field-findings", headers=county, json=child | {"name": name})
            assert r.status_code == 201, r.text
            ids.append(r.json()["suspicion_id"])
        lookup = "SELECT verification_id FROM verification.verifications WHERE suspicion_id = $1::uuid"
        first, second = [await eventually(lambda i=i: scalar(stack.database_url, lookup, i)) for i in ids]
        state = await state_of(stack, first)
        assert (state["assigned_to"], state["school_code"], state["status"]) == ("county", None, "open")
        assert state["due_on"] == (today - timedelta(days=3) + timedelta(days=10)).isoformat()

        base = {"outcome": "cleared", "reason": "returned", "verified_by": "李干事", "verified_on": today.isoformat()}
        refused = [
            ({"reason": None}, "reason"),
            ({"reason": "attendance_corrected"}, "reason"),
            ({"reason": "bored"}, "reason"),
            ({"cause": "work"}, "cause"),
            ({"verified_on": (today + timedelta(days=1)).isoformat()}, "verified_on"),
            ({"verified_on": (today - timedelta(days=4)).isoformat()}, "verified_on"),
            ({"outcome": "confirmed_dropout", "reason": None, "cause": "laziness"}, "cause"),
            ({"outcome": "maybe"}, "outcome"),
            ({"verified_by": ""}, "verified_by"),
        ]
        for change, field in refused:
            r = await http.post(outcome_url(first), headers=county, json=base | change)
            assert r.status_code == 422, (change, r.text)
            assert ["body", field] in [e["loc"] for e in r.json()["errors"]], (change, r.json())
        assert await state_of(stack, first) == state, "a refused outcome changes nothing"
        r = await http.post(outcome_url("00000000-0000-4000-8000-000000000000"), headers=county, json=base)
        assert r.status_code == 404, r.text
        for scope in ("region:320104", f"school:{SCHOOL}"):
            r = await http.post(outcome_url(first), headers=auth(stack.token(scope)), json=base)
            assert r.status_code == 403, (scope, r.text)

        r = await http.post(outcome_url(first), headers=county, json=base | {"note": "已回原籍就读"})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["reason"], r.json()["sources"]) == ("done", "returned", ["field"])

        # Two different outcomes at once: one wins, the other is a conflict.
        confirm = {"outcome": "confirmed_dropout", "verified_by": "李干事", "verified_on": today.isoformat()}
        answers = await asyncio.gather(
            http.post(outcome_url(second), headers=county, json=base),
            http.post(outcome_url(second), headers=county, json=confirm),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        winner = next(a.json() for a in answers if a.status_code == 200)

    await eventually(lambda: verification_published(stack.database_url))
    mine = {ids[0], ids[1]}
    cleared = [e for _, e in await events_of(stack.bootstrap, VERIFICATION, "SuspicionCleared", {COUNTY})]
    confirmed = [e for _, e in await events_of(stack.bootstrap, VERIFICATION, "DropoutConfirmed", {COUNTY})]
    outcomes = [e for e in cleared + confirmed if str(e.suspicion_id) in mine]
    assert len(outcomes) == 2, "one outcome event per verification"
    [first_cleared] = [e for e in outcomes if str(e.verification_id) == str(first)]
    assert (first_cleared.reason, first_cleared.sources, first_cleared.note) == ("returned", ("field",), "已回原籍就读")
    [second_outcome] = [e for e in outcomes if str(e.verification_id) == str(second)]
    assert second_outcome.event_type == ("SuspicionCleared" if winner["outcome"] == "cleared" else "DropoutConfirmed")


def sweep(stack: Stack, day: date) -> str:
    """Run `baoxue verification sweep --date` against the test database; return what it printed."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "baoxue_common.cli", "verification", "sweep", "--date", day.isoformat()]
    command += ["--county", COUNTY]  # the database is shared with other tests' counties
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_the_sweep_raises_an_overdue_verification_once_and_the_list_follows(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the platform's date, as the service checks it
    county = auth(stack.token(f"region:{COUNTY}"))
    child = {
        "name": "逾期儿童",
        "birth_date": "2015-06-01",
        "finding": "no_student_record",
        "address": "某村7组",
        "found_on": (today - timedelta(days=2)).isoformat(),
        "found_by": "村干部",
    }
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
        r = await http.post(f"/v1/counties/{COUNTY}/field-findings", headers=county, json=child)
        assert r.status_code == 201, r.text
        lookup = "SELECT verification_id FROM verification.verifications WHERE suspicion_id = $1::uuid"
        vid = await scalar(stack.database_url, lookup, r.json()["suspicion_id"])
        due = date.fromisoformat((await state_of(stack, vid))["due_on"])

        # On the due day nothing is overdue yet; the day after, it is, once.
        await asyncio.to_thread(sweep, stack, due)
        assert (await state_of(stack, vid))["status"] == "open"
        printed = await asyncio.to_thread(sweep, stack, due + timedelta(days=1))
        assert f"{due + timedelta(days=1)} raise_overdue:" in printed
        state = await state_of(stack, vid)
        assert (state["status"], state["overdue_raised_on"]) == ("overdue", (due + timedelta(days=1)).isoformat())
        again = await asyncio.to_thread(sweep, stack, due + timedelta(days=1))
        sweeps = ("raise_overdue", "flag_stalled_transfers", "flag_not_attending")
        nothing = "\n".join(f"{due + timedelta(days=1)} {name}: 0" for name in sweeps)
        assert again.strip() == nothing, "a second run raises nothing"

        async def page(status: str, **params: Any) -> dict[str, Any]:
            r = await http.get(
                f"/v1/counties/{COUNTY}/verifications", headers=county, params={"status": status} | params
            )
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        overdue = await page("overdue")
        assert str(vid) in [i["verification_id"] for i in overdue["items"]]
        assert {i["status"] for i in overdue["items"]} == {"overdue"}
        assert (overdue["total"], overdue["next_offset"]) == (len(overdue["items"]), None)
        assert str(vid) not in [i["verification_id"] for i in (await page("open"))["items"]]
        r = await http.get(f"/v1/counties/{COUNTY}/verifications", headers=county, params={"status": "late"})
        assert r.status_code == 422, r.text
        r = await http.get(f"/v1/counties/{COUNTY}/verifications", headers=auth(stack.token("region:320104")))
        assert r.status_code == 403, r.text

        # An overdue verification may still be concluded.
        body = {"outcome": "confirmed_dropout", "verified_by": "李干事", "verified_on": today.isoformat()}
        r = await http.post(outcome_url(vid), headers=county, json=body)
        assert (r.status_code, r.json()["status"]) == (200, "done"), r.text
        done = await page("done", limit=1)
        assert (len(done["items"]), done["limit"], done["total"] >= 1) == (1, 1, True)
        assert done["next_offset"] == (1 if done["total"] > 1 else None)
        assert str(vid) not in [i["verification_id"] for i in (await page("overdue"))["items"]]

    await eventually(lambda: verification_published(stack.database_url))
    raised = [e for _, e in await events_of(stack.bootstrap, VERIFICATION, "VerificationOverdue", {COUNTY})]
    [mine] = [e for e in raised if e.verification_id == vid]
    assert (mine.due_on, mine.assigned_to, mine.school_code) == (due, "county", None)


async def test_a_correction_ends_only_its_source_and_the_last_source_clears_the_suspect(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    held, alone = kid(COUNTY, 4), kid(COUNTY, 5)
    both = [held["student_id"], alone["student_id"]]
    days = past_school_days(15)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    county = auth(stack.token(f"region:{COUNTY}"))
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        await enrol(ingest, stack, [held, alone], days[0] - timedelta(days=3), OTHER)
        await absent_for(ingest, stack, both, days, OTHER)

        async def flagged(sids: list[str], n: int) -> list[Any]:
            found = await events_on(stack.bootstrap, DETECTION, FLAGGED, set(sids))
            return found if len(found) >= n else []

        await eventually(lambda: flagged(both, 2))
        async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
            finding = {
                "national_id": held["national_id"],
                "name": held["name"],
                "birth_date": held["birth_date"],
                "finding": "not_attending",
                "address": "某村",
                "found_on": today.isoformat(),
                "found_by": "村干部",
            }
            r = await http.post(f"/v1/counties/{COUNTY}/field-findings", headers=county, json=finding)
            assert r.status_code == 201, r.text
        await eventually(lambda: flagged([held["student_id"]], 2))
        # The school corrects a day in the middle of both runs: attendance's grounds are gone.
        await push(ingest, stack, days[7], dict.fromkeys(both, "present"), OTHER)

    cleared = await eventually(
        lambda: events_on(stack.bootstrap, VERIFICATION, "SuspicionCleared", {alone["student_id"]})
    )
    [clearing] = cleared
    task = await assigned(stack, alone["student_id"])
    assert (clearing.reason, clearing.verification_id, clearing.sources) == (
        "attendance_corrected",
        task.verification_id,
        ("attendance",),
    )
    state = await state_of(stack, task.verification_id)
    assert (state["status"], state["outcome"], state["reason"], state["verified_by"]) == (
        "done",
        "cleared",
        "attendance_corrected",
        "system",
    )

    flags = await eventually(lambda: flagged([held["student_id"]], 3))
    assert [f.sources for f in flags] == [("attendance",), ("attendance", "field"), ("field",)]
    assert len({f.suspicion_id for f in flags}) == 1
    await eventually(lambda: verification_published(stack.database_url))
    assert await events_on(stack.bootstrap, VERIFICATION, "SuspicionCleared", {held["student_id"]}) == []
    still = await state_of(stack, (await assigned(stack, held["student_id"])).verification_id)
    assert still["status"] == "open", "the field finding still holds the suspect"
