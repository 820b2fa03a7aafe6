"""A county with a few suspects and cases (灵丘县 140224), for the console's county pages; seeded once a session."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.pii import mask_national_id

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth, kid, register
from tests.integration.slice_data import past_school_days
from tests.integration.support import eventually
from tests.integration.test_roster_gaps import put_roll
from tests.integration.test_verifications import absent_for

COUNTY, OTHER_COUNTY = "140224", "140225"  # 灵丘县, and 浑源县 as another county
SCHOOLS = ("1402240001", "1402240002")


@dataclass(frozen=True, slots=True)
class County:
    """What was seeded: the schools' pupils, who is a suspect, who a case, and the days of absence."""

    pupils: dict[str, list[dict[str, Any]]]
    suspects: list[str]
    cases: list[str]
    days: list[date]


_seeded: list[County] = []
_lock = asyncio.Lock()


def masked(student: str) -> str:
    """A student number as ledger pages show it."""
    return student[0] + mask_national_id(student[1:])


async def _ledger(ledger: httpx.AsyncClient, token: str, name: str, **params: str) -> list[dict[str, Any]]:
    r = await ledger.get(
        f"/v1/counties/{COUNTY}/ledgers/{name}", headers=auth(token), params={"limit": "500", **params}
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def seed_county(stack: Stack, services: dict[str, ServiceProcess]) -> County:
    """Two schools; three pupils absent 15 school days (suspects), two of them confirmed (cases)."""
    async with _lock:
        if _seeded:
            return _seeded[0]
        county = await _seed(stack, services)
        _seeded.append(county)
        return county


async def _seed(stack: Stack, services: dict[str, ServiceProcess]) -> County:
    days = past_school_days(16)
    pupils = {
        SCHOOLS[0]: [
            kid(COUNTY, 1, groups=["left_behind"], poverty_household=True),
            kid(COUNTY, 2, groups=["orphan"]),
            kid(COUNTY, 3),
            kid(COUNTY, 4),
        ],
        SCHOOLS[1]: [kid(COUNTY, 11, groups=["left_behind"]), kid(COUNTY, 12)],
    }
    absent = {
        SCHOOLS[0]: [p["student_id"] for p in pupils[SCHOOLS[0]][:2]],
        SCHOOLS[1]: [pupils[SCHOOLS[1]][0]["student_id"]],
    }
    admin, region = stack.token("admin"), stack.token(f"region:{COUNTY}", user="种子数据")
    async with (
        httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as ingest,
        httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification,
        httpx.AsyncClient(base_url=services["ledger"].url, timeout=30) as ledger,
    ):
        for school, roll in pupils.items():
            await register(ingest, admin, school, COUNTY)
            await put_roll(ingest, stack, school, days[0] - timedelta(days=3), roll)

        async def known() -> bool:
            return len(await _ledger(ledger, region, "school-age")) >= 6

        await eventually(known)
        for school, sids in absent.items():
            await absent_for(ingest, stack, sids, days[:15], school)

        async def flagged() -> list[dict[str, Any]] | None:
            found = await _ledger(ledger, region, "suspected", status="verifying")
            return found if len(found) >= 3 else None

        suspects = await eventually(flagged)
        wanted = {masked(absent[SCHOOLS[0]][0]), masked(absent[SCHOOLS[1]][0])}
        confirm = {s["suspicion_id"] for s in suspects if s["student_id"] in wanted}
        assert len(confirm) == 2, suspects
        r = await verification.get(f"/v1/counties/{COUNTY}/verifications", headers=auth(region), params={"limit": 100})
        assert r.status_code == 200, r.text
        for task in r.json()["items"]:
            if task["suspicion_id"] not in confirm:
                continue
            verdict = {
                "outcome": "confirmed_dropout",
                "cause": "family_poverty",
                "verified_by": "王老师",
                "verified_on": days[15].isoformat(),
            }
            r = await verification.post(
                f"/v1/verifications/{task['verification_id']}/outcome", headers=auth(region), json=verdict
            )
            assert r.status_code == 200, r.text

        async def opened() -> list[dict[str, Any]] | None:
            found = await _ledger(ledger, region, "dropouts", status="open")
            return found if len(found) >= 2 else None

        cases = await eventually(opened)
    return County(pupils, [s["suspicion_id"] for s in suspects], [c["case_id"] for c in cases], days)
