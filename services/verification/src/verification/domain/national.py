"""The national platform's suspected lists (国家平台疑似辍学名单): items checked, and the feedback state each follows.

An item's state only moves forward as the other services' events arrive, in whatever order:
pending → verifying → confirmed_dropout | cleared → returned → closed. A late or redelivered event never moves
it back; the one exception is a reopened case (复辍), which takes a returned or closed item back to
confirmed_dropout. A cleared item is final.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

from baoxue_common.pii import check_national_id
from baoxue_common.regions import county_problem

State = Literal["pending", "verifying", "confirmed_dropout", "cleared", "returned", "closed"]
STATES: tuple[State, ...] = ("pending", "verifying", "confirmed_dropout", "cleared", "returned", "closed")
_RANK: dict[State, int] = {
    "pending": 0,
    "verifying": 1,
    "confirmed_dropout": 2,
    "cleared": 2,
    "returned": 3,
    "closed": 4,
}
# Case events matched by student_id alone touch only items whose dropout is confirmed: an older case of the
# same pupil must not move an item still being verified.
CASE_STATES: tuple[State, ...] = ("confirmed_dropout", "returned", "closed")
MAX_ITEMS = 10_000
_NAMESPACE = uuid.UUID("0b7c2f55-2f0e-4a8f-9d6f-5d7a1e3c9b21")


@dataclass(frozen=True, slots=True)
class Change:
    """What an event says about an item: the state it reaches, on which day, and why (a clear reason)."""

    to: State
    on: date
    reason: str | None = None
    reopen: bool = False


def moves(current: State, change: Change) -> bool:
    """Whether the change moves an item in `current` state: forward only, but a reopened case goes back."""
    if change.reopen:
        return current in ("returned", "closed")
    if current == "cleared":
        return False
    if change.to == "cleared":
        return current in ("pending", "verifying")
    return _RANK[change.to] > _RANK[current]


def entry(change: Change) -> dict[str, str]:
    """The history entry a change appends: the state, its date and (for cleared) the reason."""
    kept = {"state": change.to, "on": change.on.isoformat()}
    return kept | ({"reason": change.reason} if change.reason else {})


@dataclass(frozen=True, slots=True)
class Item:
    """One child on a list, the ID number still in clear: it never leaves the request."""

    item_id: str
    national_id: str
    name: str
    county_code: str
    reason: str
    student_id: str | None = None
    school_code: str | None = None


def item_problems(items: list[Item]) -> list[tuple[int, str, str]]:
    """(index, field, why) of everything wrong with a batch's items; empty if it may be stored; never raises."""
    problems: list[tuple[int, str, str]] = []
    repeated = {k for k, n in Counter(i.item_id for i in items).items() if n > 1}
    for index, item in enumerate(items):
        if item.item_id in repeated:
            problems.append((index, "item_id", f"item_id {item.item_id!r} appears more than once in the batch"))
        if why := check_national_id(item.national_id):
            problems.append((index, "national_id", why))
        if why := county_problem(item.county_code):
            problems.append((index, "county_code", why))
    return problems


@dataclass(frozen=True, slots=True)
class ItemStanding:
    """Where an item stands: its state, the clear reason, and its history (oldest first)."""

    state: State
    clear_reason: str | None
    history: list[dict[str, str]]


def start_of(flagged_on: date, created: bool, followed: ItemStanding | None, assigned_on: date | None) -> ItemStanding:
    """Where a newly flagged item starts.

    An item that opened its suspect is pending (its VerificationAssigned moves it). One joining a suspect starts as
    far as the items already following it, and at least verifying when the suspect's verification is assigned: that
    VerificationAssigned may have come and gone before the item existed.
    """
    pending = ItemStanding("pending", None, [entry(Change("pending", flagged_on))])
    if created:
        return pending
    if followed is not None and followed.state != "pending":
        return followed
    if assigned_on is not None:
        return ItemStanding("verifying", None, [*pending.history, entry(Change("verifying", assigned_on))])
    return followed or pending


def birth_date_of(national_id: str) -> date:
    """The birth date in a valid 18-character ID number."""
    return date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))


def suspicion_id_of(batch_id: str, item_id: str) -> uuid.UUID:
    """The id an item's suspicion gets if the item opens one: stable, so a retry opens the same."""
    return uuid.uuid5(_NAMESPACE, f"{batch_id}|{item_id}")
