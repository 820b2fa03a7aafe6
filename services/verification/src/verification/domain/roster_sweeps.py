"""When a roster gap has lasted too long: stalled transfers (转学未完成) and pupils the attendance never names.

Both count school days of a county's calendar, `today` excluded (its attendance may not be in yet). A gap that
began on `since` is overdue once at least `n` school days lie strictly between `since` and `today`, that is when
`since` is before the n-th school day before `today`: the cutoff. Without a calendar reaching that far back the
cutoff is unknown and nothing is judged overdue (a sweep never flags on days it cannot count).
"""

from __future__ import annotations

from datetime import date

from baoxue_common.calendar import SchoolDays

TRANSFER_NOT_COMPLETED = "transfer_not_completed"
NOT_ATTENDING = "not_attending"


def cutoff(days: SchoolDays, today: date, n: int) -> date | None:
    """The n-th school day before `today`: a gap that began before it is overdue; None if the calendar cannot tell."""
    return days.before(today, n) if n >= 1 else None


def overdue(days: SchoolDays, since: date, today: date, n: int) -> bool:
    """Whether a gap that began on `since` has lasted n school days before `today`."""
    limit = cutoff(days, today, n)
    return limit is not None and since < limit


def transfer_overdue(days: SchoolDays, requested_on: date, due_on: date | None, today: date, n: int) -> bool:
    """Whether a pending transfer is past its last school day (n after the request, receiving county's calendar).

    Without a calendar that can count it, the due day the request carried decides (None: not overdue).
    """
    if cutoff(days, today, n) is not None:
        return overdue(days, requested_on, today, n)
    return due_on is not None and due_on < today
