"""Registries and the 四查三比对 cross-checks: across counties, findings become suspects once, numbers masked."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id
from baoxue_contracts.topics import DETECTION

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, fetch, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import eventually, scalar
from tests.integration.test_detection import verification_published
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_rules import events_of

HOME, AWAY = "150202", "150203"  # 东河区, 昆都仑区: no other test's counties
HOME_SCHOOL, AWAY_SCHOOL, RECEIVER = "1502020001", "1502030001", "1502020002"
FLAGGED = "SuspectedDropoutFlagged"
BORN = date(2016, 3, 1)  # of compulsory age for years to come
HOUSEHOLD = "SELECT count(*) FROM verification.household_children WHERE county_code = $1"


def child(number: str, name: str, born: date = BORN, county: str = HOME) -> dict[str, Any]:
    """A household-register entry."""
    return {
        "national_id": number,
        "name": name,
        "gender": "M",
        "birth_date": born.isoformat(),
        "hukou_county_code": county,
        "residence_county_code": county,
    }


def masked(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:]


async def on_rolls(stack: Stack, student_ids: list[str]) -> bool:
    """Whether verification knows every one of the pupils on a roll (their StudentEnrolled applied)."""
    known = "SELECT count(*) FROM verification.pupils WHERE student_id = ANY($1) AND enrolled_on IS NOT NULL"
    return bool(await scalar(stack.database_url, known, student_ids) == len(student_ids))


async def attend(http: httpx.AsyncClient, stack: Stack, school: str, day: date, pupils: list[dict[str, Any]]) -> None:
    """Push one day's attendance of a school naming the pupils present (the rest of its roll unrecorded)."""
    records = [{"student_id": p["student_id"], "status": "present"} for p in pupils]
    headers = auth(stack.token(f"school:{school}"))
    r = await http.post(
        f"/v1/schools/{school}/attendance", headers=headers, json={"date": day.isoformat(), "records": records}
    )
    assert r.status_code == 200, r.text


async def test_registries_are_replaced_whole_and_refused_when_wrong_older_or_out_of_scope(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    county = auth(stack.token(f"region:{HOME}"))
    a, b, c = (national_id(HOME, BORN, n) for n in (901, 902, 903))
    url = f"/v1/counties/{HOME}/registries"
    async with httpx.AsyncClient(base_url=services["verification"].url, timeout=10) as http:
        r = await http.put(f"{url}/household", headers=county, json={"as_of": "2026-01-10", "children": []})
        assert r.status_code == 200, r.text
        stored = await scalar(stack.database_url, HOUSEHOLD, HOME)
        bad = a[:-1] + ("1" if a[-1] != "1" else "2")
        body = {
            "as_of": (today - timedelta(days=5)).isoformat(),
            "children": [
                child(a, "甲"),
                child(bad, "乙"),
                child(a, "甲again"),
                child(b, "丙") | {"hukou_county_code": "150100"},
                child(c, "丁") | {"birth_date": "2016-03-02"},
            ],
        }
        r = await http.put(f"{url}/household", headers=county, json=body)
        assert r.status_code == 422, r.text
        locs = [e["loc"] for e in r.json()["errors"]]
        assert locs == [
            ["body", "children", 1, "national_id"],
            ["body", "children", 2, "national_id"],
            ["body", "children", 3, "hukou_county_code"],
            ["body", "children", 4, "national_id"],
        ], r.json()
        assert await scalar(stack.database_url, HOUSEHOLD, HOME) == stored, "a refused registry stores nothing"
        r = await http.put(f"{url}/poverty", headers=county, json={"as_of": "2026-01-10", "national_ids": [a, "x", a]})
        assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == [
            ["body", "national_ids", 1],
            ["body", "national_ids", 2],
        ], r.text
        r = await http.put(
            f"{url}/groups",
            headers=county,
            json={"as_of": "2026-01-10", "children": [{"national_id": a, "groups": ["x"]}]},
        )
        assert r.status_code == 422, r.text

        good = {"as_of": (today - timedelta(days=5)).isoformat(), "children": [child(a, "甲"), child(b, "丙")]}
        r = await http.put(f"{url}/household", headers=county, json=good)
        assert r.status_code == 200, r.text
        assert {k: r.json()[k] for k in ("children", "added", "changed", "removed", "unchanged")} == {
            "children": 2,
            "added": 2,
            "changed": 0,
            "removed": 0,
            "unchanged": 0,
        }
        # The next list: one gone, one renamed, one new.
        later = {"as_of": (today - timedelta(days=2)).isoformat(), "children": [child(a, "甲改"), child(c, "丁")]}
        r = await http.put(f"{url}/household", headers=county, json=later)
        assert (r.status_code, r.json()["added"], r.json()["changed"], r.json()["removed"]) == (200, 1, 1, 1), r.text
        r = await http.put(f"{url}/household", headers=county, json=good)  # older than the one on record
        assert r.status_code == 409, r.text
        future = later | {"as_of": (today + timedelta(days=1)).isoformat(), "children": [child(b, "丙")]}
        r = await http.put(f"{url}/household", headers=county, json=future)
        assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == [["body", "as_of"]], r.text
        names = "SELECT string_agg(name, ',' ORDER BY name) FROM verification.household_children WHERE county_code = $1"
        assert await scalar(stack.database_url, names, HOME) == "丁,甲改"
        clear = "SELECT count(*) FROM verification.household_children WHERE national_id_masked = $1 OR name = $1"
        assert await scalar(stack.database_url, clear, a) == 0, "the number is never stored in clear"
        for scope in (f"school:{HOME_SCHOOL}", f"region:{AWAY}", "national"):
            r = await http.put(f"{url}/household", headers=auth(stack.token(scope)), json=later)
            assert r.status_code == 403, (scope, r.text)
        r = await http.post(f"/v1/counties/{HOME}/cross-checks", headers=auth(stack.token(f"school:{HOME_SCHOOL}")))
        assert r.status_code == 403, r.text


async def test_a_cross_check_finds_one_child_of_each_kind_across_counties_and_flags_each_once(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    county = auth(stack.token(f"region:{HOME}"))
    attending = kid(HOME, 11, birth=BORN)
    absent = kid(HOME, 12, birth=BORN, groups=["orphan"])
    gone = kid(HOME, 13, birth=BORN)  # left the roll: on no active roll
    moved = kid(HOME, 14, birth=BORN)  # on the home register, at school in the other county
    out = national_id(HOME, BORN, 21)  # on the register and no roll anywhere
    poor = national_id(HOME, BORN, 22)  # a poverty household's child on no roll, not on the register
    too_young = national_id(HOME, today - timedelta(days=365 * 3), 23)
    long_ago = today - timedelta(days=40)
    [seen, *_, recent] = past_school_days(20, today)  # the first more than 10 school days ago
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=10) as ingest:
        admin = stack.token("admin")
        await register(ingest, admin, HOME_SCHOOL, HOME)
        await register(ingest, admin, AWAY_SCHOOL, AWAY)
        await register(ingest, admin, RECEIVER, HOME)
        await put_roll(ingest, stack, HOME_SCHOOL, long_ago, [attending, absent, gone])
        await put_roll(ingest, stack, AWAY_SCHOOL, long_ago, [moved])
        # Attendance names only pupils verification already knows (roster.v1 and attendance.v1 have no order).
        pupils = [attending, absent, gone, moved]
        await eventually(lambda: on_rolls(stack, [p["student_id"] for p in pupils]))
        # Absent and gone were named weeks ago and never since; the others are named on the last school day.
        await attend(ingest, stack, HOME_SCHOOL, seen, [attending, absent, gone])
        await attend(ingest, stack, HOME_SCHOOL, recent, [attending])
        await attend(ingest, stack, AWAY_SCHOOL, recent, [moved])
        # The gone pupil leaves the roll on a transfer that never arrives (a leave the roster does not flag).
        transfer = {"student_id": gone["student_id"], "to_school_code": RECEIVER, "date": recent.isoformat()}
        r = await ingest.post(
            f"/v1/schools/{HOME_SCHOOL}/transfers", headers=auth(stack.token(f"school:{HOME_SCHOOL}")), json=transfer
        )
        assert r.status_code == 201, r.text
        await put_roll(ingest, stack, HOME_SCHOOL, today - timedelta(days=1), [attending, absent])
    roll = "SELECT enrolled_on, left_on, last_recorded_on FROM verification.pupils WHERE student_id = $1"
    expected = {
        attending["student_id"]: (long_ago, None, recent),
        moved["student_id"]: (long_ago, None, recent),
        absent["student_id"]: (long_ago, None, seen),
        gone["student_id"]: (long_ago, today - timedelta(days=1), seen),
    }

    rolls: dict[str, tuple[Any, ...]] = {}

    async def rolls_known() -> bool:
        rolls.update({sid: tuple(row) for sid in expected for row in await fetch(stack.database_url, roll, sid)})
        return rolls == expected

    try:
        await eventually(rolls_known, 30)
    except AssertionError:
        assert rolls == expected, "the roll dates come from the roll and attendance events"

    base = services["verification"].url
    as_of = today.isoformat()
    register_body = {
        "as_of": as_of,
        "children": [
            child(out, "失学儿童"),
            child(too_young, "幼儿", born=today - timedelta(days=365 * 3)),
            *(child(p["national_id"], p["name"]) for p in pupils),
        ],
    }
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for path, body in (
            ("household", register_body),
            ("poverty", {"as_of": as_of, "national_ids": [poor, attending["national_id"]]}),
            ("groups", {"as_of": as_of, "children": [{"national_id": out, "groups": ["left_behind"]}]}),
        ):
            r = await http.put(f"/v1/counties/{HOME}/registries/{path}", headers=county, json=body)
            assert r.status_code == 200, (path, r.text)

        # Two runs at once: serialised, each child is one suspect.
        first, second = await asyncio.gather(
            http.post(f"/v1/counties/{HOME}/cross-checks", headers=county),
            http.post(f"/v1/counties/{HOME}/cross-checks", headers=county),
        )
        for r in (first, second):
            assert r.status_code == 201, r.text
            assert r.json()["counts"] == {"out_of_school": 2, "not_attending": 1, "poverty_dropout": 1}, r.json()
        assert first.json()["suspects_opened"] + second.json()["suspects_opened"] == 4

        run = first.json()["run_id"]
        r = await http.get(f"/v1/counties/{HOME}/cross-checks/{run}", headers=county, params={"kind": "out_of_school"})
        assert r.status_code == 200, r.text
        found = {f["national_id"]: f for f in r.json()["findings"]}
        assert set(found) == {masked(out), masked(gone["national_id"])}, "moved is at school elsewhere: not out"
        assert (found[masked(out)]["name"], found[masked(out)]["groups"]) == ("失学儿童", ["left_behind"])
        r = await http.get(f"/v1/counties/{HOME}/cross-checks/{run}", headers=county, params={"limit": 1})
        page = r.json()
        assert (len(page["findings"]), page["next_offset"]) == (1, 1), page
        r = await http.get(f"/v1/counties/{HOME}/cross-checks/{run}", headers=county, params={"limit": 10})
        by_kind = {(f["kind"], f["national_id"]): f for f in r.json()["findings"]}
        not_attending = by_kind[("not_attending", masked(absent["national_id"]))]
        assert (not_attending["student_id"], not_attending["school_code"]) == (absent["student_id"], HOME_SCHOOL)
        assert by_kind[("poverty_dropout", masked(poor))]["poverty_household"] is True
        # (A pupil's national student number is G + the ID number by design: only registry numbers are checked.)
        assert all(number not in r.text for number in (out, poor, gone["national_id"])), "numbers masked"
        r = await http.get(f"/v1/counties/{AWAY}/cross-checks/{run}", headers=auth(stack.token(f"region:{AWAY}")))
        assert r.status_code == 404, "a run is read in its own county"

        await eventually(lambda: verification_published(stack.database_url))
        flags = [
            e for _, e in await events_of(stack.bootstrap, DETECTION, FLAGGED, {HOME}) if e.source == "cross_check"
        ]
        assert len(flags) == 4, flags
        by_reason = {e.reason: e for e in flags if e.reason != "out_of_school"}
        assert by_reason["not_attending"].student_id == absent["student_id"]
        assert by_reason["not_attending"].groups == ("orphan",)
        assert by_reason["poverty_dropout"].poverty_household is True
        assert {e.name for e in flags if e.reason == "out_of_school"} == {"失学儿童", gone["name"]}
        assert all(out not in e.model_dump_json() and poor not in e.model_dump_json() for e in flags)

        # A later run finds them again and opens no second suspect: its findings join the open suspicions.
        r = await http.post(f"/v1/counties/{HOME}/cross-checks", headers=county)
        assert (r.status_code, r.json()["suspects_opened"]) == (201, 0), r.text
        again = await http.get(f"/v1/counties/{HOME}/cross-checks/{r.json()['run_id']}", headers=county)
        assert {f["suspicion_id"] for f in again.json()["findings"]} == {str(e.suspicion_id) for e in flags}
    await eventually(lambda: verification_published(stack.database_url))
    flags = [e for _, e in await events_of(stack.bootstrap, DETECTION, FLAGGED, {HOME}) if e.source == "cross_check"]
    assert len(flags) == 4
