"""Thin HTTP routes of reporting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from baoxue_common.auth import Principal, require_region
from baoxue_common.regions import tier_of
from baoxue_common.runtime import ServiceRuntime
from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel

from reporting.adapters import counters
from reporting.domain.indicators import FIGURE_LABELS, Figure, figures
from reporting.domain.periods import CADENCE, period_of

router = APIRouter(prefix="/v1/stats", tags=["stats"])
RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit region code (GB/T 2260)")]
RegionScoped = Annotated[Principal, Depends(require_region("region_code"))]


class RegionStats(BaseModel):
    """Live indicators of a region; `labels` gives each figure's Chinese name."""

    region_code: str
    tier: str
    as_of: datetime
    figures: dict[str, Figure]
    labels: dict[str, str]


@router.get("/{region_code}", response_model=RegionStats, summary="Live indicators of a region")
async def get_stats(request: Request, region_code: RegionPath, _: RegionScoped) -> RegionStats:
    runtime: ServiceRuntime = request.app.state.runtime
    tier = tier_of(region_code)
    period = period_of(CADENCE[tier], datetime.now(UTC).date())
    async with runtime.uow() as uow:
        counts = (await counters.read(uow.session, [region_code], period))[region_code]
    return RegionStats(
        region_code=region_code,
        tier=tier,
        as_of=datetime.now(UTC),
        figures=figures(counts),
        labels=FIGURE_LABELS,
    )
