"""Why a mediated call needs a supervisor's look: every rule, named, in this one module.

Each rule reads a call's facts (desk/review/facts.py) and the thresholds configured in
desk/core/config.py, and says in words what it saw, or None.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from desk.console.models import Purpose
from desk.core import hours
from desk.review.facts import CallFacts


@dataclass(frozen=True)
class Thresholds:
    """The configured limits beyond which a call is flagged."""

    searches: int
    records: int
    long_call_minutes: int
    calls_per_day: int
    usual_hours: hours.Hours | None  # None: any hour is usual
    timezone: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Thresholds":
        """The thresholds as the desk is configured (DESK_FLAG_*)."""
        spec = config["DESK_FLAG_USUAL_HOURS"] or config["DESK_OPENING_HOURS"]
        return cls(
            searches=config["DESK_FLAG_SEARCHES"],
            records=config["DESK_FLAG_RECORDS"],
            long_call_minutes=config["DESK_FLAG_LONG_CALL_MINUTES"],
            calls_per_day=config["DESK_FLAG_CALLS_PER_DAY"],
            usual_hours=hours.parse(spec),
            timezone=config["DESK_TIMEZONE"],
        )


Check = Callable[[CallFacts, Thresholds], str | None]


@dataclass(frozen=True)
class Rule:
    """A named reason to look at a call."""

    name: str
    label: str
    check: Check


def _plural(count: int, noun: str, plural: str = "") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def shielded_record(facts: CallFacts, limits: Thresholds) -> str | None:
    if facts.is_shielded_opened:
        return "A shielded record was opened."
    if facts.is_shielded_matched:
        return "A search matched a shielded record."
    return None


def many_searches(facts: CallFacts, limits: Thresholds) -> str | None:
    tried = facts.searches + facts.searches_refused
    if tried <= limits.searches:
        return None
    refused = f", {facts.searches_refused} refused" if facts.searches_refused else ""
    return f"{_plural(tried, 'search', 'searches')}{refused} (flagged above {limits.searches})."


def many_records(facts: CallFacts, limits: Thresholds) -> str | None:
    if facts.records_opened <= limits.records:
        return None
    opened = _plural(facts.records_opened, "record")
    return f"{opened} opened (flagged above {limits.records})."


def unregistered_number(facts: CallFacts, limits: Thresholds) -> str | None:
    if facts.is_registered_number is not False:
        return None
    called_back = "; the operator called back" if facts.is_called_back else ""
    return f"Called from a number not registered to the practitioner{called_back}."


def failed_verification(facts: CallFacts, limits: Thresholds) -> str | None:
    if not facts.failed_verifications:
        return None
    failed = _plural(facts.failed_verifications, "failed keypad attempt")
    return f"{failed} before the caller was verified."


def out_of_hours(facts: CallFacts, limits: Thresholds) -> str | None:
    if facts.taken_at is None or hours.is_open(limits.usual_hours, facts.taken_at, limits.timezone):
        return None
    local = facts.taken_at.astimezone(ZoneInfo(limits.timezone))
    return f"Taken at {local:%H:%M} on a {local:%A}, outside usual hours."


def long_call(facts: CallFacts, limits: Thresholds) -> str | None:
    held = facts.handle_seconds
    if held is None or held <= limits.long_call_minutes * 60:
        return None
    return f"Held for {held // 60} minutes (flagged above {limits.long_call_minutes})."


def frequent_caller(facts: CallFacts, limits: Thresholds) -> str | None:
    count = facts.practitioner_calls_today
    if count <= limits.calls_per_day:
        return None
    most = limits.calls_per_day
    return f"The practitioner's {_ordinal(count)} call that day (flagged above {most})."


def purpose_other(facts: CallFacts, limits: Thresholds) -> str | None:
    if facts.purpose != Purpose.OTHER:
        return None
    return "The purpose was recorded as 'Other'."


RULES = (
    Rule("shielded_record", "Shielded record", shielded_record),
    Rule("many_searches", "Many searches", many_searches),
    Rule("many_records", "Many records", many_records),
    Rule("unregistered_number", "Unregistered number", unregistered_number),
    Rule("failed_verification", "Failed verification", failed_verification),
    Rule("out_of_hours", "Out of hours", out_of_hours),
    Rule("long_call", "Long call", long_call),
    Rule("frequent_caller", "Frequent caller", frequent_caller),
    Rule("purpose_other", "Purpose: other", purpose_other),
)
LABELS = {rule.name: rule.label for rule in RULES}


@dataclass(frozen=True)
class Raised:
    """A rule that flagged a call, and what it saw."""

    rule: str
    detail: str

    @property
    def label(self) -> str:
        return LABELS.get(self.rule, self.rule)


def flags_for(facts: CallFacts, limits: Thresholds) -> list[Raised]:
    """Every rule that flags this call, in the order of RULES."""
    raised = ((rule.name, rule.check(facts, limits)) for rule in RULES)
    return [Raised(name, detail) for name, detail in raised if detail]
