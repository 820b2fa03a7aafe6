"""The school-age children ledger (适龄儿童台账), kept from rolls, the household register and outcomes."""

from __future__ import annotations

from datetime import date

from baoxue_common.consumer import EventHandlers
from baoxue_common.uow import UnitOfWork

from ledger.domain.ledgers import SchoolAgeStatus


async def set_status(
    uow: UnitOfWork, child_key: str, status: SchoolAgeStatus, day: date, *, school_code: str | None = None
) -> None:
    """Move a child's entries (in every county that lists it) to a new status from `day`, telling reporting."""


HANDLERS: EventHandlers = {}
