"""Commands on a region's rules (规则): publish its own thresholds, read the effective ones."""

from __future__ import annotations

from datetime import UTC, datetime

from baoxue_common.errors import Unprocessable
from baoxue_common.rules import Rules, effective_rules, rule_problems
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.verification import RulesPublished
from sqlalchemy.ext.asyncio import AsyncEngine

from verification.adapters import rules_repository as store


async def publish_rules(uow: UnitOfWork, region: str, values: dict[str, int]) -> tuple[bool, Rules, dict[str, str]]:
    """Replace a region's own thresholds; emit RulesPublished if they changed; return the effective rules.

    Raises 422 (nothing stored) when the result leaves the region, or a region below it, inconsistent.
    """
    async with uow:
        await store.lock_rules(uow.session)
        overrides = await store.all_overrides(uow.session)
        overrides[region] = values
        if problems := rule_problems(region, overrides):
            errors = [{"loc": ["body", name], "msg": msg} for name, msg in problems]
            raise Unprocessable(f"the rules of {region} would be inconsistent", errors=errors)
        changed = await store.save_rules(uow.session, region, values)
        if changed:
            uow.emit(RulesPublished(region_code=region, **values), region=region, occurred_at=datetime.now(UTC))
        await uow.commit()
    rules, sources = effective_rules(region, overrides)
    return changed, rules, sources


async def read_rules(engine: AsyncEngine, region: str) -> tuple[Rules, dict[str, str]]:
    """The rules in force in a region and the region each value comes from."""
    async with engine.connect() as conn:
        return effective_rules(region, await store.chain_overrides(conn, region))
