"""What happened on a mediated call, read from its audit trail: times and counts, no child."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from desk.console.models import Handling
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.records.models import Child
from ivr.models import Call


@dataclass(frozen=True)
class CallFacts:
    """One mediated call as counts and times; nothing in it says who any child is."""

    call_id: int
    practitioner_id: str | None
    operator_ids: tuple[int, ...]  # everyone who took it: a call returned to the queue has two
    started_at: datetime
    taken_at: datetime | None
    wrapped_up_at: datetime | None
    waited_seconds: int | None
    duration_seconds: int | None
    failed_verifications: int
    is_registered_number: bool | None
    is_called_back: bool
    purpose: str | None
    purpose_detail: str | None
    outcome: str | None
    searches: int
    searches_refused: int
    matches: int
    records_opened: int
    read_backs: int
    brokered_requests: int
    is_shielded_matched: bool
    is_shielded_opened: bool
    practitioner_calls_today: int

    @property
    def handle_seconds(self) -> int | None:
        """From taking the call to wrapping it up."""
        if self.taken_at is None or self.wrapped_up_at is None:
            return None
        return int((self.wrapped_up_at - self.taken_at).total_seconds())


def matched_numbers(events: Iterable[AuditEvent]) -> set[str]:
    """The ContactPoint numbers a call's searches and records named: for lookups, never shown."""
    numbers: set[str] = set()
    for event in events:
        if event.kind == Event.SEARCH_MADE:
            numbers.update(event.data.get("matched") or ())
        elif event.data.get("contactpoint_id"):
            numbers.add(event.data["contactpoint_id"])
    return numbers


def from_events(
    call: Call,
    handling: Handling | None,
    events: Sequence[AuditEvent],
    *,
    shielded_numbers: frozenset[str] = frozenset(),
    practitioner_calls_today: int = 0,
) -> CallFacts:
    """The facts of one call from its audit events (in order) and its call and handling rows."""
    kinds: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        kinds[event.kind].append(event)
    taken = kinds[Event.CALL_TAKEN]
    ended = kinds[Event.CALL_ENDED]
    made = kinds[Event.SEARCH_MADE]
    opened = {e.data.get("contactpoint_id") for e in kinds[Event.RECORD_OPENED]}
    matched = matched_numbers(made)
    duration = ended[-1].data.get("duration_seconds") if ended else call.duration_seconds
    return CallFacts(
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        operator_ids=tuple(dict.fromkeys(e.operator_id for e in taken if e.operator_id)),
        started_at=call.started_at,
        taken_at=handling.taken_at if handling else None,
        wrapped_up_at=handling.wrapped_up_at if handling else None,
        waited_seconds=taken[-1].data.get("waited_seconds") if taken else None,
        duration_seconds=duration,
        failed_verifications=len(kinds[Event.VERIFICATION_FAILED]),
        is_registered_number=call.is_registered_number,
        is_called_back=bool(handling and handling.is_called_back),
        purpose=handling.purpose if handling else None,
        purpose_detail=handling.purpose_detail if handling else None,
        outcome=handling.wrap_up if handling else None,
        searches=len(made),
        searches_refused=len(kinds[Event.SEARCH_REFUSED]),
        matches=sum(len(e.data.get("matched") or ()) for e in made),
        records_opened=len(opened - {None}),
        read_backs=len(kinds[Event.RECORD_READ_BACK]),
        brokered_requests=len(kinds[Event.RECORD_BROKERED_CONTACT_REQUESTED]),
        is_shielded_matched=bool(matched & shielded_numbers),
        is_shielded_opened=any(e.data.get("is_shielded") for e in kinds[Event.RECORD_OPENED]),
        practitioner_calls_today=practitioner_calls_today,
    )


def events_of(call_ids: Sequence[int]) -> dict[int, list[AuditEvent]]:
    """The audit events of these calls, in the order they happened, by call."""
    found: dict[int, list[AuditEvent]] = {call_id: [] for call_id in call_ids}
    if call_ids:
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.call_id.in_(call_ids)).order_by(AuditEvent.id)
        ):
            found[event.call_id or 0].append(event)
    return found


def shielded_among(numbers: set[str]) -> frozenset[str]:
    """Which of these ContactPoint numbers belong to shielded children still in the index."""
    if not numbers:
        return frozenset()
    return frozenset(
        db.session.scalars(
            select(Child.contactpoint_id).where(
                Child.contactpoint_id.in_(numbers), Child.is_shielded.is_(True)
            )
        )
    )


def calls_that_day(call: Call, zone: str) -> int:
    """The practitioner's calls to the desk on the call's local day, up to and including it."""
    if call.practitioner_id is None:
        return 0
    local = call.started_at.astimezone(ZoneInfo(zone))
    midnight = datetime.combine(local.date(), time(), ZoneInfo(zone))
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Call)
            .where(
                Call.practitioner_id == call.practitioner_id,
                Call.started_at >= midnight,
                Call.started_at <= call.started_at,
            )
        )
        or 0
    )


def gather(
    pairs: Sequence[tuple[Call, Handling | None]], zone: str, *, count_calls_that_day: bool = True
) -> dict[int, CallFacts]:
    """The facts of several calls, reading their audit events in one query.

    Counting each practitioner's calls that day takes a query a call: reports skip it.
    """
    events = events_of([call.id for call, _ in pairs])
    numbers: set[str] = set()
    for call_events in events.values():
        numbers |= matched_numbers(call_events)
    shielded = shielded_among(numbers)
    return {
        call.id: from_events(
            call,
            handling,
            events[call.id],
            shielded_numbers=shielded,
            practitioner_calls_today=calls_that_day(call, zone) if count_calls_that_day else 0,
        )
        for call, handling in pairs
    }
