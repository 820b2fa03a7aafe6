"""Console accounts: which scope fits which role, the field checks, the lock-out and what a user covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from console.domain.accounts import (
    AccountError,
    ConsoleUser,
    Lockout,
    Role,
    check_display_name,
    check_password,
    check_scope_fits,
    check_username,
)
from console.domain.navigation import home_path

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.SCHOOL_STAFF, "school:1402260001"),
        (Role.COUNTY_CASEWORKER, "region:140226"),
        (Role.COUNTY_APPROVER, "region:140226"),
        (Role.REGION_VIEWER, "region:140200"),
        (Role.REGION_VIEWER, "region:140000"),
        (Role.REGION_VIEWER, "national"),
        (Role.ADMIN, "admin"),
    ],
)
def test_each_role_takes_its_kind_of_scope(role: Role, scope: str) -> None:
    assert check_scope_fits(role, scope) == scope


@pytest.mark.parametrize(
    ("role", "scope", "words"),
    [
        (Role.SCHOOL_STAFF, "region:140226", "school:<10-digit school code>"),
        (Role.COUNTY_CASEWORKER, "region:140200", "region:<county code>"),
        (Role.COUNTY_CASEWORKER, "school:1402260001", "region:<county code>"),
        (Role.COUNTY_APPROVER, "national", "region:<county code>"),
        (Role.REGION_VIEWER, "region:140226", "city or province"),
        (Role.ADMIN, "region:140226", "needs the scope admin"),
        (Role.COUNTY_CASEWORKER, "region:abc", "invalid scope"),
        (Role.COUNTY_CASEWORKER, "everything", "invalid scope"),
    ],
)
def test_a_scope_that_does_not_fit_the_role_is_refused_in_words(role: Role, scope: str, words: str) -> None:
    with pytest.raises(AccountError, match=words):
        check_scope_fits(role, scope)


def test_a_county_code_that_does_not_exist_is_refused() -> None:
    with pytest.raises(AccountError):
        check_scope_fits(Role.COUNTY_CASEWORKER, "region:149999")


@pytest.mark.parametrize("password", ["short", "x" * 9, "x" * 257])
def test_passwords_too_short_or_too_long_are_refused(password: str) -> None:
    with pytest.raises(AccountError, match="password"):
        check_password(password)


def test_a_password_counts_characters_not_bytes() -> None:
    assert check_password("正确的马电池订书钉-") == "正确的马电池订书钉-"
    with pytest.raises(AccountError):
        check_password("正确的马电池订书钉")  # nine characters, though 27 bytes


@pytest.mark.parametrize("name", ["", "two words", "tab\there", "x" * 65, "bell\x07"])
def test_unusable_user_names_are_refused(name: str) -> None:
    with pytest.raises(AccountError, match="user name"):
        check_username(name)


def test_user_names_and_display_names_that_fit_are_kept() -> None:
    assert check_username("zhang.min-01") == "zhang.min-01"
    assert check_display_name("张敏") == "张敏"
    with pytest.raises(AccountError):
        check_display_name("   ")


def test_the_lock_falls_on_the_nth_failure_and_lasts_its_time() -> None:
    lockout = Lockout(3, timedelta(minutes=15))
    failed, until = lockout.after_failure(0, NOW)
    assert (failed, until) == (1, None)
    failed, until = lockout.after_failure(failed, NOW)
    assert (failed, until) == (2, None)
    failed, until = lockout.after_failure(failed, NOW)
    assert (failed, until) == (0, NOW + timedelta(minutes=15)), "locked, and the count starts again"
    assert Lockout.is_locked(until, NOW + timedelta(minutes=14))
    assert not Lockout.is_locked(until, NOW + timedelta(minutes=15))
    assert not Lockout.is_locked(None, NOW)


def user(role: Role, scope: str) -> ConsoleUser:
    return ConsoleUser("u", "张敏", role, scope)


def test_what_each_role_may_do() -> None:
    assert user(Role.COUNTY_CASEWORKER, "region:140226").can_act
    assert not user(Role.COUNTY_CASEWORKER, "region:140226").can_approve
    assert user(Role.COUNTY_APPROVER, "region:140226").can_approve
    assert not user(Role.REGION_VIEWER, "region:140200").can_act
    assert user(Role.ADMIN, "admin").can_approve
    assert user(Role.SCHOOL_STAFF, "school:1402260001").role_label == "学校工作人员"


@pytest.mark.parametrize(
    ("role", "scope", "region", "covered"),
    [
        (Role.COUNTY_CASEWORKER, "region:140226", "140226", True),
        (Role.COUNTY_CASEWORKER, "region:140226", "140225", False),
        (Role.COUNTY_CASEWORKER, "region:140226", "140200", False),
        (Role.REGION_VIEWER, "region:140200", "140226", True),
        (Role.REGION_VIEWER, "region:140200", "140400", False),
        (Role.REGION_VIEWER, "national", "140226", True),
        (Role.ADMIN, "admin", "140226", True),
        (Role.SCHOOL_STAFF, "school:1402260001", "140226", False),
    ],
)
def test_a_user_covers_their_region_and_below_only(role: Role, scope: str, region: str, covered: bool) -> None:
    assert user(role, scope).covers_region(region) is covered


@pytest.mark.parametrize(
    ("scope", "home"),
    [
        ("school:1402260001", "/schools/1402260001"),
        ("region:140226", "/counties/140226"),
        ("region:140200", "/regions/140200"),
        ("national", "/regions/000000"),
        ("admin", "/regions/000000"),
    ],
)
def test_each_scope_lands_on_its_own_home_page(scope: str, home: str) -> None:
    assert home_path(scope) == home
    assert user(Role.ADMIN, scope).scope_code == scope.partition(":")[2]
