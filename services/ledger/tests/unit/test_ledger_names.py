"""The three ledgers a county keeps (三本台账)."""

from __future__ import annotations

import pytest
from ledger.domain.ledgers import LEDGER_KEYS, LEDGER_LABELS, PENDING


@pytest.mark.parametrize(
    ("name", "label", "key"),
    [
        ("school-age", "适龄儿童台账", "school_age"),
        ("suspected", "疑似辍学学生台账", "suspected"),
        ("dropouts", "辍学学生台账", "dropouts"),
    ],
)
def test_ledger_name_label_and_key(name: str, label: str, key: str) -> None:
    assert LEDGER_LABELS[name] == label
    assert LEDGER_KEYS[name] == key


def test_exactly_three_ledgers() -> None:
    assert set(LEDGER_LABELS) == set(LEDGER_KEYS) == {"school-age", "suspected", "dropouts"}


def test_new_suspects_start_pending() -> None:
    assert PENDING == "pending"
