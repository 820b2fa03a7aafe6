"""Tokens, scopes, principals and the bearer authenticator (pure: no database, no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from baoxue_common.auth import ALGORITHM, ISSUER, Authenticator, Principal, decode_token, issue_token, validate_scope
from baoxue_common.errors import Forbidden, Unauthorized

SECRET = "unit-test-secret-0123456789abcdef-0123456789abcdef-0123456789abcdef"
OTHER_SECRET = "another-unit-test-secret-0123456789abcd"
FAR = datetime(2099, 1, 1, tzinfo=UTC)


def principal(scope: str) -> Principal:
    return Principal(scope=scope, jti="j", expires_at=FAR)


@pytest.mark.parametrize("scope", ["school:2111010001", "region:110000", "region:650000", "national", "admin"])
def test_validate_scope_accepts_the_four_kinds(scope: str) -> None:
    assert validate_scope(scope) == scope


@pytest.mark.parametrize(
    "scope",
    [
        "",
        "school:211101000",  # 9 digits
        "school:21110100011",  # 11 digits
        "school:211101000a",
        "region:11000",
        "region:1100000",
        "region:abcdef",
        "Admin",
        "national:110000",
        "admin ",
        " admin",
        "county:110101",
        "school:",
        "region",
    ],
)
def test_validate_scope_refuses_anything_else(scope: str) -> None:
    with pytest.raises(ValueError, match="invalid scope"):
        validate_scope(scope)


def test_region_000000_is_not_a_region_scope() -> None:
    with pytest.raises(ValueError, match="national"):
        validate_scope("region:000000")


def test_a_token_carrying_region_000000_is_unauthorized() -> None:
    with pytest.raises(Unauthorized, match="not valid"):
        decode_token(_signed(_claims(scope="region:000000")), SECRET)


def test_no_principal_holds_region_000000() -> None:
    with pytest.raises(ValueError, match="national"):
        Principal(scope="region:000000", jti="j", expires_at=FAR)


@pytest.mark.parametrize("scope", ["admin\n", "region:110000\n", "school:2111010001\n"])
def test_validate_scope_refuses_a_trailing_newline(scope: str) -> None:
    with pytest.raises(ValueError):
        validate_scope(scope)


@pytest.mark.parametrize("scope", ["school:١٢٣٤٥٦٧٨٩٠", "region:１１００００"])
def test_validate_scope_refuses_non_ascii_digits(scope: str) -> None:
    with pytest.raises(ValueError):
        validate_scope(scope)


@pytest.mark.parametrize("scope", ["school:2111010001", "region:110101", "national", "admin"])
def test_issue_then_decode_round_trips(scope: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_token(scope, SECRET, ttl=timedelta(days=1), now=now)
    got = decode_token(token, SECRET)
    assert got.scope == scope
    assert got.expires_at == now + timedelta(days=1)
    assert len(got.jti) == 32


def test_each_token_gets_its_own_id() -> None:
    a = decode_token(issue_token("admin", SECRET, ttl=timedelta(hours=1)), SECRET)
    b = decode_token(issue_token("admin", SECRET, ttl=timedelta(hours=1)), SECRET)
    assert a.jti != b.jti


def test_issue_refuses_an_invalid_scope() -> None:
    with pytest.raises(ValueError):
        issue_token("school:1", SECRET, ttl=timedelta(days=1))


def test_expired_token_is_unauthorized_as_expired() -> None:
    token = issue_token("admin", SECRET, ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(Unauthorized, match="expired") as info:
        decode_token(token, SECRET)
    assert info.value.status == 401
    assert info.value.headers["WWW-Authenticate"].startswith("Bearer")


def _signed(claims: dict[str, object], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _claims(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "iss": ISSUER,
        "scope": "admin",
        "jti": "abc",
        "iat": int(datetime.now(UTC).timestamp()),
        "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp()),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(issue_token("admin", OTHER_SECRET, ttl=timedelta(hours=1)), id="wrong-secret"),
        pytest.param("not-a-jwt", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param("a.b.c", id="three-garbage-parts"),
        pytest.param(_signed(_claims(exp=None)), id="no-exp"),
        pytest.param(_signed(_claims(jti=None)), id="no-jti"),
        pytest.param(_signed(_claims(scope=None)), id="no-scope"),
        pytest.param(_signed(_claims(iss=None)), id="no-issuer"),
        pytest.param(_signed(_claims(iss="someone-else")), id="wrong-issuer"),
        pytest.param(_signed(_claims(scope="school:12")), id="bad-scope"),
        pytest.param(jwt.encode(_claims(), key=None, algorithm="none"), id="alg-none"),
        pytest.param(jwt.encode(_claims(), SECRET, algorithm="HS512"), id="other-alg"),
    ],
)
def test_invalid_tokens_are_unauthorized(token: str) -> None:
    with pytest.raises(Unauthorized, match="not valid"):
        decode_token(token, SECRET)


def test_a_payload_swapped_under_another_signature_is_unauthorized() -> None:
    head, _, sig = issue_token("region:110000", SECRET, ttl=timedelta(hours=1)).split(".")
    _, admin_payload, _ = issue_token("admin", OTHER_SECRET, ttl=timedelta(hours=1)).split(".")
    with pytest.raises(Unauthorized):
        decode_token(f"{head}.{admin_payload}.{sig}", SECRET)


@pytest.mark.parametrize(
    ("scope", "kind", "value"),
    [
        ("school:2111010001", "school", "2111010001"),
        ("region:110100", "region", "110100"),
        ("national", "national", ""),
        ("admin", "admin", ""),
    ],
)
def test_principal_kind_and_value(scope: str, kind: str, value: str) -> None:
    p = principal(scope)
    assert (p.kind, p.value) == (kind, value)


@pytest.mark.parametrize(
    ("scope", "region", "covered"),
    [
        ("admin", "110101", True),
        ("national", "650000", True),
        ("region:110000", "110101", True),
        ("region:110000", "110000", True),
        ("region:110000", "120101", False),
        ("region:110100", "110101", True),
        ("region:110100", "110201", False),
        ("region:110100", "110000", False),
        ("region:110101", "110101", True),
        ("region:110101", "110102", False),
        ("school:1101010001", "110101", False),
    ],
)
def test_principal_covers_region(scope: str, region: str, covered: bool) -> None:
    assert principal(scope).covers_region(region) is covered


@pytest.mark.parametrize(
    ("scope", "school", "county", "covered"),
    [
        ("admin", "1101010001", None, True),
        ("admin", "1101010001", "110101", True),
        ("school:1101010001", "1101010001", "110101", True),
        ("school:1101010001", "1101010002", "110101", False),
        ("region:110101", "1101010001", "110101", True),
        ("region:110100", "1101010001", "110101", True),
        ("region:110000", "1101010001", "110101", True),
        ("region:120000", "1101010001", "110101", False),
        ("region:110101", "1101010001", None, False),
        ("national", "1101010001", "110101", False),
    ],
)
def test_principal_covers_school(scope: str, school: str, county: str | None, covered: bool) -> None:
    assert principal(scope).covers_school(school, county) is covered


def test_ensure_region_passes_when_covered() -> None:
    principal("region:110000").ensure_region("110105")


@pytest.mark.parametrize(("scope", "region"), [("region:110000", "120101"), ("school:1101010001", "110101")])
def test_ensure_region_forbids_when_not_covered(scope: str, region: str) -> None:
    with pytest.raises(Forbidden) as info:
        principal(scope).ensure_region(region)
    assert info.value.status == 403
    assert region in info.value.detail


class FakeRevocations:
    def __init__(self, revoked: set[str]) -> None:
        self.revoked = revoked
        self.asked: list[str] = []

    async def __call__(self, jti: str) -> bool:
        self.asked.append(jti)
        return jti in self.revoked


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_authenticate_accepts_a_bearer_token(scheme: str) -> None:
    token = issue_token("region:110000", SECRET, ttl=timedelta(hours=1))
    revocations = FakeRevocations(set())
    got = await Authenticator(SECRET, revocations).authenticate(f"{scheme} {token}")
    assert got.scope == "region:110000"
    assert revocations.asked == [got.jti]


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz", "Token abc", "Bearerabc", "Bearer not-a-jwt"],
)
async def test_authenticate_refuses_missing_or_malformed_headers(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        await Authenticator(SECRET, FakeRevocations(set())).authenticate(header)


async def test_authenticate_refuses_a_token_signed_with_another_secret() -> None:
    token = issue_token("admin", OTHER_SECRET, ttl=timedelta(hours=1))
    with pytest.raises(Unauthorized, match="not valid"):
        await Authenticator(SECRET, FakeRevocations(set())).authenticate(f"Bearer {token}")


async def test_authenticate_refuses_a_revoked_token() -> None:
    token = issue_token("admin", SECRET, ttl=timedelta(hours=1))
    jti = decode_token(token, SECRET).jti
    with pytest.raises(Unauthorized, match="revoked"):
        await Authenticator(SECRET, FakeRevocations({jti})).authenticate(f"Bearer {token}")


async def test_revoking_one_token_leaves_others_working() -> None:
    revoked = issue_token("admin", SECRET, ttl=timedelta(hours=1))
    other = issue_token("admin", SECRET, ttl=timedelta(hours=1))
    auth = Authenticator(SECRET, FakeRevocations({decode_token(revoked, SECRET).jti}))
    assert (await auth.authenticate(f"Bearer {other}")).scope == "admin"
