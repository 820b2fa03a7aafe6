"""Scoped bearer tokens: signed JWTs checked by every service, revocable everywhere."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request

from baoxue_common.errors import Forbidden, NotFound, Unauthorized
from baoxue_common.regions import NATIONAL, region_covers

ISSUER = "baoxue"
ALGORITHM = "HS256"
_SCOPE = re.compile(r"(school:[0-9]{10}|region:[0-9]{6}|national|admin)")


def validate_scope(scope: str) -> str:
    """Return the scope if it is one API.md allows, else raise ValueError."""
    if scope == f"region:{NATIONAL}":
        raise ValueError(f"invalid scope {scope!r}: the whole country is the 'national' scope, not a region")
    if not _SCOPE.fullmatch(scope):
        raise ValueError(f"invalid scope {scope!r}: use school:<10 digits>, region:<6 digits>, national or admin")
    return scope


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: one scope, with the token's id and expiry, and the person's name when the token gives it."""

    scope: str
    jti: str
    expires_at: datetime
    sub: str | None = None

    def __post_init__(self) -> None:
        validate_scope(self.scope)

    @property
    def kind(self) -> str:
        """school, region, national or admin."""
        return self.scope.split(":", 1)[0]

    @property
    def value(self) -> str:
        """The school or region code of a scoped token ('' otherwise)."""
        return self.scope.split(":", 1)[1] if ":" in self.scope else ""

    def covers_region(self, region: str) -> bool:
        """Whether the token may see or change data of this region."""
        if self.kind in ("admin", "national"):
            return True
        return self.kind == "region" and region_covers(self.value, region)

    def covers_school(self, school_code: str, county_code: str | None) -> bool:
        """Whether the token may act for this school (its own token, or a region above its county)."""
        if self.kind == "admin" or (self.kind == "school" and self.value == school_code):
            return True
        return self.kind == "region" and county_code is not None and region_covers(self.value, county_code)

    @property
    def actor(self) -> str:
        """Who to record as having done something: the person's name, else the scope."""
        return self.sub or self.scope

    def ensure_region(self, region: str) -> None:
        """Raise 403 unless the token covers the region."""
        if not self.covers_region(region):
            raise Forbidden(f"scope {self.scope} does not cover region {region}")


def validate_user(user: str) -> str:
    """Return the person's name if it can name a token holder, else raise ValueError."""
    name = user.strip()
    if not name or len(name) > 100 or any(not ch.isprintable() for ch in name):
        raise ValueError("a user name is 1-100 printable characters")
    return name


def issue_token(
    scope: str, secret: str, *, ttl: timedelta, now: datetime | None = None, user: str | None = None
) -> str:
    """A signed token for one scope, naming its holder when `user` is given."""
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": ISSUER,
        "scope": validate_scope(scope),
        "jti": uuid.uuid4().hex,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if user is not None:
        claims["sub"] = validate_user(user)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> Principal:
    """Check signature, issuer and expiry; raise Unauthorized with the reason otherwise."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "jti", "scope"]}
        )
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
        sub = claims.get("sub")
        return Principal(
            scope=str(claims["scope"]),
            jti=str(claims["jti"]),
            expires_at=expires_at,
            sub=validate_user(sub) if isinstance(sub, str) else None,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError, OSError):  # OSError: exp past year 9999
        raise Unauthorized("the token is not valid") from None


RevocationCheck = Callable[[str], Awaitable[bool]]
SchoolCounty = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Verifies tokens for one service: signature, expiry and the service's copy of the revocations."""

    secret: str
    is_revoked: RevocationCheck

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an `Authorization: Bearer` header, or Unauthorized."""
        if not authorization:
            raise Unauthorized("an Authorization: Bearer token is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use Authorization: Bearer <token>")
        principal = decode_token(token.strip(), self.secret)
        if await self.is_revoked(principal.jti):
            raise Unauthorized("the token has been revoked")
        return principal


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller."""
    authenticator: Authenticator = request.app.state.runtime.authenticator
    return await authenticator.authenticate(request.headers.get("authorization"))


Authenticated = Annotated[Principal, Depends(current_principal)]


def require_region(param: str = "region_code") -> Callable[[Request, Principal], Awaitable[Principal]]:
    """Dependency: the caller's scope must cover the region named by a path parameter."""

    async def dependency(request: Request, principal: Authenticated) -> Principal:
        principal.ensure_region(request.path_params[param])
        return principal

    return dependency


def require_school(param: str = "school_code") -> Callable[[Request, Principal], Awaitable[Principal]]:
    """Dependency: the caller must be that school, or a region above its county, or admin."""

    async def dependency(request: Request, principal: Authenticated) -> Principal:
        school_code = request.path_params[param]
        if principal.kind == "school":
            if principal.value != school_code:
                raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
            return principal
        county_of: SchoolCounty = request.app.state.runtime.school_county
        county = await county_of(school_code)
        if county is None and principal.kind != "admin":
            raise NotFound(f"unknown school {school_code}")
        if not principal.covers_school(school_code, county):
            raise Forbidden(f"scope {principal.scope} does not cover school {school_code}")
        return principal

    return dependency
