"""The three ledgers a county keeps (三本台账) and the states of a suspected-ledger entry."""

from __future__ import annotations

from typing import Literal

LedgerName = Literal["school-age", "suspected", "dropouts"]
LEDGER_KEYS: dict[str, str] = {"school-age": "school_age", "suspected": "suspected", "dropouts": "dropouts"}
LEDGER_LABELS: dict[str, str] = {
    "school-age": "适龄儿童台账",
    "suspected": "疑似辍学学生台账",
    "dropouts": "辍学学生台账",
}
SuspectStatus = Literal["pending", "verifying", "confirmed_dropout", "cleared"]
PENDING: SuspectStatus = "pending"
