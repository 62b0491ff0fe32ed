"""An operator's handling of a call: take it, confirm the caller, record why, wrap it up."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desk.console import purposes, signals
from desk.console.models import Handling, Purpose, WrapUp
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.staff.models import Staff
from ivr import calls
from ivr.models import FINISHED, Call, CallStatus
from ivr.telephony import CallerGone, Leg, TelephonyError, telephony


def open_handling(operator: Staff) -> Handling | None:
    """The call the operator holds now, if any."""
    return db.session.scalar(
        select(Handling).where(
            Handling.operator_id == operator.id, Handling.wrapped_up_at.is_(None)
        )
    )


def audit_call(kind: Event, operator: Staff, call: Call, **data: object) -> None:
    """Audit a step of a mediated call against the call, its practitioner and its operator."""
    record(
        kind,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        operator_id=operator.id,
        data=dict(data),
    )


def take_call(operator: Staff, public_id: str, now: datetime) -> Handling:
    """Take a waiting call: claim it, move the caller into its conference, ring the operator.

    Raises Refused with a message for the operator; the caller then stays in the queue
    (or, if they hung up, the call is marked abandoned by `note_caller_gone`).
    """
    if open_handling(operator) is not None:
        raise Refused("Wrap up your current call before taking another.")
    if not operator.phone_leg:
        raise Refused("Your phone is not set up: ask an administrator to add it to your account.")
    # SKIP LOCKED: an operator racing another for the same call is told at once, not kept waiting.
    call = db.session.scalar(
        select(Call)
        .where(Call.public_id == public_id, Call.status == CallStatus.QUEUED)
        .with_for_update(skip_locked=True)
    )
    if call is None:
        raise Refused("That call has been taken by another operator, or the caller has left.")
    handling = Handling(call=call, operator_id=operator.id, taken_at=now)
    try:
        with db.session.begin_nested():
            call.status = CallStatus.CONNECTED
            db.session.add(handling)
    except IntegrityError as error:
        # Where rows cannot be locked (SQLite), the unique call on handlings decides the race.
        raise Refused("That call has been taken by another operator.") from error

    adapter, leg = telephony(), calls.leg_for(call)
    adapter.connect_caller(leg)
    try:
        handling.operator_call_sid = adapter.dial_operator(leg, operator.phone_leg)
    except TelephonyError:
        _put_back(leg)
        raise
    audit_call(Event.CALL_TAKEN, operator, call, waited_seconds=_waited(call, now))
    return handling


def _put_back(leg: Leg) -> None:
    try:
        telephony().requeue_caller(leg, calls.public_url("ivr.requeue"))
    except TelephonyError:
        current_app.logger.exception("Could not put caller back in the queue after a failed take")


def _waited(call: Call, now: datetime) -> int | None:
    return int((now - call.queued_at).total_seconds()) if call.queued_at else None


def note_failed_take(operator: Staff, public_id: str, error: TelephonyError) -> str:
    """Audit a take that Twilio refused, after it was rolled back; the operator's message."""
    call = calls.by_public_id(public_id)
    if call is None:
        return "That call is no longer waiting."
    gone = isinstance(error, CallerGone)
    if gone and call.status == CallStatus.QUEUED:
        call.status = CallStatus.ABANDONED
    audit_call(
        Event.CALL_TAKE_FAILED, operator, call, reason="caller_gone" if gone else "telephony"
    )
    if gone:
        return "The caller has hung up, so the call could not be connected."
    return "The phone system could not connect the call; it is still in the queue. Try again."


def active_handling(operator: Staff, public_id: str) -> Handling:
    """The operator's own open handling of this call, or Refused."""
    handling = open_handling(operator)
    if handling is None or handling.call.public_id != public_id:
        raise Refused("That call is not yours to work on.")
    return handling


def confirm_identity(
    operator: Staff, handling: Handling, is_called_back: bool, now: datetime
) -> None:
    """Record that the operator confirmed who the caller is (after a call-back if needed)."""
    call = handling.call
    if call.is_registered_number is False and not is_called_back:
        raise Refused(
            "This call is not from a number registered to the practitioner: call them back "
            "on a registered number before confirming who they are."
        )
    handling.identity_confirmed_at, handling.is_called_back = now, is_called_back
    audit_call(Event.CALL_IDENTITY_CONFIRMED, operator, call, is_called_back=is_called_back)


def record_purpose(
    operator: Staff, handling: Handling, purpose: Purpose, detail: str, now: datetime
) -> None:
    """Record why the caller needs the lookup; 'other' needs words."""
    if handling.identity_confirmed_at is None:
        raise Refused("Confirm the caller's identity first.")
    if handling.searches:
        # The purpose is what the searches were made for: it cannot be rewritten after them.
        raise Refused("The purpose cannot be changed once a search has been made.")
    detail = detail.strip()
    if purpose == Purpose.OTHER and not detail:
        raise Refused("Describe the purpose when it is 'Other'.")
    identifying = purposes.identifying_detail(detail)
    if identifying is not None:
        raise Refused(
            f"Describe the purpose without details that could identify a child: it contains "
            f"{identifying}. Say what the enquiry is for, not who it is about."
        )
    handling.purpose = purpose.value
    handling.purpose_detail = detail or None
    handling.purpose_recorded_at = now
    audit_call(
        Event.CALL_PURPOSE_RECORDED, operator, handling.call, purpose=purpose.value, detail=detail
    )


def release(operator: Staff, handling: Handling, now: datetime) -> None:
    """Give a call back to the queue before anything was searched (e.g. the phone did not ring)."""
    if handling.searches:
        raise Refused("A call that has been searched for must be wrapped up, not returned.")
    call = handling.call
    leg = calls.leg_for(call)
    telephony().requeue_caller(leg, calls.public_url("ivr.requeue"))
    if handling.operator_call_sid:
        _hang_up(handling.operator_call_sid)
    call.status = CallStatus.QUEUED
    audit_call(Event.CALL_RELEASED, operator, call)
    db.session.delete(handling)


def wrap_up(operator: Staff, handling: Handling, code: WrapUp, note: str, now: datetime) -> None:
    """End the operator's handling of a call with a wrap-up code, and both legs with it."""
    if code == WrapUp.OTHER and not note.strip():
        raise Refused("Add a note when the wrap-up is 'Other'.")
    call = handling.call
    handling.wrap_up, handling.wrap_up_note = code.value, note.strip() or None
    handling.wrapped_up_at = now
    if call.status not in FINISHED:
        _hang_up(call.sid)
        if handling.operator_call_sid:
            _hang_up(handling.operator_call_sid)
        call.status = CallStatus.COMPLETED
    audit_call(
        Event.CALL_WRAPPED_UP, operator, call, code=code.value, searches=len(handling.searches)
    )
    signals.call_wrapped_up.send(None, handling=handling, now=now)


def _hang_up(call_sid: str) -> None:
    # The legs may already have ended; a refusal here must not stop the wrap-up.
    try:
        telephony().hang_up(call_sid)
    except TelephonyError:
        current_app.logger.info("A leg was already gone at wrap-up")
