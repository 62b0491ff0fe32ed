"""Opening hours, written as `Mon-Fri 08:00-18:00; Sat 09:00-13:00` in the desk's time zone."""

import re
from collections.abc import Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE = re.compile(
    r"(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<opens>\d{2}:\d{2})-(?P<closes>\d{2}:\d{2})"
)

Hours = Mapping[int, tuple[tuple[time, time], ...]]


def parse(spec: str) -> Hours | None:
    """Weekday (Monday 0) to opening periods; None for an empty spec, meaning always open."""
    if not spec.strip():
        return None
    hours: dict[int, list[tuple[time, time]]] = {}
    for rule in filter(None, (part.strip().lower() for part in spec.split(";"))):
        match = RULE.fullmatch(rule)
        if match is None or not {match["first"], match["last"] or match["first"]} <= set(DAYS):
            raise ValueError(f"opening hours: cannot read {rule!r} (e.g. 'Mon-Fri 08:00-18:00')")
        first = DAYS.index(match["first"])
        last = DAYS.index(match["last"] or match["first"])
        opens, closes = time.fromisoformat(match["opens"]), time.fromisoformat(match["closes"])
        if last < first or closes <= opens:
            raise ValueError(f"opening hours: {rule!r} ends before it starts")
        for day in range(first, last + 1):
            hours.setdefault(day, []).append((opens, closes))
    return {day: tuple(periods) for day, periods in hours.items()}


def is_open(hours: Hours | None, at: datetime, zone: str) -> bool:
    """Whether the desk is open at a moment."""
    if hours is None:
        return True
    local = at.astimezone(ZoneInfo(zone))
    now = local.time()
    return any(opens <= now < closes for opens, closes in hours.get(local.weekday(), ()))
