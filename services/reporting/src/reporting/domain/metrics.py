"""What one ledger change adds to the counters (计数): pure, per entry, before subtracted from after.

A counter is (region, month, metric, dim) → n. Stock metrics (`STOCKS`) count entries in a state: a
change moves an entry out of its old state and into its new one in the month of the change, so a
stock at the end of a period is the sum of its deltas up to that month. Flow metrics count things
that happened (a flag, a confirmation, a return) in the month they happened. `dim` breaks a metric
down: "" is the total; `g:<group>` a priority group (重点人群), `priority` any group, `poverty` a
poverty-alleviated household (脱贫家庭), `src:<source>`, `reason:<r>`, `cause:<c>`, `level:<l>`,
`grade:<n>`, `status:<s>`, `d:<n>` a histogram bucket of days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from baoxue_common.regions import region_chain

from reporting.domain.periods import month_of

Key = tuple[str, str]
"""(metric, dim)."""
Delta = tuple[str, date, str, str]
"""(region, month, metric, dim): a counter's key; the value is how much it moves."""
DaysBetween = Callable[[str, date, date], int]
"""School days between two days in a county (calendar days where no calendar is known)."""

# School-age ledger statuses (适龄儿童台账).
IN_SCHOOL = frozenset({"enrolled", "returned", "studying_elsewhere", "home_education", "medical_leave", "suspended"})
OUT_OF_SCHOOL = frozenset({"out_of_school", "dropout"})
NOT_POPULATION = frozenset({"deceased", "emigrated"})
# Suspected ledger (疑似辍学台账).
OPEN_SUSPECT = frozenset({"pending", "verifying"})
CONFIRMED = "confirmed_dropout"
CLEARED = "cleared"
# Dropouts ledger = cases (辍学学生台账).
BACK = frozenset({"returned", "closure_proposed"})
CONSOLIDATED = "consolidated"

STOCKS = frozenset(
    {
        "population",
        "in_school",
        "out_of_school",
        "school_age_status",
        "suspected",
        "verifying",
        "suspected_status",
        "cases_total",
        "cases_active",
        "cases_open",
        "cases_back",
        "closure_proposed",
        "cases_closed",
        "cases_cancelled",
        "cases_relapsed",
        "verifications_overdue_open",
    }
)
FLOWS = frozenset(
    {
        "flagged",
        "confirmed",
        "confirmed_attendance_first",
        "cleared",
        "cases_opened",
        "returned",
        "closed",
        "reopened",
        "escalated",
        "flag_to_return_days",
        "return_to_close_days",
    }
)


@dataclass(frozen=True, slots=True)
class State:
    """What reporting reads of an entry: the event's own fields, or its `before` snapshot."""

    ledger: str
    status: str
    school_code: str | None = None
    groups: tuple[str, ...] = ()
    poverty_household: bool = False
    grade: int | None = None
    relations: tuple[str, ...] = ()
    source: str | None = None
    sources: tuple[str, ...] = ()
    cause: str | None = None
    reason: str | None = None
    escalation_level: str | None = None
    relapses: int = 0
    flagged_on: date | None = None
    returned_on: date | None = None
    closed_on: date | None = None

    @classmethod
    def of(cls, ledger: str, values: Any) -> State:
        """The state held by an event or a snapshot (any object with these attributes)."""
        return cls(
            ledger=ledger,
            status=values.status,
            school_code=values.school_code,
            groups=tuple(values.groups),
            poverty_household=values.poverty_household,
            grade=values.grade,
            relations=tuple(values.relations),
            source=values.source,
            sources=tuple(values.sources),
            cause=values.cause,
            reason=values.reason,
            escalation_level=values.escalation_level,
            relapses=values.relapses,
            flagged_on=values.flagged_on,
            returned_on=values.returned_on,
            closed_on=values.closed_on,
        )

    @property
    def all_sources(self) -> tuple[str, ...]:
        """Every source that flagged a suspect (the first one when no list is given)."""
        return self.sources or ((self.source,) if self.source else ())


def group_dims(groups: Iterable[str], poverty: bool = False) -> list[str]:
    """The total and the breakdowns of a count of people: each priority group, any group, poverty."""
    found = list(groups)
    return ["", *(f"g:{g}" for g in found), *(["priority"] if found else []), *(["poverty"] if poverty else [])]


def people_dims(state: State) -> list[str]:
    """The breakdowns every count of an entry's people has."""
    return group_dims(state.groups, state.poverty_household)


def is_primary(state: State) -> bool:
    """Whether a school-age entry is the one that counts the child above its county (so a child counts once).

    A child is listed by its school's, residence's and hukou's counties: it counts where its school is,
    else (out of school) where it lives. Entries without relations (older events) count.
    """
    if not state.relations:
        return True
    return "school" in state.relations or (state.school_code is None and "residence" in state.relations)


def stock_keys(state: State) -> list[Key]:
    """The stock counters an entry in this state adds one to."""
    people = people_dims(state)
    keys: list[Key] = []
    if state.ledger == "school_age":
        if not is_primary(state):
            return []
        keys.append(("school_age_status", f"status:{state.status}"))
        if state.status not in NOT_POPULATION:
            keys += [("population", d) for d in people]
        if state.status in IN_SCHOOL:
            keys += [("in_school", d) for d in people]
            if state.grade is not None:
                keys.append(("in_school", f"grade:{state.grade}"))
        elif state.status in OUT_OF_SCHOOL:
            keys += [("out_of_school", d) for d in people]
    elif state.ledger == "suspected":
        keys.append(("suspected_status", f"status:{state.status}"))
        if state.status in OPEN_SUSPECT:
            keys += [("suspected", d) for d in people]
            keys += [("suspected", f"src:{s}") for s in state.all_sources]
        if state.status == "verifying":
            keys.append(("verifying", ""))
    elif state.ledger == "dropouts":
        keys += [("cases_total", d) for d in people]
        if state.cause:
            keys.append(("cases_total", f"cause:{state.cause}"))
        if state.relapses > 0:
            keys.append(("cases_relapsed", ""))
        if state.status == "closed":
            if state.reason in (None, CONSOLIDATED):
                keys += [("cases_closed", d) for d in people]
            else:
                keys.append(("cases_cancelled", f"reason:{state.reason}"))
                keys.append(("cases_cancelled", ""))
        else:
            keys += [("cases_active", d) for d in people]
            if state.status == "open":
                keys += [("cases_open", d) for d in people]
                keys.append(("cases_open", f"level:{state.escalation_level or 'none'}"))
            elif state.status in BACK:
                keys += [("cases_back", d) for d in people]
                if state.status == "closure_proposed":
                    keys.append(("closure_proposed", ""))
    return keys


def flow_keys(before: State | None, after: State | None, county: str, days: DaysBetween) -> list[Key]:
    """The flow counters a change from `before` to `after` (None: absent) adds one to."""
    if after is None:
        return []
    people = people_dims(after)
    keys: list[Key] = []
    was = before.status if before is not None else None
    if after.ledger == "suspected":
        old_sources = set(before.all_sources) if before is not None else set()
        new_sources = [s for s in after.all_sources if s not in old_sources]
        if before is None:
            keys += [("flagged", d) for d in people]
        keys += [("flagged", f"src:{s}") for s in new_sources]
        if after.status == CONFIRMED and was != CONFIRMED:
            keys += [("confirmed", d) for d in people]
            keys += [("confirmed", f"src:{s}") for s in after.all_sources]
            if after.source == "attendance":
                keys.append(("confirmed_attendance_first", ""))
        if after.status == CLEARED and was != CLEARED:
            reason = after.reason or "unknown"
            keys += [("cleared", d) for d in people]
            keys.append(("cleared", f"reason:{reason}"))
            keys += [("cleared", f"src:{s}") for s in after.all_sources]
            keys += [("cleared", f"src:{s}|reason:{reason}") for s in after.all_sources]
    elif after.ledger == "dropouts":
        if before is None:
            keys += [("cases_opened", d) for d in people]
        if after.status == "returned" and was == "open":
            keys += [("returned", d) for d in people]
            if after.flagged_on is not None and after.returned_on is not None:
                keys.append(("flag_to_return_days", f"d:{days(county, after.flagged_on, after.returned_on)}"))
        if after.status == "closed" and was != "closed":
            reason = after.reason or CONSOLIDATED
            keys += [("closed", d) for d in people]
            keys.append(("closed", f"reason:{reason}"))
            if reason == CONSOLIDATED and after.returned_on is not None and after.closed_on is not None:
                keys.append(("return_to_close_days", f"d:{days(county, after.returned_on, after.closed_on)}"))
        if before is not None and after.relapses > before.relapses:
            keys += [("reopened", d) for d in people]
        if after.escalation_level and (before is None or after.escalation_level != before.escalation_level):
            keys.append(("escalated", f"level:{after.escalation_level}"))
    return keys


def regions_of(county: str, school: str | None) -> list[str]:
    """The regions a count in this county (and school) rolls up to: school, county, city, province, nation."""
    chain = region_chain(county)
    return [school, *chain] if school else chain


def deltas(changes: Iterable[tuple[str, str, State | None, State | None, date]], days: DaysBetween) -> Counter[Delta]:
    """Fold ledger changes into counter deltas: (ledger, county, before, after, day) each.

    An update that leaves an entry's counted keys as they were moves nothing: keys cancel before they
    are spread over the regions. Equal changes (same county, month and states: most of a bulk load) are
    counted first and their keys worked out once.
    """
    same: Counter[tuple[str, date, State | None, State | None]] = Counter()
    months: dict[date, date] = {}
    for _ledger, county, before, after, day in changes:
        month = months.get(day) or months.setdefault(day, month_of(day))
        same[(county, month, before, after)] += 1
    out: Counter[Delta] = Counter()
    for (county, month, before, after), times in same.items():
        moves: Counter[tuple[str | None, str, str]] = Counter()
        if before is not None:
            for metric, dim in stock_keys(before):
                moves[(before.school_code, metric, dim)] -= 1
        if after is not None:
            for metric, dim in stock_keys(after):
                moves[(after.school_code, metric, dim)] += 1
            for metric, dim in flow_keys(before, after, county, days):
                moves[(after.school_code, metric, dim)] += 1
        for (school, metric, dim), n in moves.items():
            if n:
                for region in regions_of(county, school):
                    out[(region, month, metric, dim)] += n * times
    return _nonzero(out)


def _nonzero(counter: Counter[Delta]) -> Counter[Delta]:
    """The deltas that move something (negative ones kept: `+counter` would drop them)."""
    return Counter({k: v for k, v in counter.items() if v})


def sorted_deltas(counter: Counter[Delta]) -> Sequence[tuple[Delta, int]]:
    """Deltas in key order: two replicas lock counter rows in the same order and never deadlock."""
    return sorted(counter.items())
