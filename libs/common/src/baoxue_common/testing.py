"""Helpers for tests and benchmarks: valid synthetic identifiers (never real people's)."""

from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def national_id(region: str, birth: date, sequence: int) -> str:
    """A resident ID number with a correct GB 11643 check digit."""
    body = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def student_id(region: str, birth: date, sequence: int) -> str:
    """A national student number: `G` followed by the pupil's ID number."""
    return "G" + national_id(region, birth, sequence)
