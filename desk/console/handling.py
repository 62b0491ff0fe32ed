"""An operator's handling of a call: confirm the caller, record why, return it or wrap it up.

Taking the call is desk/console/taking.py. Returning and wrapping up call Twilio only once
their intent is committed (the sequence is in desk/console/phone.py).
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from desk.console import purposes, signals
from desk.console.models import Handling, Purpose, WrapUp
from desk.console.phone import Caller, HangUp, PutBack
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.staff.models import Staff
from ivr import calls, line, rechecks
from ivr.models import FINISHED, Call, CallStatus, RecheckKind
from ivr.telephony import REST_TIMEOUT_SECONDS

# Longer than the REST calls of any one request (at most three, each up to the adapter's
# timeout): a mark older than this was left by a request that died before its outcome.
REST_CALLS_AT_MOST = timedelta(seconds=6 * REST_TIMEOUT_SECONDS)


class NotYourCall(Refused):
    """Refused because the call is not the operator's: its pages are closed to them."""


def open_handling(operator: Staff) -> Handling | None:
    """The call the operator holds now, if any."""
    return db.session.scalar(
        select(Handling).where(
            Handling.operator_id == operator.id, Handling.wrapped_up_at.is_(None)
        )
    )


def call_subjects(operator: Staff, call: Call) -> dict[str, Any]:
    """The audit columns a step of a mediated call is recorded against."""
    return {"call_id": call.id, "practitioner_id": call.practitioner_id, "operator_id": operator.id}


def audit_call(kind: Event, operator: Staff, call: Call, **data: object) -> None:
    """Audit a step of a mediated call against the call, its practitioner and its operator."""
    record(kind, **call_subjects(operator, call), data=dict(data))


def held_call(operator: Staff, public_id: str) -> Handling:
    """The operator's own open handling of this call, or NotYourCall."""
    handling = open_handling(operator)
    if handling is None or handling.call.public_id != public_id:
        raise NotYourCall("That call is not yours to work on.")
    return handling


def active_handling(operator: Staff, public_id: str, now: datetime) -> Handling:
    """The operator's own open handling of this call, ready for a step: not while the desk's
    REST calls to take or return it are in flight, whose outcome may yet undo it."""
    handling = held_call(operator, public_id)
    since = handling.rest_calls_since
    if since is not None and now - since < REST_CALLS_AT_MOST:
        raise Refused("The phone system is still busy with this call: try again in a moment.")
    return handling


def claimed(call_id: int, handling_id: int) -> tuple[Call, Handling | None]:
    """A claimed call, locked for the outcome of its REST calls, and its handling if it stands."""
    call = db.session.execute(select(Call).where(Call.id == call_id).with_for_update()).scalar_one()
    handling = db.session.get(Handling, handling_id)
    return call, handling if handling is not None and handling.is_open else None


def undo_claim(handling: Handling, call: Call, is_caller_gone: bool = False) -> None:
    """Take a claim back: no handling, and the call queued, or abandoned if the caller has gone."""
    db.session.delete(handling)
    if call.status == CallStatus.CONNECTED:
        call.status = CallStatus.ABANDONED if is_caller_gone else CallStatus.QUEUED
    elif call.status == CallStatus.COMPLETED:
        # Twilio said the caller's line ended while the claim stood: nobody is talking to them.
        call.status = CallStatus.ABANDONED


def confirm_identity(operator: Staff, handling: Handling, now: datetime) -> None:
    """Record that the operator confirmed who the caller is: on a call from a number not
    registered to the practitioner, only once the desk's call-back to one has verified them."""
    call = handling.call
    line.refuse_if_hung_up(call)
    is_called_back = rechecks.verified(call, RecheckKind.CALL_BACK) is not None
    if call.is_registered_number is False and not is_called_back:
        raise Refused(
            "This call is not from a number registered to the practitioner: call them back "
            "on a registered number before confirming who they are.",
            "is_called_back",
        )
    handling.identity_confirmed_at, handling.is_called_back = now, is_called_back
    audit_call(Event.CALL_IDENTITY_CONFIRMED, operator, call, is_called_back=is_called_back)


def record_purpose(
    operator: Staff, handling: Handling, purpose: Purpose, detail: str, now: datetime
) -> None:
    """Record why the caller needs the lookup; 'other' needs words."""
    if handling.identity_confirmed_at is None:
        raise Refused("Confirm the caller's identity first.")
    line.refuse_if_hung_up(handling.call)
    if handling.searches:
        # The purpose is what the searches were made for: it cannot be rewritten after them.
        raise Refused("The purpose cannot be changed once a search has been made.")
    detail = detail.strip()
    if purpose == Purpose.OTHER and not detail:
        raise Refused("Describe the purpose when it is 'Other'.", "detail")
    identifying = purposes.identifying_detail(detail)
    if identifying is not None:
        raise Refused(
            f"Describe the purpose without details that could identify a child: it contains "
            f"{identifying}. Say what the enquiry is for, not who it is about.",
            "detail",
        )
    handling.purpose = purpose.value
    handling.purpose_detail = detail or None
    handling.purpose_recorded_at = now
    audit_call(
        Event.CALL_PURPOSE_RECORDED, operator, handling.call, purpose=purpose.value, detail=detail
    )


def release(operator: Staff, handling: Handling, now: datetime) -> PutBack:
    """Begin giving a call back to the queue before anything was searched (e.g. the phone did
    not ring): the handling is marked, and the REST calls are left for after the commit."""
    if handling.searches:
        raise Refused("A call that has been searched for must be wrapped up, not returned.")
    handling.rest_calls_since = now
    return PutBack(
        handling_id=handling.id,
        call_id=handling.call_id,
        leg=calls.leg_for(handling.call),
        queue_url=calls.public_url("ivr.requeue"),
        operator_call_sid=handling.operator_call_sid,
    )


def finish_release(operator: Staff, work: PutBack, caller: Caller, now: datetime) -> str | None:
    """Record how returning the call went: queued, or still the operator's (their message)."""
    call, handling = claimed(work.call_id, work.handling_id)
    if handling is None:
        return None  # finished by another request after a mark had gone stale
    # Queued already: Twilio's requeue webhook came, so the caller is back whatever it answered.
    if caller is Caller.REQUEUED or call.status == CallStatus.QUEUED:
        undo_claim(handling, call)
        audit_call(Event.CALL_RELEASED, operator, call)
        return None
    handling.rest_calls_since = None
    gone = caller is Caller.GONE
    audit_call(
        Event.CALL_RELEASE_FAILED, operator, call, reason="caller_gone" if gone else "telephony"
    )
    if gone:
        return "The caller has hung up: wrap up the call."
    return "The phone system could not return the call; try again."


def wrap_up(operator: Staff, handling: Handling, code: WrapUp, note: str, now: datetime) -> HangUp:
    """End the operator's handling of a call with a wrap-up code; the legs to hang up after."""
    if code == WrapUp.OTHER and not note.strip():
        raise Refused("Add a note when the wrap-up is 'Other'.", "note")
    call = handling.call
    handling.wrap_up, handling.wrap_up_note = code.value, note.strip() or None
    handling.wrapped_up_at = now
    # A call-back still ringing or keying hears the desk has gone when it next asks.
    rechecks.end_for(call, "wrapped_up", now)
    legs: list[str] = []
    if call.status not in FINISHED:
        legs.append(call.sid)
        if handling.operator_call_sid:
            legs.append(handling.operator_call_sid)
        call.status = CallStatus.COMPLETED
    audit_call(
        Event.CALL_WRAPPED_UP, operator, call, code=code.value, searches=len(handling.searches)
    )
    signals.call_wrapped_up.send(None, handling=handling, now=now)
    return HangUp(tuple(legs))
