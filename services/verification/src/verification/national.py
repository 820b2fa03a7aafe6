"""The national platform's suspected lists: every item a suspect (source national_platform), and its feedback.

A batch is stored once per batch_id; a repeat of the same body answers the same and emits nothing, a different
body under a known batch_id is refused. Each item is matched to a pupil by student number, else by the blind
index of its ID number; a child on no roll is kept and routed to the item's county. A list is stored at once
(items pending, matched set-based) and its items flagged after, in chunks, by the worker (national_worker.py)
through `suspects.flag`; each follows the suspicion it got: its state moves with VerificationAssigned,
DropoutConfirmed and SuspicionCleared (matched by suspicion_id), and with the ledger's ReturnConfirmed,
CaseClosed and CaseReopened (by suspicion_id when the ledger gives it, else by the pupil's confirmed items).
The state follows events, in any order, never backwards but for a reopened case (domain.national).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from baoxue_common.clock import Clock
from baoxue_common.errors import Conflict, Unprocessable
from baoxue_common.pii import mask_national_id, national_id_hash
from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import StudentEnrolled
from baoxue_contracts.events.ledger import CaseClosed, CaseReopened, ReturnConfirmed
from baoxue_contracts.events.verification import DropoutConfirmed, SuspicionCleared, VerificationAssigned

from verification.adapters import national_repository as store
from verification.domain.national import (
    CASE_STATES,
    Change,
    Item,
    ItemStanding,
    birth_date_of,
    entry,
    item_problems,
    moves,
    start_of,
    suspicion_id_of,
)
from verification.suspects import Flag, flag_many

SKEW = timedelta(minutes=5)  # an issued_at this far ahead of our clock is the platform's clock, not the future


@dataclass(frozen=True, slots=True)
class Batch:
    """A list as the platform sent it, ID numbers still in clear."""

    batch_id: str
    issued_at: datetime
    items: list[Item]


def fingerprint(batch: Batch, hashes: list[str]) -> str:
    """The digest of a batch's body, ID numbers replaced by their blind index, items in item_id order."""
    items = sorted(
        ({**asdict(item), "national_id": h} for item, h in zip(batch.items, hashes, strict=True)),
        key=lambda i: i["item_id"],
    )
    body = {"issued_at": batch.issued_at.timestamp(), "items": items}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def accept_batch(uow: UnitOfWork, batch: Batch, pii_key: str, clock: Clock) -> tuple[int, bool]:
    """Store a batch and its items, pending, for the worker to flag; return how many items it holds and whether
    this call stored it.

    A repeat of a stored batch changes nothing; 409 when the batch_id is known with another body; 422 (nothing
    stored) listing every wrong item. The items are written and matched to pupils set-based, in one transaction.
    """
    problems = [(["body", "items", i, name], why) for i, name, why in item_problems(batch.items)]
    if batch.issued_at > clock.now() + SKEW:
        problems.insert(0, (["body", "issued_at"], f"{batch.issued_at.isoformat()} is in the future"))
    if problems:
        errors = [{"loc": loc, "msg": msg} for loc, msg in problems]
        raise Unprocessable(f"{len(errors)} problem(s) in the batch; nothing was stored", errors=errors)
    numbers = [item.national_id.upper() for item in batch.items]
    hashes = [national_id_hash(pii_key, n) for n in numbers]
    digest = fingerprint(batch, hashes)
    flag_at = min(batch.issued_at, clock.now())
    async with uow:
        row = {"batch_id": batch.batch_id, "fingerprint": digest, "issued_at": batch.issued_at, "flag_at": flag_at}
        if not await store.add_batch(uow.session, row | {"items": len(batch.items)}):
            stored = await store.batch(uow.session, batch.batch_id)
            assert stored is not None, "add_batch refuses only a stored batch_id"
            if stored.fingerprint != digest:
                raise Conflict(f"batch {batch.batch_id} was received with another body")
            return int(stored.items), False
        history = [entry(Change("pending", flag_at.astimezone(clock.zone).date()))]
        rows = [
            {
                "batch_id": batch.batch_id,
                "item_id": item.item_id,
                "position": position,
                "county_code": item.county_code,
                "school_code": item.school_code,
                "listed_student_id": item.student_id,
                "national_id_hash": hashed,
                "national_id_masked": mask_national_id(number),
                "name": item.name,
                "reason": item.reason,
                "birth_date": birth_date_of(number),
                "state": "pending",
                "history": history,
            }
            for position, (item, number, hashed) in enumerate(zip(batch.items, numbers, hashes, strict=True))
        ]
        await store.add_items(uow.session, rows)
        await store.match_pupils(uow.session, batch.batch_id)
        await uow.commit()
    return len(batch.items), True


def flag_of(row: Any, zone: ZoneInfo) -> Flag:
    """What a stored item says about its child: the matched pupil's, else the listed county's child by ID hash."""
    matched = row.pupil_county_code is not None
    return Flag(
        source="national_platform",
        county_code=row.pupil_county_code if matched else row.county_code,
        flagged_on=row.flag_at.astimezone(zone).date(),
        reason=f"on the national platform's suspected list: {row.reason}",
        school_code=row.pupil_school_code if matched else None,
        student_id=row.student_id,
        groups=tuple(row.groups) if matched else (),
        poverty_household=bool(row.poverty_household) if matched else False,
        national_id_hash=row.national_id_hash,
        name=row.name,
        birth_date=row.birth_date,
        source_ref=row.item_id,
        suspicion_id=suspicion_id_of(row.batch_id, row.item_id),
    )


class ChunkFailed(Exception):
    """A chunk failed and was rolled back whole; `keys` are its items (batch_id, item_id)."""

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__(f"flagging {len(keys)} item(s) failed")
        self.keys = keys


async def flag_pending(uow: UnitOfWork, zone: ZoneInfo, limit: int, skip: Collection[tuple[str, str]] = ()) -> int:
    """Flag up to `limit` unflagged items (but `skip`) in one transaction (items another worker holds are skipped);
    return how many. Each item stores its suspect's id and starts where the suspect stands (domain.national.start_of).
    A failure rolls the chunk back and raises ChunkFailed naming its items."""
    rows: list[Any] = []
    try:
        return await _flag_chunk(uow, zone, limit, skip, rows)
    except Exception as exc:
        raise ChunkFailed([(r.batch_id, r.item_id) for r in rows]) from exc


async def _flag_chunk(
    uow: UnitOfWork, zone: ZoneInfo, limit: int, skip: Collection[tuple[str, str]], rows: list[Any]
) -> int:
    async with uow:
        rows.extend(await store.unflagged(uow.session, limit, skip))
        # One lock order for the children (suspects.flag locks each): two workers never wait on each other in a ring.
        rows.sort(key=lambda r: r.student_id or r.national_id_hash)
        standing: dict[uuid.UUID, ItemStanding] = {}
        done = []
        found_all = [(flag_of(row, zone), row.flag_at) for row in rows]
        for row, (found, _), flagged in zip(rows, found_all, await flag_many(uow, found_all), strict=True):
            sid = flagged.suspicion_id
            if sid not in standing:
                followed = None if flagged.created else await _followed(uow, sid)
                assigned = None if flagged.created else await store.assigned_on(uow.session, sid)
                standing[sid] = start_of(found.flagged_on, flagged.created, followed, assigned)
            now = standing[sid]
            done.append(
                {
                    "batch_id": row.batch_id,
                    "item_id": row.item_id,
                    "suspicion_id": sid,
                    "state": now.state,
                    "clear_reason": now.clear_reason,
                    "history": now.history,
                }
            )
        await store.set_flagged(uow.session, done)
        await uow.commit()
    return len(done)


async def _followed(uow: UnitOfWork, suspicion_id: uuid.UUID) -> ItemStanding | None:
    known = await store.follows(uow.session, suspicion_id)
    return ItemStanding(known.state, known.clear_reason, list(known.history)) if known else None


async def follow(uow: UnitOfWork, suspicion_id: uuid.UUID | None, student_id: str | None, change: Change) -> None:
    """Move the items following the suspicion (or, failing that, the pupil's confirmed items) if the change may."""
    rows = await store.items_of_suspicion(uow.session, suspicion_id) if suspicion_id else []
    if not rows and student_id and change.to in CASE_STATES:
        rows = await store.items_of_student(uow.session, student_id, CASE_STATES)
    keys = [(r.batch_id, r.item_id) for r in rows if moves(r.state, change)]
    if keys:
        await store.move(uow.session, keys, change.to, change.reason, entry(change))


async def verification_assigned(event: VerificationAssigned, envelope: Envelope, uow: UnitOfWork) -> None:
    """The items of the suspicion are being verified."""
    await follow(uow, event.suspicion_id, None, Change("verifying", event.assigned_on))


async def dropout_confirmed(event: DropoutConfirmed, envelope: Envelope, uow: UnitOfWork) -> None:
    """The items of the suspicion are confirmed dropouts."""
    await follow(uow, event.suspicion_id, None, Change("confirmed_dropout", event.confirmed_on))


async def suspicion_cleared(event: SuspicionCleared, envelope: Envelope, uow: UnitOfWork) -> None:
    """The items of the suspicion are cleared, with the reason."""
    await follow(uow, event.suspicion_id, None, Change("cleared", event.cleared_on, reason=event.reason))


async def return_confirmed(event: ReturnConfirmed, envelope: Envelope, uow: UnitOfWork) -> None:
    """The child of the case is back in school."""
    await follow(uow, event.suspicion_id, event.student_id, Change("returned", event.returned_on))


async def case_closed(event: CaseClosed, envelope: Envelope, uow: UnitOfWork) -> None:
    """The case is closed out (销号)."""
    await follow(uow, event.suspicion_id, event.student_id, Change("closed", event.closed_on))


async def case_reopened(event: CaseReopened, envelope: Envelope, uow: UnitOfWork) -> None:
    """The child left school again: back to confirmed_dropout."""
    await follow(uow, event.suspicion_id, event.student_id, Change("confirmed_dropout", event.reopened_on, reopen=True))


async def pupil_enrolled(event: StudentEnrolled, envelope: Envelope, uow: UnitOfWork) -> None:
    """A child listed while on no roll is now a pupil: the items name them, so case events find them.

    The suspicion itself stays as it was flagged (no student); merging it with the pupil is suspects.py's work.
    """
    await store.match_unmatched(uow.session, event.national_id_hash, event.student_id)
