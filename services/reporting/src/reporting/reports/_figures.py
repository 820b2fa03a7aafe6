"""The one place reports read figures from: a region's figures and its sub-regions', names, schools.

Reports read figure keys only through `value`, `dim_key` and `breakdown`: a breakdown of `key` by a
dimension is the key `key.<kind>.<value>` as `indicators.figures` names it (e.g. `cleared.reason.transferred`,
`suspected.g.orphan`, `suspected.poverty`, `absences.class.5-1`), so other names can be mapped here alone.

The regions below a region are GB/T 2260's (every county of a city is listed, with or without figures).
FALLBACK (marked, until H2's `adapters/read.py` lands): `tree` reads the counters itself (one
`counters.read` for the root and every region below it it needs) and `_fallback_figures` derives the
figures it can; schools of a county are found by their code's prefix, a school's county is the first
six digits of its code and its name is its code. Replace these with `read.region_figures` /
`read.sub_region_figures` / `read.region_label` (and a schools table) at merge; keep one read per report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from baoxue_common.regions import county_name, sub_regions, tier_of
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters import counters
from reporting.adapters.counters import Counts
from reporting.adapters.orm import counters as counters_table
from reporting.domain.indicators import Figure, figures, rate
from reporting.domain.periods import Period
from reporting.domain.regions import name_of

Figures = Mapping[str, Figure]


@dataclass(frozen=True, slots=True)
class Tree:
    """Figures of a region and of the regions below it, each region's children in code order, and names."""

    figures: Mapping[str, Figures]
    children: Mapping[str, Sequence[str]]
    names: Mapping[str, str]

    def of(self, code: str) -> Figures:
        """A region's figures (empty where it has none)."""
        return self.figures.get(code, {})

    def below(self, code: str) -> Sequence[str]:
        """The regions one tier below, in code order."""
        return self.children.get(code, ())

    def name(self, code: str) -> str:
        """A region's Chinese name (a school's code where its name is unknown)."""
        return self.names.get(code, code)


def value(figs: Figures, key: str) -> Figure:
    """One figure; None where the figures do not have it (rendered "—")."""
    return figs.get(key)


def dim_key(key: str, dim: str) -> str:
    """The key of a figure's breakdown: `population`, `g:orphan` → `population.g.orphan`."""
    return f"{key}.{dim.replace(':', '.')}" if dim else key


def breakdown(figs: Figures, key: str, prefix: str) -> dict[str, Figure]:
    """A figure broken down by a dimension: {`x`: value of `key.<prefix>x`} (prefix like `reason:`), in key order."""
    head = dim_key(key, prefix)
    return {k[len(head) :]: v for k, v in sorted(figs.items()) if k.startswith(head)}


def _fallback_figures(counts: Counts) -> dict[str, Figure]:
    """FALLBACK: the figures counts give directly (rates and timeliness H2 computes are None until then)."""
    out: dict[str, Figure] = {}
    for (metric, dim), count in counts.items():
        out[dim_key(metric, dim)] = count

    def n(metric: str) -> int:
        return counts.get((metric, ""), 0)

    for key in ("population", "in_school", "out_of_school", "suspected", "verifying", "flagged", "confirmed"):
        out[key] = n(key)
    for key in ("cleared", "cases_opened", "returned", "closed", "reopened", "cases_open", "cases_back"):
        out[key] = n(key)
    for key in ("cases_closed", "cases_active", "cases_total", "cases_cancelled", "cases_relapsed"):
        out[key] = n(key)
    out["enrolment_rate"] = rate(n("in_school"), n("population"))
    out["return_rate"] = rate(n("cases_back") + n("cases_closed"), n("cases_total") - n("cases_cancelled"))
    out.update(figures(counts))
    return out


async def _codes_under(session: AsyncSession, root: str, depth: int) -> list[str]:
    """The regions within `depth` tiers below a root: GB/T 2260's, and a county's schools (FALLBACK: by prefix)."""
    if depth == 0 or len(root) == 10:
        return []
    if tier_of(root) == "county":
        return await counters.regions_under(session, root, 10)
    out: list[str] = []
    for child in sub_regions(root):
        out += [child, *await _codes_under(session, child, depth - 1)]
    return out


def _parent(code: str) -> str:
    """The region one tier up (for a school: FALLBACK, its code's first six digits)."""
    if len(code) == 10:
        return code[:6]
    tier = tier_of(code)
    return {"county": code[:4] + "00", "city": code[:2] + "0000"}.get(tier, "000000")


async def tree(session: AsyncSession, root: str, depth: int, period: Period, today: date) -> Tree:
    """A region's figures and those `depth` tiers below it over a period, in one counters read."""
    del today  # H2's figures use it for what is overdue on the day
    below = await _codes_under(session, root, depth)
    counts = await counters.read(session, [root, *below], period)
    children: dict[str, list[str]] = {}
    for code in below:
        children.setdefault(_parent(code), []).append(code)
    names = {code: name_of(code) or code for code in [root, *below]}
    return Tree({code: _fallback_figures(c) for code, c in counts.items()}, children, names)


async def school_county(session: AsyncSession, school_code: str) -> str | None:
    """The county of a school reporting knows (has counters of); None for an unknown school.

    FALLBACK: the code's first six digits when they are a county in use; H2's schools table replaces this.
    """
    known = await session.scalar(
        sa.select(sa.literal(True)).where(counters_table.c.region_code == school_code).limit(1)
    )
    county = school_code[:6]
    return county if known and county_name(county) is not None else None
