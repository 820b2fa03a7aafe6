"""Object-level scope checks: a county sees its own entries and cases, a region its counties', a school its pupils'."""

from __future__ import annotations

from baoxue_common.auth import Principal
from baoxue_common.errors import Forbidden


def covers(principal: Principal, county_code: str, school_code: str | None) -> bool:
    """Whether the caller may see or act on something of this county and (if any) school."""
    if principal.kind == "school":
        return school_code is not None and principal.value == school_code
    return principal.covers_region(county_code)


def ensure_covers(principal: Principal, county_code: str, school_code: str | None, what: str) -> None:
    """Raise 403 unless the caller covers it."""
    if not covers(principal, county_code, school_code):
        raise Forbidden(f"scope {principal.scope} does not cover {what}")
