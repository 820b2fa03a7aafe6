"""Console users: a role, one scope, and the lock-out after repeated failed sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from baoxue_common.auth import validate_scope, validate_user
from baoxue_common.regions import county_problem, region_covers, region_problem, tier_of

MIN_PASSWORD_LENGTH = 10


class Role(StrEnum):
    """What a user does; each role fits one kind of scope."""

    SCHOOL_STAFF = "school_staff"
    COUNTY_CASEWORKER = "county_caseworker"
    COUNTY_APPROVER = "county_approver"
    REGION_VIEWER = "region_viewer"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.SCHOOL_STAFF: "学校工作人员",
    Role.COUNTY_CASEWORKER: "县级劝返专员",
    Role.COUNTY_APPROVER: "县级审核人",
    Role.REGION_VIEWER: "市/省级查看",
    Role.ADMIN: "系统管理员",
}


class AccountError(ValueError):
    """An account that cannot be made as asked (the message says why)."""


def check_scope_fits(role: Role, scope: str) -> str:
    """Return the scope when the role may hold it, else raise AccountError saying what fits."""
    try:
        validate_scope(scope)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    kind, _, code = scope.partition(":")
    fits = {
        Role.SCHOOL_STAFF: kind == "school",
        Role.COUNTY_CASEWORKER: kind == "region" and tier_of(code) == "county",
        Role.COUNTY_APPROVER: kind == "region" and tier_of(code) == "county",
        Role.REGION_VIEWER: kind == "national" or (kind == "region" and tier_of(code) in ("city", "province")),
        Role.ADMIN: kind == "admin",
    }[role]
    problem = county_problem(code) if fits and role in (Role.COUNTY_CASEWORKER, Role.COUNTY_APPROVER) else None
    if fits and role == Role.REGION_VIEWER and kind == "region":
        problem = region_problem(code)
    if problem:
        raise AccountError(problem)
    if not fits:
        wanted = {
            Role.SCHOOL_STAFF: "school:<10-digit school code>",
            Role.COUNTY_CASEWORKER: "region:<county code>",
            Role.COUNTY_APPROVER: "region:<county code>",
            Role.REGION_VIEWER: "region:<city or province code> or national",
            Role.ADMIN: "admin",
        }[role]
        raise AccountError(f"role {role} needs the scope {wanted}, not {scope}")
    return scope


def check_password(password: str) -> str:
    """Return the password when it is long enough, else raise AccountError."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 256:
        raise AccountError("a password has at most 256 characters")
    return password


def check_username(username: str) -> str:
    """Return the sign-in name when usable (1-64 printable characters, no spaces)."""
    if not username or len(username) > 64 or any(not ch.isprintable() or ch.isspace() for ch in username):
        raise AccountError("a user name is 1-64 printable characters without spaces")
    return username


def check_display_name(name: str) -> str:
    """Return the person's name (recorded on every action), else raise AccountError."""
    try:
        return validate_user(name)
    except ValueError as exc:
        raise AccountError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Lockout:
    """After `failures` wrong passwords in a row the account is locked for `duration`."""

    failures: int
    duration: timedelta

    def after_failure(self, failed_before: int, now: datetime) -> tuple[int, datetime | None]:
        """The failure count and lock end after one more wrong password."""
        failed = failed_before + 1
        return (0, now + self.duration) if failed >= self.failures else (failed, None)

    @staticmethod
    def is_locked(locked_until: datetime | None, now: datetime) -> bool:
        """Whether a lock is still running."""
        return locked_until is not None and locked_until > now


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A signed-in person: what they may see (scope) and do (role), and the name their actions carry."""

    username: str
    display_name: str
    role: Role
    scope: str

    @property
    def scope_kind(self) -> str:
        """school, region, national or admin."""
        return self.scope.split(":", 1)[0]

    @property
    def scope_code(self) -> str:
        """The school or region code of the scope ('' for national and admin)."""
        return self.scope.split(":", 1)[1] if ":" in self.scope else ""

    @property
    def role_label(self) -> str:
        """The role in Chinese."""
        return ROLE_LABELS[self.role]

    @property
    def can_act(self) -> bool:
        """Whether the user may change cases and verifications (viewers only read)."""
        return self.role in (Role.SCHOOL_STAFF, Role.COUNTY_CASEWORKER, Role.COUNTY_APPROVER, Role.ADMIN)

    @property
    def can_approve(self) -> bool:
        """Whether the user may approve or reject a close-out (销号审核)."""
        return self.role in (Role.COUNTY_APPROVER, Role.ADMIN)

    def covers_region(self, region: str) -> bool:
        """Whether the user's scope includes the region (the services check again on every call)."""
        if self.scope_kind in ("admin", "national"):
            return True
        return self.scope_kind == "region" and region_covers(self.scope_code, region)
