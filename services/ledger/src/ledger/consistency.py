"""人账相符 (the ledgers match the people): every open suspect and every dropout case is a child of the
county's school-age ledger with the status its case says, and the dropout counts add up. It reports, never fixes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.domain.ledgers import OPEN_STATUSES
from ledger.domain.school_age import masked_key

# A case's child must have this school-age status; a closed case is no longer checked.
CASE_CHILD_STATUS: dict[str, str] = {"open": "dropout", "returned": "returned", "closure_proposed": "returned"}
_MATCH = "sa.county_code = :county AND (sa.child_key = {key} OR ({hash} IS NOT NULL AND sa.national_id_hash = {hash}))"
_SUSPECTS = sa.text(
    "SELECT s.entry_id, coalesce(s.student_id, 'h:' || s.national_id_hash) AS child_key, s.status "
    "FROM ledger.suspected s WHERE s.county_code = :county AND s.status = ANY(:open) AND NOT EXISTS "
    "(SELECT 1 FROM ledger.school_age sa WHERE "
    + _MATCH.format(key="coalesce(s.student_id, 'h:' || s.national_id_hash)", hash="s.national_id_hash")
    + ") ORDER BY s.flagged_on, s.entry_id"
)
_CASES = sa.text(
    "SELECT c.case_id, c.child_key, c.status, "
    "(SELECT array_agg(DISTINCT sa.status) FROM ledger.school_age sa WHERE "
    + _MATCH.format(key="c.child_key", hash="c.national_id_hash")
    + ") AS child_statuses FROM ledger.cases c WHERE c.county_code = :county AND c.status <> 'closed' "
    "ORDER BY c.confirmed_on, c.case_id"
)
_SCHOOL_AGE_COUNTS = sa.text(
    "SELECT status, count(*) FROM ledger.school_age WHERE county_code = :county GROUP BY status"
)
_SUSPECT_COUNTS = sa.text("SELECT status, count(*) FROM ledger.suspected WHERE county_code = :county GROUP BY status")
_CASE_COUNTS = sa.text("SELECT status, count(*) FROM ledger.cases WHERE county_code = :county GROUP BY status")


def _discrepancy(kind: str, ledger: str, entry_id: Any, key: str | None, detail: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "ledger": ledger,
        "entry_id": str(entry_id) if entry_id else None,
        "child_key": masked_key(key) if key else None,
        "detail": detail,
    }


async def check(session: AsyncSession, county: str) -> dict[str, Any]:
    """The county's consistency report: counts per ledger and status, and every discrepancy found."""
    params = {"county": county}
    found: list[dict[str, Any]] = []
    for r in await session.execute(_SUSPECTS, params | {"open": sorted(OPEN_STATUSES)}):
        detail = f"a {r.status} suspect whose child is not in the county's school-age ledger"
        found.append(_discrepancy("suspect_not_in_school_age", "suspected", r.entry_id, r.child_key, detail))
    for r in await session.execute(_CASES, params):
        statuses = list(r.child_statuses or [])
        expected = CASE_CHILD_STATUS.get(r.status)
        if not statuses:
            detail = f"a {r.status} case whose child is not in the county's school-age ledger"
            found.append(_discrepancy("case_not_in_school_age", "dropouts", r.case_id, r.child_key, detail))
        elif expected and statuses != [expected]:
            detail = f"a {r.status} case whose child is {'/'.join(statuses)} in the school-age ledger, not {expected}"
            found.append(_discrepancy("case_status_mismatch", "dropouts", r.case_id, r.child_key, detail))
    school_age = {s: n for s, n in (await session.execute(_SCHOOL_AGE_COUNTS, params)).all()}
    suspected = {s: n for s, n in (await session.execute(_SUSPECT_COUNTS, params)).all()}
    cases = {s: n for s, n in (await session.execute(_CASE_COUNTS, params)).all()}
    dropouts, open_cases = school_age.get("dropout", 0), cases.get("open", 0)
    if dropouts != open_cases:
        detail = f"{dropouts} children are dropouts in the school-age ledger, {open_cases} cases are open"
        found.append(_discrepancy("dropout_count_mismatch", "school_age", None, None, detail))
    counts = {
        "school_age": school_age,
        "suspected": suspected,
        "dropouts": cases,
        "school_age_dropout": dropouts,
        "open_cases": open_cases,
    }
    return {
        "county_code": county,
        "checked_at": datetime.now(UTC),
        "ok": not found,
        "counts": counts,
        "discrepancies": found,
    }
