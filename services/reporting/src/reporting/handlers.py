"""Reporting reacts to ledger changes: new live figures for the county and every tier above it."""

from __future__ import annotations

from datetime import UTC, datetime

from baoxue_common.consumer import EventHandlers
from baoxue_common.regions import region_chain, tier_of
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.ledger import LedgerEntryChanged
from baoxue_contracts.events.reporting import RegionStatsUpdated
from baoxue_contracts.topics import stats_key

from reporting.adapters import repository as repo
from reporting.domain.figures import figures

LIVE = "live"


async def ledger_entry_changed(event: LedgerEntryChanged, _: Envelope, uow: UnitOfWork) -> None:
    """Update the copy of the entry, then publish the figures of each region it counts in."""
    if event.ledger != "suspected":
        return  # today's figures count open suspects only: the other ledgers' changes would only recount them
    if event.change == "removed":
        await repo.drop_entry(uow.session, event.entry_id)
    else:
        row = {
            "entry_id": event.entry_id,
            "ledger": event.ledger,
            "county_code": event.county_code,
            "school_code": event.school_code,
            "status": event.status,
            "groups": list(event.groups),
            "poverty_household": event.poverty_household,
            "changed_on": event.changed_on,
        }
        await repo.save_entry(uow.session, row)
    now = datetime.now(UTC)
    for region in region_chain(event.county_code):
        current = figures(await repo.entries_under(uow.session, region))
        stats = RegionStatsUpdated(region_code=region, tier=tier_of(region), period=LIVE, figures=current, as_of=now)
        uow.emit(stats, region=event.county_code, occurred_at=now, key=stats_key(region, LIVE))


EVENT_HANDLERS: EventHandlers = {LedgerEntryChanged: [ledger_entry_changed]}
