"""Subject access: from the audit log, who found or opened one child's record, when, and why."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, cast, select

from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.records.search import SearchMethod
from desk.staff.models import Staff
from verification.models import Practitioner

# The events that name a child's record; search.made names every child it matched.
KINDS = (
    Event.SEARCH_MADE,
    Event.RECORD_OPENED,
    Event.RECORD_READ_BACK,
    Event.RECORD_BROKERED_CONTACT_REQUESTED,
    Event.BROKERED_RECORD_VIEWED,
    Event.SHIELD_ADDED,
    Event.SHIELD_UNSHIELD_REQUESTED,
    Event.SHIELD_LIFTED,
)
OFFICERS_WHAT = {
    Event.BROKERED_RECORD_VIEWED: "whole record seen by a local authority officer (brokering)",
    Event.SHIELD_ADDED: "shielded by a local authority officer",
    Event.SHIELD_UNSHIELD_REQUESTED: "lifting the shield asked for by a local authority officer",
    Event.SHIELD_LIFTED: "shield lifted by a second local authority officer",
}


@dataclass
class Use:
    """One use of the record: when, and what was done with it (how many times, if shown again)."""

    at: datetime
    what: str
    times: int = 1


@dataclass
class CallAbout:
    """A call in which the child's record was matched or opened."""

    call_id: int | None
    practitioner: Practitioner | None = None
    practitioner_id: str | None = None
    operators: list[Staff] = field(default_factory=list)
    # Local authority officers who saw the whole record or shielded it (their own log column).
    officers: list[Staff] = field(default_factory=list)
    purpose: str = ""
    purpose_detail: str = ""
    uses: list[Use] = field(default_factory=list)


def _names(event: AuditEvent, number: str) -> bool:
    if event.kind == Event.SEARCH_MADE:
        return number in (event.data.get("matched") or ())
    return event.data.get("contactpoint_id") == number


def _what(event: AuditEvent) -> str:
    if event.kind == Event.SEARCH_MADE:
        form = SearchMethod.label_of(event.data.get("form"), str(event.data.get("form")))
        return f"matched by a search on {form}"
    if event.kind == Event.RECORD_OPENED:
        return "record opened"
    if event.kind == Event.RECORD_READ_BACK:
        return f"read back to the caller: {str(event.data.get('category', '')).replace('_', ' ')}"
    if event.kind in OFFICERS_WHAT:
        return OFFICERS_WHAT[Event(event.kind)]
    return "brokered contact requested from the local authority team"


def uses_of(number: str) -> list[AuditEvent]:
    """Every audit event that names the child's record, in order."""
    # The JSON is searched as text to narrow the rows on any database; each is then checked.
    candidates = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind.in_(KINDS), cast(AuditEvent.data, String).contains(number))
        .order_by(AuditEvent.id)
    )
    return [event for event in candidates if _names(event, number)]


def calls_about(number: str) -> list[CallAbout]:
    """The calls in which the child's record was matched or opened, each with who and why."""
    uses = uses_of(number)
    calls: dict[int | None, CallAbout] = {}
    for event in uses:
        about = calls.setdefault(event.call_id, CallAbout(event.call_id))
        about.practitioner_id = about.practitioner_id or event.practitioner_id
        opened = next((u for u in about.uses if u.what == "record opened"), None)
        if event.kind == Event.RECORD_OPENED and opened is not None:
            # The console audits the record each time it shows it: one line says how often.
            opened.times += 1
        else:
            about.uses.append(Use(event.occurred_at, _what(event)))
        _add_staff(about.operators, event.operator_id)
        if event.kind in OFFICERS_WHAT:
            _add_staff(about.officers, event.supervisor_id)
    _add_purposes(calls.values())
    for about in calls.values():
        if about.practitioner_id:
            about.practitioner = db.session.get(Practitioner, about.practitioner_id)
    return list(calls.values())


def _add_staff(staff: list[Staff], staff_id: int | None) -> None:
    if staff_id and all(s.id != staff_id for s in staff):
        found = db.session.get(Staff, staff_id)
        if found is not None:
            staff.append(found)


def subject_access(number: str, by: str, staff_id: int | None = None) -> list[CallAbout]:
    """Answer a subject access request for one ContactPoint number, and audit that it was
    (how many calls and uses it found, and who asked), whichever way it was asked."""
    calls = calls_about(number)
    record(
        Event.AUDIT_SUBJECT_ACCESS,
        supervisor_id=staff_id,
        data={
            "contactpoint_id": number,
            "calls": len(calls),
            "uses": sum(len(about.uses) for about in calls),
            "by": by,
        },
    )
    return calls


def _add_purposes(calls: Iterable[CallAbout]) -> None:
    by_id = {about.call_id: about for about in calls if about.call_id is not None}
    for event in db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind == Event.CALL_PURPOSE_RECORDED, AuditEvent.call_id.in_(by_id))
        .order_by(AuditEvent.id)
    ):
        about = by_id[event.call_id or 0]
        about.purpose = str(event.data.get("purpose") or "")
        about.purpose_detail = str(event.data.get("detail") or "")
