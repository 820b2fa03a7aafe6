"""Regions reporting counts in: a school (10-digit code) or a GB/T 2260 region (6 digits)."""

from __future__ import annotations

from baoxue_common.regions import region_name, tier_of
from baoxue_contracts.topics import Tier


def tier_of_code(code: str) -> Tier:
    """The tier of a counter's region: `school` for a school code, else the region's tier."""
    return "school" if len(code) == 10 else tier_of(code)


def name_of(code: str) -> str | None:
    """A region's Chinese name (GB/T 2260); None for a school (its name comes from SchoolRegistered)."""
    if len(code) == 10:
        return None
    return "全国" if code == "000000" else region_name(code)
