"""Brokered contact, worked to its end by an officer of the child's authority.

A request an operator raised (desk.console.lookup) waits on the workbench of the child's
authority, oldest first, due a configured number of working days after it was made. An officer
claims it, reads who asked and why and the child's whole record (each view audited), logs
contact attempts and the details passed on, and closes it with an outcome and a note. The
practitioner is then told the outcome by SMS: a reference and the outcome, never the child.
Every step is audited against the officer, the request and the call it came from, so the
supervisors' timeline of that call shows what came of it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import select, update

from desk.authority.scope import OutOfScope, audit, in_scope
from desk.console.models import (
    BROKERED_OUTCOME_LABELS,
    PURPOSE_LABELS,
    BrokeredOutcome,
    BrokeredRequest,
    BrokeredStep,
    Handling,
    Match,
    Purpose,
    Search,
    StepKind,
)
from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.records.disclosure import Disclosure, RecordArchived, whole_record
from desk.records.models import Child
from desk.staff.models import Staff
from ivr.models import Call
from ivr.telephony import TelephonyError, telephony
from verification.models import Practitioner

WORKDAYS = range(5)  # Monday to Friday


def due_at(requested_at: datetime, working_days: int, zone: str) -> datetime:
    """When a request made at `requested_at` is due: that many working days later, at the same
    time of day (a request made at the weekend counts from the Monday)."""
    local = requested_at.astimezone(ZoneInfo(zone))
    while local.weekday() not in WORKDAYS:
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(working_days):
        local += timedelta(days=1)
        while local.weekday() not in WORKDAYS:
            local += timedelta(days=1)
    return local


@dataclass(frozen=True)
class Waiting:
    """A request on the workbench, with when it is due."""

    request: BrokeredRequest
    due: datetime
    is_overdue: bool
    claimed_by: Staff | None


def workbench(officer: Staff, now: datetime, working_days: int, zone: str) -> list[Waiting]:
    """The open requests for the officer's authorities' children, oldest first."""
    requests = db.session.scalars(
        select(BrokeredRequest)
        .where(
            BrokeredRequest.local_authority.in_(sorted(officer.authorities)),
            BrokeredRequest.closed_at.is_(None),
        )
        .order_by(BrokeredRequest.requested_at, BrokeredRequest.id)
    )
    waiting = []
    for request in requests:
        due = due_at(request.requested_at, working_days, zone)
        claimer = db.session.get(Staff, request.claimed_by_id) if request.claimed_by_id else None
        waiting.append(Waiting(request, due, now > due, claimer))
    return waiting


@dataclass(frozen=True)
class Worked:
    """Everything an officer working a request is shown."""

    request: BrokeredRequest
    call: Call
    practitioner: Practitioner | None
    purpose: str
    purpose_detail: str | None
    child: Child | None
    record: Disclosure | None
    claimed_by: Staff | None
    steps: list[tuple[BrokeredStep, Staff | None]]


def _origin(request: BrokeredRequest) -> tuple[Call, Handling]:
    handling = db.session.scalars(
        select(Handling)
        .join(Search, Search.handling_id == Handling.id)
        .join(Match, Match.search_id == Search.id)
        .where(Match.id == request.match_id)
    ).one()
    return handling.call, handling


def request_in_scope(officer: Staff, request_id: int) -> BrokeredRequest:
    """The request, if it is for a child of the officer's authorities; else OutOfScope."""
    request = db.session.get(BrokeredRequest, request_id)
    if request is None or not in_scope(officer, request.local_authority):
        raise OutOfScope("no such request in your authorities")
    return request


def worked(officer: Staff, request: BrokeredRequest) -> Worked:
    """The request as its page shows it; the view of the child's record is audited."""
    call, handling = _origin(request)
    child = db.session.get(Child, request.match.child_id) if request.match.child_id else None
    record: Disclosure | None = None
    if child is not None and in_scope(officer, child.local_authority):
        try:
            record = whole_record(child)
        except RecordArchived:
            record = None
    audit(
        Event.BROKERED_RECORD_VIEWED,
        officer,
        call,
        request=request.reference,
        contactpoint_id=child.contactpoint_id if record is not None and child else None,
        is_shielded=bool(child and child.is_shielded),
    )
    purpose = handling.purpose or ""
    steps = [(step, db.session.get(Staff, step.officer_id)) for step in request.steps]
    return Worked(
        request=request,
        call=call,
        practitioner=call.practitioner,
        purpose=PURPOSE_LABELS.get(Purpose(purpose), purpose) if purpose in set(Purpose) else "",
        purpose_detail=handling.purpose_detail,
        child=child if record is not None else None,
        record=record,
        claimed_by=db.session.get(Staff, request.claimed_by_id) if request.claimed_by_id else None,
        steps=steps,
    )


def claim(officer: Staff, request: BrokeredRequest, now: datetime) -> None:
    """Take the request on; refused if another officer has, or it is closed."""
    if request.is_closed:
        raise Refused("That request is closed.")
    # One UPDATE that only an unclaimed row matches: of two officers claiming at once, one wins.
    claimed = db.session.execute(
        update(BrokeredRequest)
        .where(BrokeredRequest.id == request.id, BrokeredRequest.claimed_by_id.is_(None))
        .values(claimed_by_id=officer.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(request)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        if request.claimed_by_id == officer.id:
            return
        raise Refused("Another officer has claimed that request.")
    audit(Event.BROKERED_CLAIMED, officer, _origin(request)[0], request=request.reference)


def _held(officer: Staff, request: BrokeredRequest) -> None:
    if request.is_closed:
        raise Refused("That request is closed.")
    if request.claimed_by_id != officer.id:
        raise Refused("Claim the request before working on it.")


def log_step(
    officer: Staff, request: BrokeredRequest, kind: StepKind, note: str, now: datetime
) -> None:
    """Note a contact attempt, or details passed on one way or the other."""
    _held(officer, request)
    note = note.strip()
    if kind is StepKind.ATTEMPT and not note:
        raise Refused("Say who you tried to reach and how it went.", field="note")
    request.steps.append(
        BrokeredStep(officer_id=officer.id, kind=kind.value, note=note or None, at=now)
    )
    audit(
        Event.BROKERED_STEP_LOGGED,
        officer,
        _origin(request)[0],
        request=request.reference,
        step=kind.value,
    )


def close(
    officer: Staff, request: BrokeredRequest, outcome: BrokeredOutcome, note: str, now: datetime
) -> None:
    """Close the request with its outcome; the practitioner is told next (`notify`)."""
    _held(officer, request)
    if not note.strip():
        raise Refused("Add a note saying what was done.", field="outcome_note")
    request.outcome, request.outcome_note = outcome.value, note.strip()
    request.closed_at = now
    audit(
        Event.BROKERED_CLOSED,
        officer,
        _origin(request)[0],
        request=request.reference,
        outcome=outcome.value,
    )


def sms_text(request: BrokeredRequest) -> str:
    """What the practitioner is sent: the reference and the outcome, never the child."""
    outcome = BROKERED_OUTCOME_LABELS[BrokeredOutcome(request.outcome or "")]
    return (
        f"ContactPoint desk: your brokered contact request {request.reference} is closed. "
        f"Outcome: {outcome}. Please do not reply; phone the desk quoting {request.reference} "
        "if you need to."
    )


def mobile_of(practitioner: Practitioner | None) -> str | None:
    """The practitioner's first registered mobile number, if they have one."""
    for phone in practitioner.phones if practitioner else ():
        parsed = phonenumbers.parse(phone.number)
        kind = phonenumbers.number_type(parsed)
        national = str(parsed.national_number)
        # UK mobiles are 07[1-57-9]…: 070 is personal numbering and 076 pagers. Ofcom's drama
        # range (07700 900…) is one phonenumbers does not classify.
        is_uk_mobile = parsed.country_code == 44 and national[:2] in {
            "71",
            "72",
            "73",
            "74",
            "75",
            "77",
            "78",
            "79",
        }
        if kind is phonenumbers.PhoneNumberType.MOBILE or is_uk_mobile:
            return phone.number
    return None


def notify(officer: Staff, request: BrokeredRequest) -> str:
    """Text the practitioner the outcome of a closed request (after the close is committed,
    so a slow or failing Twilio never holds it open); what became of the message."""
    call, _ = _origin(request)
    number = mobile_of(call.practitioner)
    if number is None:
        request.sms_status = "no_mobile"
        audit(
            Event.BROKERED_SMS_FAILED,
            officer,
            call,
            request=request.reference,
            reason="no_mobile",
        )
        return request.sms_status
    try:
        sid = telephony().send_sms(number, sms_text(request))
    except TelephonyError as error:
        request.sms_status = "failed"
        audit(
            Event.BROKERED_SMS_FAILED,
            officer,
            call,
            request=request.reference,
            reason=str(error),
        )
        return request.sms_status
    request.sms_status = "sent"
    audit(
        Event.BROKERED_SMS_SENT,
        officer,
        call,
        request=request.reference,
        outcome=request.outcome,
        sid=sid,
    )
    return request.sms_status
