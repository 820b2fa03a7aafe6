"""Live figures count only open suspects of the suspected ledger."""

from __future__ import annotations

import pytest
from reporting.domain.figures import FIGURE_LABELS, EntryState, figures


def entry(
    ledger: str = "suspected", status: str = "pending", groups: tuple[str, ...] = (), poverty: bool = False
) -> EntryState:
    return EntryState(ledger=ledger, status=status, priority=bool(groups), poverty_household=poverty)


def test_no_entries_give_zeros_for_every_figure() -> None:
    assert figures([]) == {"suspected": 0, "suspected_priority": 0, "suspected_poverty": 0}


@pytest.mark.parametrize(
    ("one", "expected"),
    [
        (entry(status="pending"), (1, 0, 0)),
        (entry(status="verifying"), (1, 0, 0)),
        (entry(status="confirmed_dropout"), (0, 0, 0)),
        (entry(status="cleared"), (0, 0, 0)),
        (entry(ledger="dropouts", status="pending"), (0, 0, 0)),
        (entry(ledger="school-age", status="pending", groups=("orphan",), poverty=True), (0, 0, 0)),
        (entry(groups=("left_behind",)), (1, 1, 0)),
        (entry(groups=("orphan", "disabled")), (1, 1, 0)),
        (entry(poverty=True), (1, 0, 1)),
        (entry(status="verifying", groups=("migrant",), poverty=True), (1, 1, 1)),
        (entry(status="cleared", groups=("migrant",), poverty=True), (0, 0, 0)),
    ],
)
def test_one_entry(one: EntryState, expected: tuple[int, int, int]) -> None:
    result = figures([one])
    assert (result["suspected"], result["suspected_priority"], result["suspected_poverty"]) == expected


def test_counts_add_up_over_many_entries() -> None:
    entries = [
        entry(),
        entry(status="verifying", groups=("orphan",)),
        entry(poverty=True, groups=("disabled",)),
        entry(status="cleared", poverty=True),
        entry(ledger="dropouts", status="verifying", poverty=True),
    ]
    assert figures(entries) == {"suspected": 3, "suspected_priority": 2, "suspected_poverty": 1}


def test_figures_accept_a_generator() -> None:
    assert figures(entry() for _ in range(4))["suspected"] == 4


def test_every_figure_has_a_label() -> None:
    assert set(figures([])) == set(FIGURE_LABELS)
