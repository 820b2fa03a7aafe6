"""Resident ID numbers: validated, matched by keyed hash, shown masked."""

from __future__ import annotations

import re
from datetime import date

import pytest
from baoxue_common.pii import check_national_id, mask_national_id, national_id_hash
from baoxue_common.testing import national_id, student_id
from stdnum.cn import ric

BIRTH = date(2015, 3, 4)
VALID = national_id("522601", BIRTH, 123)
KEY = "unit-test-pii-key-0123456789abcdef"


def first_with_x_check_digit() -> str:
    for seq in range(1000):
        number = national_id("110101", date(2012, 9, 1), seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives an X check digit")


WITH_X = first_with_x_check_digit()


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + next(c for c in "0123456789X" if c != number[-1])


@pytest.mark.parametrize(
    ("region", "birth", "seq"),
    [("522601", BIRTH, 123), ("110101", date(2010, 12, 31), 1), ("650102", date(2020, 2, 29), 999)],
)
def test_synthetic_numbers_are_valid_and_carry_the_birth_date(region: str, birth: date, seq: int) -> None:
    number = national_id(region, birth, seq)
    assert len(number) == 18
    assert number.startswith(region)
    assert check_national_id(number) is None
    assert check_national_id(number, birth) is None


def test_student_id_is_g_and_the_id_number() -> None:
    assert student_id("522601", BIRTH, 123) == "G" + VALID


def test_x_check_digit_is_valid_in_either_case() -> None:
    assert check_national_id(WITH_X) is None
    assert check_national_id(WITH_X.lower()) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [
        pytest.param(wrong_check_digit(VALID), "check digit", id="bad-check-digit"),
        pytest.param(wrong_check_digit(WITH_X), "check digit", id="x-replaced"),
        pytest.param(VALID[:17], "length", id="17-chars"),
        pytest.param(VALID + "1", "length", id="19-chars"),
        pytest.param("522601150304123", "length", id="old-15-digit-format"),
        pytest.param("", "length", id="empty"),
        pytest.param(with_check_digit("52260120150230123"), "not a valid", id="feb-30"),
        pytest.param(with_check_digit("52260120151304123"), "not a valid", id="month-13"),
        pytest.param("52260120150304A239", "not a valid", id="letter-in-body"),
    ],
)
def test_invalid_numbers_say_why(number: str, why: str) -> None:
    reason = check_national_id(number)
    assert reason is not None
    assert reason.startswith("not a valid resident ID number")
    assert why in reason


@pytest.mark.parametrize("other", [date(2015, 3, 5), date(2014, 3, 4), date(2015, 4, 3)])
def test_birth_date_mismatch_is_reported(other: date) -> None:
    assert check_national_id(VALID, other) == "the birth date in the ID number does not match birth_date"


def test_hash_is_deterministic_64_hex() -> None:
    digest = national_id_hash(KEY, VALID)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert national_id_hash(KEY, VALID) == digest


def test_hash_depends_on_the_key_and_the_number() -> None:
    digest = national_id_hash(KEY, VALID)
    assert national_id_hash(KEY + "!", VALID) != digest
    assert national_id_hash(KEY, national_id("522601", BIRTH, 124)) != digest


def test_hash_does_not_reveal_the_number() -> None:
    assert VALID not in national_id_hash(KEY, VALID)


@pytest.mark.parametrize("variant", [WITH_X.lower(), f"  {WITH_X}\n", f" {WITH_X.lower()} "])
def test_hash_ignores_case_and_surrounding_space(variant: str) -> None:
    assert national_id_hash(KEY, variant) == national_id_hash(KEY, WITH_X)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("52260120150304123X", "5226**********123X"),
        (VALID, VALID[:4] + "*" * 10 + VALID[-4:]),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("abc", "***"),
        ("", ""),
    ],
)
def test_mask_shows_only_first_and_last_four(number: str, masked: str) -> None:
    assert mask_national_id(number) == masked
    assert len(mask_national_id(number)) == len(number)
