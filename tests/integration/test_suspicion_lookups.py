"""From a suspect to its verification and its case: the `suspicion_id` filters the console resolves them with."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.testing import national_id

from tests.integration.conftest import Stack
from tests.integration.roll_support import auth
from tests.integration.support import eventually
from tests.integration.test_source_outcomes import shanghai_today
from tests.integration.test_verifications import outcome_url

COUNTY = "140222"  # 天镇县, Datong: no other service test's county


def finding(seq: int, found_on: str) -> dict[str, Any]:
    """A child found out of school, with an ID number (a field suspect with a verification at once)."""
    born = date(2016, 4, 1)
    return {
        "national_id": national_id(COUNTY, born, seq),
        "name": f"实地儿童{seq}",
        "birth_date": born.isoformat(),
        "finding": "no_student_record",
        "address": "某村3组",
        "found_on": found_on,
        "found_by": "村干部",
    }


async def test_a_suspects_verification_and_case_are_found_by_its_suspicion_id(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    today = shanghai_today()
    county = auth(stack.token(f"region:{COUNTY}", user="周干事"))
    async with (
        httpx.AsyncClient(base_url=services["verification"].url, timeout=30) as verification,
        httpx.AsyncClient(base_url=services["ledger"].url, timeout=30) as ledger,
    ):
        ids = []
        for seq in (1, 2):
            r = await verification.post(
                f"/v1/counties/{COUNTY}/field-findings", headers=county, json=finding(seq, today.isoformat())
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["suspicion_id"])
        mine, other = ids

        async def verifications(**params: Any) -> dict[str, Any]:
            r = await verification.get(f"/v1/counties/{COUNTY}/verifications", headers=county, params=params)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        page = await verifications(suspicion_id=mine)
        assert (page["total"], [i["suspicion_id"] for i in page["items"]]) == (1, [mine])
        assert (await verifications(suspicion_id=mine, status="done"))["total"] == 0
        assert (await verifications())["total"] >= 2, "without the filter every suspect of the county"
        r = await verification.get(
            f"/v1/counties/{COUNTY}/verifications", headers=county, params={"suspicion_id": "not-a-uuid"}
        )
        assert r.status_code == 422, r.text

        verdict = {
            "outcome": "confirmed_dropout",
            "cause": "work",
            "verified_by": "周干事",
            "verified_on": today.isoformat(),
        }
        r = await verification.post(outcome_url(page["items"][0]["verification_id"]), headers=county, json=verdict)
        assert r.status_code == 200, r.text

        async def entries(ledger_name: str, suspicion_id: str, **params: Any) -> list[dict[str, Any]]:
            query = {"suspicion_id": suspicion_id, **params}
            r = await ledger.get(f"/v1/counties/{COUNTY}/ledgers/{ledger_name}", headers=county, params=query)
            assert r.status_code == 200, r.text
            items: list[dict[str, Any]] = r.json()["items"]
            return items

        async def has_case() -> bool:
            return len(await entries("dropouts", mine)) == 1

        await eventually(has_case)
        [case] = await entries("dropouts", mine)
        assert (case["suspicion_id"], case["status"]) == (mine, "open")
        assert await entries("dropouts", other) == [], "the other suspect has no case"
        assert [e["suspicion_id"] for e in await entries("suspected", other)] == [other]
        yesterday = (today - timedelta(days=1)).isoformat()
        assert await entries("dropouts", mine, as_of=yesterday) == [], "the filter holds on a past day too"
        r = await ledger.get(f"/v1/counties/{COUNTY}/ledgers/school-age", headers=county, params={"suspicion_id": mine})
        assert r.status_code == 422, r.text
        r = await ledger.get(
            f"/v1/counties/{COUNTY}/ledgers/dropouts",
            headers=county,
            params={"suspicion_id": mine, "format": "csv"},
        )
        assert r.status_code == 200 and len(r.text.strip().splitlines()) == 2, r.text
