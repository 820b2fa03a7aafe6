"""HouseholdRegisterChanged from a household register replacement: the diff against the register on record.

Computed in SQL inside the replacement's transaction, before the merge, while the new register is in the
temporary table `incoming`: children added or changed (in a field the ledgers keep) and hashes removed, in
parts of at most PART_SIZE, one outbox row per part, built and written by one statement.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from baoxue_common.uow import lock_outbox_keys
from baoxue_contracts import topics
from baoxue_contracts.events.verification import HouseholdRegisterChanged
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import SCHEMA, household_children

PART_SIZE = 1_000
PRODUCER = "verification"
KEPT = ("national_id_masked", "gender", "birth_date", "hukou_county_code", "residence_county_code")

_REGISTER = f'"{SCHEMA}"."{household_children.name}"'
_DIFFERS = " OR ".join(f"i.{c} IS DISTINCT FROM r.{c}" for c in KEPT)
# $1 county, $2 as_of, $3 occurred_at, $4 topic, $5 producer, $6 part size.
_EMIT = f"""
WITH diff AS (
    SELECT 0 AS kind, i.national_id_hash AS h, jsonb_build_object(
        'national_id_hash', i.national_id_hash, 'masked_id', i.national_id_masked, 'gender', i.gender,
        'birth_date', i.birth_date, 'hukou_county_code', i.hukou_county_code,
        'residence_county_code', i.residence_county_code) AS child
    FROM incoming i
    LEFT JOIN {_REGISTER} r ON r.county_code = $1::text AND r.national_id_hash = i.national_id_hash
    WHERE r.national_id_hash IS NULL OR {_DIFFERS}
    UNION ALL
    SELECT 1, r.national_id_hash, NULL FROM {_REGISTER} r
    WHERE r.county_code = $1::text
        AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.national_id_hash = r.national_id_hash)
), numbered AS (
    SELECT kind, h, child, (row_number() OVER (ORDER BY kind, h) - 1) / $6::int AS chunk FROM diff
), chunks AS (
    SELECT chunk, gen_random_uuid() AS event_id,
        coalesce(jsonb_agg(child ORDER BY h) FILTER (WHERE kind = 0), '[]'::jsonb) AS children,
        coalesce(jsonb_agg(h ORDER BY h) FILTER (WHERE kind = 1), '[]'::jsonb) AS removed
    FROM numbered GROUP BY chunk
), total AS (SELECT count(*) AS parts FROM chunks)
INSERT INTO "{SCHEMA}".outbox (event_id, topic, key, value, headers)
SELECT c.event_id, $4::text, $1::text, convert_to(jsonb_build_object(
    'event_id', c.event_id, 'event_type', '{HouseholdRegisterChanged.event_type}',
    'schema_version', {HouseholdRegisterChanged.schema_version}, 'occurred_at', $3::timestamptz,
    'recorded_at', now(), 'producer', $5::text, 'region', $1::text, 'school_code', NULL, 'subject_id', NULL,
    'payload', jsonb_build_object('county_code', $1::text, 'as_of', $2::date, 'part', c.chunk + 1, 'parts', t.parts,
        'children', c.children, 'removed', c.removed))::text, 'UTF8'), '{{}}'::jsonb
FROM chunks c CROSS JOIN total t ORDER BY c.chunk
"""


async def emit_changes(session: AsyncSession, conn: Any, county: str, as_of: date, occurred_at: Any) -> int:
    """Write the HouseholdRegisterChanged parts of the diff `incoming` vs the register; the number of parts."""
    await lock_outbox_keys(session, SCHEMA, {county})
    status = await conn.execute(_EMIT, county, as_of, occurred_at, topics.VERIFICATION, PRODUCER, PART_SIZE)
    return int(status.split()[-1])
