"""What every attendance-ingest command needs: the county a school belongs to."""

from __future__ import annotations

from baoxue_common.errors import NotFound
from baoxue_common.uow import UnitOfWork

from attendance_ingest.adapters import repository as repo


async def county_of(uow: UnitOfWork, school_code: str) -> str:
    county = await repo.school_county(uow.session, school_code)
    if county is None:
        raise NotFound(f"unknown school {school_code}")
    return county
