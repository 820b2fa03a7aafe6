"""The region hierarchy of GB/T 2260 codes: county PPCCDD, city PPCC00, province PP0000, national 000000."""

from __future__ import annotations

import functools
import re
from typing import Literal, TypeGuard

from stdnum import numdb

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


_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")


@functools.lru_cache(maxsize=8192)
def _history(code: str) -> tuple[tuple[int | None, int | None, str], ...]:
    """(first year, last year or None if still in use, name) of a code in GB/T 2260 (python-stdnum's table)."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return ()
    try:
        found = numdb.get("cn/loc").info(code)
    except Exception:  # a lookup of odd input must not raise
        return ()
    if len(found) < 2 or found[0][0] != code[:2] or "county" not in found[-1][1]:
        return ()
    spans: list[tuple[int | None, int | None, str]] = []
    for part in found[-1][1]["county"].split(","):
        match = _SPAN.match(part)
        if match:
            first, last, name = match.groups()
            spans.append((int(first) if first else None, int(last) if last else None, name))
        else:
            spans.append((None, None, part))
    return tuple(spans)


def region_name(code: str) -> str | None:
    """The current Chinese name of a region code (`全国` for national); None if it is not in use today."""
    if code == NATIONAL:
        return "全国"
    spans = _history(code)
    return spans[-1][2] if spans and spans[-1][1] is None else None


def ever_a_region(code: str) -> bool:
    """Whether a code was ever a GB/T 2260 region (a birth place in an older ID number may be abolished)."""
    return bool(_history(code))


# Prefecture-level cities without counties (不设区的地级市): their own code is the county-level code of their schools.
CITIES_WITHOUT_COUNTIES: frozenset[str] = frozenset({"441900", "442000", "460400", "620200"})
_PLACEHOLDER = "市辖区"  # "districts under the city": a grouping code, not a county


def is_code(value: object) -> TypeGuard[str]:
    """Whether a value is six ASCII digits."""
    return isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()


def county_name(code: object) -> str | None:
    """The Chinese name of a county-level code in use today (county, district, county-level city); else None."""
    if not is_code(code):
        return None
    if tier_of(code) != "county" and code not in CITIES_WITHOUT_COUNTIES:
        return None
    name = region_name(code)
    return None if name in (None, _PLACEHOLDER) else name


def county_problem(code: object) -> str | None:
    """Why a value is not a county-level GB/T 2260 code in use today, or None if it is one; never raises."""
    if not is_code(code):
        return "a region code is 6 ASCII digits"
    if county_name(code) is not None:
        return None
    if tier_of(code) != "county" and code not in CITIES_WITHOUT_COUNTIES:
        return f"{code} is a {tier_of(code)} code, not a county"
    return f"{code} is not a county-level GB/T 2260 code in use"


def region_problem(code: object) -> str | None:
    """Why a value is not a GB/T 2260 region code in use today (any tier), or None; never raises."""
    if not is_code(code):
        return "a region code is 6 ASCII digits"
    return None if region_name(code) is not None else f"{code} is not a GB/T 2260 region code in use"


@functools.lru_cache(maxsize=64)
def _codes_in_province(province: str) -> tuple[str, ...]:
    """Every code GB/T 2260 lists under a province (the province's first two digits), in code order."""
    for entry in numdb.get("cn/loc").prefixes:
        if entry[1] == province[:2]:
            return tuple(sorted(f"{province[:2]}{child[1]}" for child in entry[4] if len(child[1]) == 4))
    return ()


def sub_regions(code: str) -> list[str]:
    """The regions in use one tier below (provinces of the nation, cities of a province, counties of a city)."""
    tier = tier_of(code)
    if tier == "national":
        provinces = (f"{entry[1]}0000" for entry in numdb.get("cn/loc").prefixes)
        return sorted(p for p in provinces if region_name(p) is not None)
    if tier == "county":
        return []
    codes = _codes_in_province(code)
    if tier == "province":
        return [c for c in codes if c != code and tier_of(c) == "city" and region_name(c) is not None]
    return [c for c in codes if c[:4] == code[:4] and c != code and county_name(c) is not None]
