"""Thin HTTP routes of verification."""

from __future__ import annotations

from typing import Annotated

from baoxue_common.auth import Authenticated, Principal, require_region
from baoxue_common.errors import Forbidden, Unprocessable
from baoxue_common.regions import region_name
from baoxue_common.rules import HIGHEST, LOWEST, RULE_NAMES, Rules
from baoxue_common.runtime import ServiceRuntime
from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from verification.handlers_rules import publish_rules, read_rules

router = APIRouter(prefix="/v1/regions", tags=["rules"])
RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit region code (GB/T 2260); 000000 national")]
RegionScoped = Annotated[Principal, Depends(require_region("region_code"))]
Threshold = Annotated[int, Field(strict=True, ge=LOWEST, le=HIGHEST)] | None


def runtime_of(request: Request) -> ServiceRuntime:
    """The service runtime of this process."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


class RulesIn(BaseModel):
    """`PUT /v1/regions/{region_code}/rules`: the thresholds the region sets; any left out (or null) is inherited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home_visit_after_consecutive_unexcused: Threshold = None
    suspect_after_consecutive_unexcused: Threshold = None
    suspect_after_cumulative_unexcused_in_term: Threshold = None
    review_after_consecutive_excused: Threshold = None
    not_attending_after_school_days: Threshold = None
    transfer_completion_school_days: Threshold = None
    verification_deadline_days: Threshold = None
    return_consolidation_school_days: Threshold = None


class EffectiveRules(BaseModel):
    """The thresholds in force for a region and the region each value comes from."""

    region_code: str
    rules: dict[str, int]
    sources: dict[str, str]

    @classmethod
    def of(cls, region_code: str, rules: Rules, sources: dict[str, str]) -> EffectiveRules:
        """The view of resolved rules."""
        return cls(region_code=region_code, rules={n: getattr(rules, n) for n in RULE_NAMES}, sources=sources)


class PublishedRules(EffectiveRules):
    """The answer to a PUT: the effective rules, and whether the region's own settings changed."""

    changed: bool


@router.put("/{region_code}/rules", response_model=PublishedRules, summary="Set a region's thresholds")
async def put_rules(region_code: RegionPath, body: RulesIn, principal: Authenticated, rt: Runtime) -> PublishedRules:
    """Replace the thresholds the region sets itself: values not given are inherited from the region above.

    Admin and national tokens may set any region (000000: the national defaults); a region token the regions it
    covers. RulesPublished is emitted only when the region's own settings change.
    """
    if principal.kind == "school":
        raise Forbidden("rules need an admin, national or region token")
    principal.ensure_region(region_code)
    if region_name(region_code) is None:
        raise Unprocessable(
            f"{region_code} is not a GB/T 2260 region code in use",
            errors=[{"loc": ["path", "region_code"], "msg": "unknown region code"}],
        )
    values = {name: value for name, value in body.model_dump().items() if value is not None}
    changed, rules, sources = await publish_rules(rt.uow(), region_code, values)
    return PublishedRules(**EffectiveRules.of(region_code, rules, sources).model_dump(), changed=changed)


@router.get("/{region_code}/rules", response_model=EffectiveRules, summary="Effective thresholds of a region")
async def get_rules(region_code: RegionPath, _: RegionScoped, rt: Runtime) -> EffectiveRules:
    rules, sources = await read_rules(rt.engine, region_code)
    return EffectiveRules.of(region_code, rules, sources)
