"""`PUT /v1/counties/{county_code}/registries/{household|poverty|groups}`: a county's registries, whole."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from baoxue_common.auth import Authenticated, Principal
from baoxue_common.errors import Forbidden, PayloadTooLarge, Unprocessable
from baoxue_common.regions import county_problem
from baoxue_contracts.base import PriorityGroup
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from verification.adapters.registries_repository import Counts
from verification.domain.registries import MAX_CHILDREN, HouseholdChild
from verification.entrypoints.routes import Runtime
from verification.registries import replace_groups, replace_household, replace_poverty

router = APIRouter(prefix="/v1/counties", tags=["registries"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit county code (GB/T 2260)")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Number = Annotated[str, Field(max_length=64, description="Resident ID number (GB 11643)")]
Code = Annotated[str, Field(max_length=16, description="6-digit county code")]


class HouseholdChildIn(BaseModel):
    """A child on the household register (户籍)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    national_id: Number
    name: Text
    gender: Literal["M", "F"]
    birth_date: date
    hukou_county_code: Code
    residence_county_code: Code


class HouseholdIn(BaseModel):
    """The county's whole household register of children, as of a date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date
    children: list[HouseholdChildIn]


class PovertyIn(BaseModel):
    """The ID numbers of the children of the county's poverty-alleviated households (脱贫户), as of a date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date
    national_ids: list[Number]


class GroupChildIn(BaseModel):
    """A child's priority groups."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    national_id: Number
    groups: list[PriorityGroup]


class GroupsIn(BaseModel):
    """The county's record of children's priority groups, as of a date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date
    children: list[GroupChildIn]


class RegistryOut(BaseModel):
    """What the replacement changed."""

    county_code: str
    registry: Literal["household", "poverty", "groups"]
    as_of: date
    children: int
    added: int
    changed: int = Field(description="On the register before, with different details")
    removed: int
    unchanged: int


def _allowed(principal: Principal, county_code: str, size: int) -> None:
    if principal.kind not in ("region", "admin"):
        raise Forbidden("registries need a region token covering the county, or admin")
    principal.ensure_region(county_code)
    if problem := county_problem(county_code):
        raise Unprocessable(problem, errors=[{"loc": ["path", "county_code"], "msg": problem}])
    if size > MAX_CHILDREN:
        raise PayloadTooLarge(f"at most {MAX_CHILDREN} children in one registry, not {size}")


Registry = Literal["household", "poverty", "groups"]


def _out(county: str, registry: Registry, as_of: date, n: int, c: Counts) -> RegistryOut:
    return RegistryOut(
        county_code=county,
        registry=registry,
        as_of=as_of,
        children=n,
        added=c.added,
        changed=c.changed,
        removed=c.removed,
        unchanged=c.unchanged,
    )


@router.put("/{county_code}/registries/household", response_model=RegistryOut, summary="Replace the household register")
async def put_household(
    county_code: CountyPath, body: HouseholdIn, principal: Authenticated, rt: Runtime
) -> RegistryOut:
    """Replace the county's household register (户籍) of children; 409 if older than the one on record."""
    _allowed(principal, county_code, len(body.children))
    children = [HouseholdChild(**c.model_dump()) for c in body.children]
    counts = await replace_household(rt.uow(), county_code, body.as_of, children, rt.settings.pii_key, rt.clock)
    return _out(county_code, "household", body.as_of, len(children), counts)


@router.put("/{county_code}/registries/poverty", response_model=RegistryOut, summary="Replace the poverty list")
async def put_poverty(county_code: CountyPath, body: PovertyIn, principal: Authenticated, rt: Runtime) -> RegistryOut:
    """Replace the county's list of children of poverty-alleviated households; 409 if older than on record."""
    _allowed(principal, county_code, len(body.national_ids))
    counts = await replace_poverty(rt.uow(), county_code, body.as_of, body.national_ids, rt.settings.pii_key, rt.clock)
    return _out(county_code, "poverty", body.as_of, len(body.national_ids), counts)


@router.put("/{county_code}/registries/groups", response_model=RegistryOut, summary="Replace the priority groups")
async def put_groups(county_code: CountyPath, body: GroupsIn, principal: Authenticated, rt: Runtime) -> RegistryOut:
    """Replace the county's record of children's priority groups; 409 if older than on record."""
    _allowed(principal, county_code, len(body.children))
    children = [(c.national_id, tuple(c.groups)) for c in body.children]
    counts = await replace_groups(rt.uow(), county_code, body.as_of, children, rt.settings.pii_key, rt.clock)
    return _out(county_code, "groups", body.as_of, len(children), counts)
