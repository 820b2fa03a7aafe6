"""Live figures of a region (实时指标) from the ledger entries below it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OPEN_SUSPECT = frozenset({"pending", "verifying"})
FIGURE_LABELS: dict[str, str] = {
    "suspected": "疑似辍学人数",
    "suspected_priority": "重点人群疑似辍学人数",
    "suspected_poverty": "脱贫家庭疑似辍学人数",
}


@dataclass(frozen=True, slots=True)
class EntryState:
    """A kind of ledger entry and how many entries are of that kind."""

    ledger: str
    status: str
    priority: bool
    poverty_household: bool
    count: int = 1


def figures(entries: Iterable[EntryState]) -> dict[str, int]:
    """Counts of open suspects, of those in priority groups and of those from poverty-alleviated households."""
    result = dict.fromkeys(FIGURE_LABELS, 0)
    for entry in entries:
        if entry.ledger == "suspected" and entry.status in OPEN_SUSPECT:
            result["suspected"] += entry.count
            result["suspected_priority"] += entry.count if entry.priority else 0
            result["suspected_poverty"] += entry.count if entry.poverty_household else 0
    return result
