"""Events produced by reporting: the aggregated figures per region and period (统计)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from baoxue_contracts import topics
from baoxue_contracts.base import AsciiOnly, Event
from baoxue_contracts.topics import Tier

PRODUCER = "reporting"


class RegionStatsUpdated(Event):
    """New figures for a region and period, on the stats topic of its tier (统计数据)."""

    event_type = "RegionStatsUpdated"
    schema_version = 1
    topic = "stats.{tier}.v1"

    region_code: Annotated[
        str,
        Field(
            pattern=r"^(\d{6}|\d{10})$",
            description="A 6-digit region code (GB/T 2260), or a 10-digit school code on stats.school.v1.",
        ),
        AsciiOnly,
    ]
    tier: Tier
    period: Annotated[str, Field(min_length=1, description="e.g. 2026-03, 2026-Q1, 2026-S1, 2026-2027.")]
    figures: dict[str, int | float] = Field(description="Indicator → value; a rate whose denominator is 0 is left out.")
    as_of: AwareDatetime
    version: int | None = Field(
        default=None, ge=1, description="Counts this region and period's updates: a consumer keeps the highest."
    )
    region_name: str | None = Field(default=None, description="The region's Chinese name (GB/T 2260), or the school's.")

    def destination(self) -> str:
        """The stats topic of this event's tier."""
        return topics.STATS_BY_TIER[self.tier]


EVENTS: tuple[type[Event], ...] = (RegionStatsUpdated,)
"""The events this service produces, in catalog order."""
