"""Property tests: every validator either accepts or gives its documented validation error, never anything else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pydantic
import pytest
from baoxue_common.auth import ALGORITHM, ISSUER, Authenticator, decode_token, validate_scope
from baoxue_common.errors import Unauthorized
from baoxue_common.pii import check_national_id
from baoxue_common.regions import NATIONAL, county_prefix, region_chain, region_covers, tier_of
from baoxue_contracts.base import RegionCode, SchoolCode, StudentId
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

SECRET = "property-test-secret-0123456789abcdef-0123456789"
ID_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")
ID_REASONS = ("not a valid resident ID number (", "the birth date in the ID number does not match birth_date")

# Characters that look like digits or get stripped by lenient parsers: ASCII digits, X, full-width and
# Arabic-Indic digits, spaces, dashes, a newline.
TRICKY = st.sampled_from("0123456789Xx １２٣٤ -\n\t")
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def ascii_digits(n: int) -> st.SearchStrategy[str]:
    """Exactly n ASCII digits."""
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def digit_like(n: int) -> st.SearchStrategy[str]:
    """About n characters that are, or resemble, digits (any Unicode decimal digit included)."""
    return st.text(st.characters(categories=["Nd"]) | TRICKY, min_size=max(n - 1, 0), max_size=n + 1)


@st.composite
def checked_numbers(draw: st.DrawFn) -> str:
    """18 characters with a correct check digit whose region, birth date and sequence are anything."""
    region = draw(st.sampled_from(["527081", "000000", "999999", "110101", "522601", "710000"]) | ascii_digits(6))
    birth = draw(ascii_digits(8) | st.dates().map(lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}"))
    body = region + birth + draw(ascii_digits(3))
    return body + ric.calc_check_digit(body + "0")


def assert_documented_answer(number: str, birth_date: date | None = None) -> None:
    reason = check_national_id(number, birth_date)  # anything raised fails the test
    if reason is None:
        assert ID_SHAPE.fullmatch(number), f"accepted a number that is not 18 plain characters: {number!r}"
        assert ric.is_valid(number)
    else:
        assert reason.startswith(ID_REASONS), reason


@given(st.text(max_size=40))
def test_any_text_as_an_id_number_gets_an_answer_not_an_exception(number: str) -> None:
    assert_documented_answer(number)


@given(st.text(TRICKY, min_size=18, max_size=18), st.none() | st.dates())
@example("１１０１０１２０１５０３０７００１８", None)  # full-width digits: stdnum would clean them to a valid number
@example("110101 20150307001", None)
def test_any_18_characters_get_an_answer(number: str, birth: date | None) -> None:
    assert_documented_answer(number, birth)


@given(checked_numbers(), st.none() | st.dates())
@example("527081201503070017", None)  # a birth-place code python-stdnum's table knows only in part
@example("527081201503070017", date(2015, 3, 7))
def test_numbers_with_a_correct_check_digit_but_odd_places_and_dates(number: str, birth: date | None) -> None:
    assert len(number) == 18 and number[-1] == ric.calc_check_digit(number)
    assert_documented_answer(number, birth)


def test_the_527081_number_is_refused_with_a_reason() -> None:
    reason = check_national_id("527081201503070017")
    assert reason is not None and reason.startswith("not a valid resident ID number")


CODES: list[tuple[Any, re.Pattern[str], int]] = [
    (RegionCode, re.compile(r"[0-9]{6}"), 6),
    (SchoolCode, re.compile(r"[0-9]{10}"), 10),
    (StudentId, re.compile(r"G[0-9]{17}[0-9X]|L[0-9]{1,24}"), 19),
]


@pytest.mark.parametrize(("kind", "shape", "size"), CODES, ids=["region", "school", "student"])
@given(data=st.data())
def test_codes_accept_exactly_their_ascii_shape(kind: Any, shape: re.Pattern[str], size: int, data: Any) -> None:
    prefix = st.sampled_from(["", "G", "L"]) if size == 19 else st.just("")
    value = data.draw(st.text() | (prefix.flatmap(lambda p: digit_like(size - len(p)).map(lambda s: p + s))))
    adapter: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(kind)
    try:
        accepted = adapter.validate_python(value)
    except pydantic.ValidationError:
        assert not shape.fullmatch(value), f"refused a well-formed code {value!r}"
        return
    assert shape.fullmatch(accepted), f"accepted {value!r}, which is not {shape.pattern} in ASCII digits"


@given(ascii_digits(6), ascii_digits(6))
@example(NATIONAL, "110101")
@example("110000", NATIONAL)
def test_region_hierarchy_of_any_six_digit_codes(region: str, other: str) -> None:
    chain = region_chain(region)
    assert chain[0] == region and chain[-1] == NATIONAL
    assert tier_of(region) in ("county", "city", "province", "national")
    assert all(region_covers(outer, region) for outer in chain), "every region above covers the region"
    assert region.startswith(county_prefix(region))
    assert region_covers(other, region) == region.startswith(county_prefix(other))
    if tier_of(region) == "county" and other != region:
        assert not region_covers(region, other), "a county covers only itself"


@given(st.text(max_size=30) | st.builds(lambda k, v: f"{k}:{v}", st.sampled_from(["school", "region"]), digit_like(8)))
@example("region:000000")
@example("region:１１００００")
@example("admin\n")
def test_scopes_are_accepted_only_in_their_documented_forms(scope: str) -> None:
    documented = re.fullmatch(r"school:[0-9]{10}|region:[0-9]{6}|national|admin", scope) is not None
    try:
        assert validate_scope(scope) == scope
    except ValueError as exc:
        assert str(exc).startswith("invalid scope")
        assert not documented or scope == f"region:{NATIONAL}"
        return
    assert documented and scope != f"region:{NATIONAL}"


def sign_any(claims: dict[str, Any]) -> str:
    """An HS256 token over any JSON payload (pyjwt's encoder refuses some claim types; an attacker's would not)."""

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = b64(json.dumps({"alg": ALGORITHM, "typ": "JWT"}).encode()) + b"." + b64(json.dumps(claims).encode())
    signature = hmac.new(SECRET.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + b64(signature)).decode()


json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
)
claim_values = json_scalars | st.lists(json_scalars, max_size=3)
near = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "iss": st.just(ISSUER) | claim_values,
            "scope": st.sampled_from(["admin", "region:110000", "region:000000", "school:1101010001"]) | claim_values,
            "jti": st.text(min_size=1, max_size=40) | claim_values,
            "exp": st.integers(near, near * 10**12) | st.floats(min_value=near) | claim_values,
            "iat": st.integers(0, near) | claim_values,
            "nbf": st.integers(0, near) | claim_values,
        },
    )
)
@example({"iss": ISSUER, "scope": "admin", "jti": "x", "exp": 10**18})  # signed, unexpired, beyond datetime
@example({"iss": ISSUER, "scope": "admin", "jti": "x", "exp": float("inf")})
def test_any_signed_claims_give_a_principal_or_401(claims: dict[str, Any]) -> None:
    token = sign_any(claims)
    try:
        principal = decode_token(token, SECRET)
    except Unauthorized as exc:
        assert exc.status == 401
        return
    assert validate_scope(principal.scope) == principal.scope
    assert principal.expires_at > datetime.now(UTC) - timedelta(minutes=1)


async def _never_revoked(_: str) -> bool:
    return False


@given(st.none() | st.text(max_size=60) | st.builds(lambda t: f"Bearer {t}", st.text(max_size=60)))
async def test_any_authorization_header_gives_a_principal_or_401(header: str | None) -> None:
    try:
        await Authenticator(SECRET, _never_revoked).authenticate(header)
    except Unauthorized as exc:
        assert exc.status == 401


@given(st.text(max_size=40) | st.dates().map(date.isoformat) | st.datetimes().map(datetime.isoformat))
@example("2026-02-30")
@example("0000-01-01")
@example("2026-11-03T07:00:00+08:00")
def test_dates_parse_or_give_a_validation_error(text: str) -> None:
    adapter = pydantic.TypeAdapter(date)
    try:
        parsed = adapter.validate_python(text)
    except pydantic.ValidationError:
        return
    assert isinstance(parsed, date)


def test_sign_any_makes_tokens_the_service_accepts() -> None:
    claims = {"iss": ISSUER, "scope": "region:110000", "jti": "j1", "exp": near}
    assert decode_token(sign_any(claims), SECRET).scope == "region:110000"
