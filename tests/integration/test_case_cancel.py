"""A case closed without a consolidated return (撤销), with a coded reason: the county may, a school may not; a
closed case is not cancelled again; the reason reaches the case, the event, the dropout ledger and its export."""

from __future__ import annotations

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_contracts.topics import CASES

from tests.integration.conftest import Stack
from tests.integration.support import scalar, topic_events
from tests.integration.test_case_commands import COUNTY, SCHOOL, Api, open_case, relayed


async def test_a_case_cancelled_with_a_coded_reason(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    case_id, pupil = await open_case(stack)
    base = services["ledger"].url
    async with httpx.AsyncClient(timeout=30) as http:
        county = Api(http, base, stack.token(f"region:{COUNTY}", user="赵科长"))
        school = Api(http, base, stack.token(f"school:{SCHOOL}"))
        before = await county.get(case_id)

        await school.refused(403, "POST", case_id, "/cancel", {"reason": "deceased"})
        problem = await county.refused(422, "POST", case_id, "/cancel", {"reason": "consolidated"})
        assert problem["errors"][0]["loc"] == ["body", "reason"], "consolidated is the approval's, not a cancel"
        assert (await county.get(case_id))["version"] == before["version"], "a refused cancel changes nothing"

        cancelled = await county.ok(200, "POST", case_id, "/cancel", {"reason": "emigrated", "note": "随父母出国"})
        assert (cancelled["status"], cancelled["close_reason"], cancelled["closed_by"]) == (
            "closed",
            "emigrated",
            "赵科长",
        )
        assert (
            "closed case" in (await county.refused(409, "POST", case_id, "/cancel", {"reason": "deceased"}))["detail"]
        )

        r = await http.get(
            f"{base}/v1/counties/{COUNTY}/ledgers/dropouts",
            headers=county.headers,
            params={"status": "closed", "format": "csv"},
        )
        assert r.status_code == 200, r.text
        header, *rows = r.content.decode("utf-8-sig").splitlines()
        assert "销号原因" in header.split(",")
        [row] = [line for line in rows if str(case_id) in line]
        assert "出国(境)" in row.split(",")

    await relayed(stack.database_url)
    [closed] = [
        e
        for _, e in await topic_events(stack.bootstrap, CASES, lambda e: e.subject_id == pupil)
        if e.event_type == "CaseClosed"
    ]
    assert (closed.reason, closed.approved_by, closed.note, closed.returned_on) == (
        "emigrated",
        "赵科长",
        "随父母出国",
        None,
    )
    kept = "SELECT row->>'close_reason' FROM ledger.ledger_history WHERE entry_id = $1 ORDER BY seq DESC LIMIT 1"
    assert await scalar(stack.database_url, kept, case_id) == "emigrated"
