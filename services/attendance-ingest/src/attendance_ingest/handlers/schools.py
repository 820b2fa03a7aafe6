"""Register a school or change its reference data (学校)."""

from __future__ import annotations

from datetime import UTC, datetime

from baoxue_common.regions import region_name
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import SchoolRegistered

from attendance_ingest.adapters import repository as repo


async def register_school(uow: UnitOfWork, *, school_code: str, name: str, county_code: str, kind: str) -> bool:
    """Create or update a school; emit SchoolRegistered when anything changed."""
    async with uow:
        row = {"school_code": school_code, "name": name, "county_code": county_code, "kind": kind}
        changed = await repo.upsert_school(uow.session, row)
        if changed:
            uow.emit(
                SchoolRegistered(**row, county_name=region_name(county_code)),
                region=county_code,
                occurred_at=datetime.now(UTC),
                school_code=school_code,
            )
        await uow.commit()
        return changed
