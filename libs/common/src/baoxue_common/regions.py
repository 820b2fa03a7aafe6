"""The region hierarchy of GB/T 2260 codes: county PPCCDD, city PPCC00, province PP0000, national 000000."""

from __future__ import annotations

from typing import Literal

NATIONAL = "000000"
Tier = Literal["county", "city", "province", "national"]


def tier_of(region: str) -> Tier:
    """Which tier a 6-digit code names."""
    if region == NATIONAL:
        return "national"
    if region.endswith("0000"):
        return "province"
    return "city" if region.endswith("00") else "county"


def region_chain(region: str) -> list[str]:
    """The region and those above it, nearest first, ending with the national level."""
    chain = [region]
    for parent in (region[:4] + "00", region[:2] + "0000", NATIONAL):
        if parent not in chain:
            chain.append(parent)
    return chain


def region_covers(outer: str, inner: str) -> bool:
    """Whether region `outer` contains region `inner` (every region contains itself)."""
    prefix = {"national": "", "province": outer[:2], "city": outer[:4], "county": outer}[tier_of(outer)]
    return inner.startswith(prefix)


def county_prefix(region: str) -> str:
    """The prefix every county code under a region starts with."""
    return {"national": "", "province": region[:2], "city": region[:4], "county": region}[tier_of(region)]
