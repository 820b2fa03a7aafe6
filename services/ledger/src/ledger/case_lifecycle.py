"""Cases follow events: a confirmed dropout opens one, presence marks it seen, leaving again reopens it."""

from __future__ import annotations

from baoxue_common.consumer import EventHandlers

HANDLERS: EventHandlers = {}
