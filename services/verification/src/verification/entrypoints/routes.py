"""Thin HTTP routes of verification."""

from __future__ import annotations

from typing import Annotated

from baoxue_common.auth import Principal, require_region
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from verification.domain.rules import RULE_NAMES, effective_rules

router = APIRouter(prefix="/v1/regions", tags=["rules"])
RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit region code (GB/T 2260)")]
RegionScoped = Annotated[Principal, Depends(require_region("region_code"))]


class EffectiveRules(BaseModel):
    """The thresholds in force for a region and the region each value comes from."""

    region_code: str
    rules: dict[str, int]
    sources: dict[str, str]


@router.get("/{region_code}/rules", response_model=EffectiveRules, summary="Effective thresholds of a region")
async def get_rules(region_code: RegionPath, _: RegionScoped) -> EffectiveRules:
    rules, sources = effective_rules(region_code, {})
    return EffectiveRules(region_code=region_code, rules={n: getattr(rules, n) for n in RULE_NAMES}, sources=sources)
