"""Cross-check and roster suspects from flag to outcome through the real bus, the county's suspected ledger following.

(Attendance, field and national each have theirs in `test_verifications.py` and `test_national_lists.py`.)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id
from baoxue_contracts.topics import DETECTION, VERIFICATION

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import events_on, eventually, scalar
from tests.integration.test_cross_checks import on_rolls
from tests.integration.test_detection import verification_published
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_rules import events_of
from tests.integration.test_verifications import outcome_url, push, state_of

CROSS, ROSTER = "510104", "510105"  # 锦江区, 青羊区 (Chengdu): no other test's counties or city
SCHOOL, RECEIVER = "5101050001", "5101050002"
FLAGGED, ASSIGNED = "SuspectedDropoutFlagged", "VerificationAssigned"
BORN = date(2016, 3, 1)  # of compulsory age for years to come


def shanghai_today() -> date:
    """The platform's date, as the service checks outcomes and runs cross-checks."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def sweep(stack: Stack, day: date, county: str) -> str:
    """Run `baoxue verification sweep --date --county` against the test database; return what it printed."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "baoxue_common.cli", "verification", "sweep", "--date", day.isoformat()]
    command += ["--county", county]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def ledger_entry(base: str, token: str, county: str, suspicion_id: object, status: str) -> dict[str, Any] | None:
    """The county's suspected-ledger entry of a suspicion, once it shows the status."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        r = await http.get(f"/v1/counties/{county}/ledgers/suspected", headers=auth(token), params={"status": status})
        assert r.status_code == 200, r.text
        found = [i for i in r.json()["items"] if i["suspicion_id"] == str(suspicion_id)]
        return found[0] if found else None


async def of_suspicion(stack: Stack, topic: str, event_type: str, county: str, suspicion_id: object) -> list[Any]:
    """The events of a type about one suspicion on a topic (a child on no roll has no subject id)."""
    return [
        e for _, e in await events_of(stack.bootstrap, topic, event_type, {county}) if e.suspicion_id == suspicion_id
    ]


async def test_a_cross_check_suspect_on_no_roll_is_verified_by_the_county_and_confirmed(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = shanghai_today()
    token = stack.token(f"region:{CROSS}")
    county = auth(token)
    number = national_id(CROSS, BORN, 31)
    registry = f"/v1/counties/{CROSS}/registries"
    household = {
        "national_id": number,
        "name": "失学儿童乙",
        "gender": "F",
        "birth_date": BORN.isoformat(),
        "hukou_county_code": CROSS,
        "residence_county_code": CROSS,
    }
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as http:
        for path, body in (
            ("household", {"as_of": today.isoformat(), "children": [household]}),
            ("poverty", {"as_of": today.isoformat(), "national_ids": [number]}),
            ("groups", {"as_of": today.isoformat(), "children": [{"national_id": number, "groups": ["left_behind"]}]}),
        ):
            r = await http.put(f"{registry}/{path}", headers=county, json=body)
            assert r.status_code == 200, (path, r.text)
        r = await http.post(f"/v1/counties/{CROSS}/cross-checks", headers=county)
        assert r.status_code == 201, r.text
        assert (r.json()["counts"], r.json()["suspects_opened"]) == (
            {"out_of_school": 1, "not_attending": 0, "poverty_dropout": 1},
            1,
        ), "two findings, one child, one suspect"

        await eventually(lambda: verification_published(stack.database_url))
        [flag] = [e for _, e in await events_of(stack.bootstrap, DETECTION, FLAGGED, {CROSS})]
        assert (flag.source, flag.sources, flag.reason, flag.student_id, flag.school_code) == (
            "cross_check",
            ("cross_check",),
            "out_of_school",
            None,
            None,
        )
        assert (flag.groups, flag.poverty_household, flag.flagged_on) == (("left_behind",), True, today)
        [task] = await eventually(lambda: of_suspicion(stack, VERIFICATION, ASSIGNED, CROSS, flag.suspicion_id))
        assert (task.assigned_to, task.school_code, task.county_code, task.groups) == (
            "county",
            None,
            CROSS,
            ("left_behind",),
        ), "a child on no roll: the county verifies"
        assert (task.assigned_on, task.due_on) == (today, today + timedelta(days=10))

        ledger = services["ledger"].url
        entry = await eventually(lambda: ledger_entry(ledger, token, CROSS, flag.suspicion_id, "verifying"))
        assert (entry["source"], entry["groups"], entry["poverty_household"]) == ("cross_check", ["left_behind"], True)

        verdict = {
            "outcome": "confirmed_dropout",
            "cause": "family_poverty",
            "verified_by": "教育局张科长",
            "verified_on": today.isoformat(),
        }
        r = await http.post(outcome_url(task.verification_id), headers=auth(stack.token("region:510106")), json=verdict)
        assert r.status_code == 403, "another county may not conclude it"
        r = await http.post(outcome_url(task.verification_id), headers=county, json=verdict)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["sources"]) == ("done", ["cross_check"])

    await eventually(lambda: verification_published(stack.database_url))
    [confirmed] = await of_suspicion(stack, VERIFICATION, "DropoutConfirmed", CROSS, flag.suspicion_id)
    assert (confirmed.verification_id, confirmed.source, confirmed.sources) == (
        task.verification_id,
        "cross_check",
        ("cross_check",),
    )
    assert (confirmed.groups, confirmed.poverty_household, confirmed.cause) == (
        ("left_behind",),
        True,
        "family_poverty",
    )
    assert (confirmed.student_id, confirmed.national_id_hash is not None) == (None, True)
    assert number not in confirmed.model_dump_json(), "the ID number never in clear on the bus"
    assert await of_suspicion(stack, VERIFICATION, "SuspicionCleared", CROSS, flag.suspicion_id) == []
    status = "SELECT array_agg(status) FROM verification.suspicions WHERE suspicion_id = $1"
    assert await scalar(stack.database_url, status, flag.suspicion_id) == ["confirmed"]

    # The suspected ledger shows the confirmation, and the county's dropout ledger the case it opened.
    await eventually(lambda: ledger_entry(ledger, token, CROSS, flag.suspicion_id, "confirmed_dropout"))
    async with httpx.AsyncClient(base_url=ledger, timeout=10) as http:
        r = await http.get(f"/v1/counties/{CROSS}/ledgers/dropouts", headers=county)
        assert r.status_code == 200, r.text
        [case] = [i for i in r.json()["items"] if i["suspicion_id"] == str(flag.suspicion_id)]
        assert (case["status"], case["cause_main"], case["source"]) == ("open", "family_poverty", "cross_check")


async def test_roster_suspects_a_leaver_cleared_as_transferred_and_a_stalled_transfer_confirmed(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = shanghai_today()
    stays, leaver = kid(ROSTER, 1), kid(ROSTER, 2, groups=["migrant"], poverty_household=True)
    mover = kid(ROSTER, 3, groups=["disabled"])
    sids = [p["student_id"] for p in (stays, leaver, mover)]
    s, lv, mv = sids
    token = stack.token(f"region:{ROSTER}")
    school = auth(stack.token(f"school:{SCHOOL}"))
    [recent] = past_school_days(1, today)
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as ingest:
        admin = stack.token("admin")
        await register(ingest, admin, SCHOOL, ROSTER)
        await register(ingest, admin, RECEIVER, ROSTER)
        await put_roll(ingest, stack, SCHOOL, today - timedelta(days=60), [stays, leaver, mover])
        requested = today - timedelta(days=40)
        body = {"student_id": mv, "to_school_code": RECEIVER, "date": requested.isoformat()}
        r = await ingest.post(f"/v1/schools/{SCHOOL}/transfers", headers=school, json=body)
        assert r.status_code == 201, r.text
        await eventually(lambda: on_rolls(stack, sids))  # attendance names only pupils verification knows
        # Everyone still on the roll is named by the attendance: the not-attending sweep has nobody to flag.
        await push(ingest, stack, recent, dict.fromkeys(sids, "present"), SCHOOL)
        # The next roll leaves the pupil out: no transfer, no graduation.
        await put_roll(ingest, stack, SCHOOL, today - timedelta(days=1), [stays, mover])

    [flag] = await eventually(lambda: events_on(stack.bootstrap, DETECTION, FLAGGED, {lv}))
    assert (flag.source, flag.sources, flag.school_code, flag.flagged_on) == (
        "roster",
        ("roster",),
        SCHOOL,
        today - timedelta(days=1),
    )
    assert (flag.groups, flag.poverty_household) == (("migrant",), True)
    [task] = await eventually(lambda: events_on(stack.bootstrap, VERIFICATION, ASSIGNED, {lv}))
    assert (task.suspicion_id, task.assigned_to, task.school_code) == (flag.suspicion_id, "school", SCHOOL)
    ledger = services["ledger"].url
    await eventually(lambda: ledger_entry(ledger, token, ROSTER, flag.suspicion_id, "verifying"))

    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
        cleared = {
            "outcome": "cleared",
            "reason": "transferred",
            "note": "已转入外省学校",
            "verified_by": "王老师",
            "verified_on": today.isoformat(),
        }
        r = await http.post(outcome_url(task.verification_id), headers=school, json=cleared)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["outcome"], r.json()["reason"]) == ("done", "cleared", "transferred")
    [clearing] = await eventually(lambda: events_on(stack.bootstrap, VERIFICATION, "SuspicionCleared", {lv}))
    assert (clearing.verification_id, clearing.suspicion_id, clearing.sources, clearing.reason) == (
        task.verification_id,
        flag.suspicion_id,
        ("roster",),
        "transferred",
    )
    assert (clearing.groups, clearing.cleared_on, clearing.verified_by) == (("migrant",), today, "王老师")
    entry = await eventually(lambda: ledger_entry(ledger, token, ROSTER, flag.suspicion_id, "cleared"))
    assert entry["clear_reason"] == "transferred"

    # The transfer requested 40 days ago was due after 20 school days: the operators' sweep finds it stalled.
    async def caught_up() -> bool:
        transfers = "SELECT count(*) FROM verification.transfers WHERE student_id = $1"
        named = "SELECT last_recorded_on FROM verification.pupils WHERE student_id = $1"
        return bool(
            await scalar(stack.database_url, transfers, mv) == 1
            and await scalar(stack.database_url, named, mv) == recent
            and await scalar(stack.database_url, named, s) == recent
        )

    await eventually(caught_up)
    printed = await asyncio.to_thread(sweep, stack, today, ROSTER)
    assert f"{today} flag_stalled_transfers: 1" in printed and f"{today} flag_not_attending: 0" in printed, printed
    [stalled] = await eventually(lambda: events_on(stack.bootstrap, DETECTION, FLAGGED, {mv}))
    assert (stalled.source, stalled.reason, stalled.sources, stalled.flagged_on) == (
        "roster",
        "transfer_not_completed",
        ("roster",),
        today,
    )
    [second] = await eventually(lambda: events_on(stack.bootstrap, VERIFICATION, ASSIGNED, {mv}))
    assert (second.suspicion_id, second.assigned_to, second.groups) == (stalled.suspicion_id, "school", ("disabled",))
    assert (await state_of(stack, second.verification_id))["status"] == "open"
    again = await asyncio.to_thread(sweep, stack, today, ROSTER)
    assert f"{today} flag_stalled_transfers: 0" in again, "a second sweep flags it no more"

    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
        body = {
            "outcome": "confirmed_dropout",
            "cause": "other",
            "verified_by": "王老师",
            "verified_on": today.isoformat(),
        }
        r = await http.post(outcome_url(second.verification_id), headers=school, json=body)
        assert r.status_code == 200, r.text
    [confirmed] = await eventually(lambda: events_on(stack.bootstrap, VERIFICATION, "DropoutConfirmed", {mv}))
    assert (confirmed.suspicion_id, confirmed.sources, confirmed.groups, confirmed.flagged_on) == (
        stalled.suspicion_id,
        ("roster",),
        ("disabled",),
        today,
    )
    await eventually(lambda: verification_published(stack.database_url))
    assert await events_on(stack.bootstrap, DETECTION, FLAGGED, set(sids)) == [flag, stalled], "nobody else flagged"
    assert await events_on(stack.bootstrap, VERIFICATION, "DropoutConfirmed", {lv}) == []
