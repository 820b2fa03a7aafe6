"""No event carries a national ID number in clear: only keyed hashes of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from baoxue_contracts import Envelope, encode
from baoxue_contracts.catalog import ALL_EVENTS
from baoxue_contracts.samples import SAMPLES, sample_envelope
from pydantic import ValidationError

PERSONAL_ID = re.compile(
    r"national_?id|id_?number|id_?card|identity|resident_?id|citizen_?id|shenfen|sfz|hukou_?number",
    re.IGNORECASE,
)
BARE_ID_NUMBER = re.compile(rb"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


def _property_names(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for name, value in schema.get("properties", {}).items():
            yield name
            yield from _property_names(value)
        for key, value in schema.items():
            if key != "properties":
                yield from _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _property_names(item)


@pytest.mark.parametrize("cls", [Envelope, *ALL_EVENTS], ids=lambda c: c.__name__)
def test_no_field_holds_a_national_id_in_clear(cls: type[Any]) -> None:
    names = set(_property_names(cls.model_json_schema()))
    offending = sorted(n for n in names if PERSONAL_ID.search(n) and not n.endswith("_hash"))
    assert not offending, f"{cls.__name__} has fields that look like personal ID numbers: {offending}"


@pytest.mark.parametrize("key", sorted(SAMPLES), ids=lambda k: f"{k[0]}.v{k[1]}")
def test_no_bare_id_number_in_encoded_samples(key: tuple[str, int]) -> None:
    raw = encode(sample_envelope(SAMPLES[key]))
    assert not BARE_ID_NUMBER.search(raw)


def test_national_id_hash_rejects_an_id_number() -> None:
    sample = SAMPLES[("StudentEnrolled", 1)]
    with pytest.raises(ValidationError):
        sample.model_validate({**sample.model_dump(), "national_id_hash": "11010120150307001X"})
    with pytest.raises(ValidationError):
        sample.model_validate({**sample.model_dump(), "national_id_hash": "110101201503070012"})
