"""The one place reports read figures from: a region's figures and its sub-regions', names, schools.

Reports read figure keys only through `value`, `dim_key` and `breakdown`: a breakdown of `key` by a
dimension is the key `key.<kind>.<value>` as `indicators.figures` names it (e.g. `cleared.reason.transferred`,
`suspected.g.orphan`, `suspected.poverty`, `absences.class.5-1`), so other names can be mapped here alone.

The regions below a region are GB/T 2260's in use (every county of a city is listed, with or without
figures) and a county's registered schools; all figures of a report come from one `read.many_figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters import read
from reporting.domain.indicators import Figure
from reporting.domain.periods import Period

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


async def _codes_under(session: AsyncSession, root: str, depth: int) -> list[tuple[str, str]]:
    """(parent, child) for the regions within `depth` tiers below a root (GB/T 2260's in use, registered schools)."""
    if depth == 0 or len(root) == 10:
        return []
    out: list[tuple[str, str]] = []
    for child in await read.children_of(session, root):
        out += [(root, child), *await _codes_under(session, child, depth - 1)]
    return out


async def tree(session: AsyncSession, root: str, depth: int, period: Period, today: date) -> Tree:
    """A region's figures and those `depth` tiers below it over a period, in one read of the counters."""
    pairs = await _codes_under(session, root, depth)
    codes = [root, *(child for _, child in pairs)]
    children: dict[str, list[str]] = {}
    for parent, child in pairs:
        children.setdefault(parent, []).append(child)
    return Tree(
        await read.many_figures(session, codes, period, today), children, await read.region_labels(session, codes)
    )


school_county = read.school_county
