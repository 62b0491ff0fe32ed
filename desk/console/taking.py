"""Taking a call: claim it (committed), connect it after the commit, then record how it went.

The REST calls in between are desk/console/phone.py `Connect`; the whole sequence is there.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desk.console import rechecking, states
from desk.console.handling import audit_call, claimed, open_handling, undo_claim
from desk.console.models import Handling
from desk.console.phone import Caller, Connect, Connection
from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.staff.models import Staff
from ivr import calls, line
from ivr.models import Call, CallStatus

# What the desk did about a take that failed, by where the REST calls left the caller.
COMPENSATIONS = {
    Caller.GONE: "marked_abandoned",
    Caller.IN_QUEUE: "left_in_queue",
    Caller.REQUEUED: "requeued",
    Caller.ALONE: "kept_by_operator",
}
NOT_CONNECTED = "The phone system could not connect the call; it is still in the queue. Try again."


def take_call(operator: Staff, public_id: str, now: datetime) -> Connect:
    """Claim a waiting call for the operator, audited; the REST calls to make once committed.

    Raises Refused with a message for the operator; the caller then stays in the queue.
    """
    if open_handling(operator) is not None:
        raise Refused("Wrap up your current call before taking another.")
    target = operator.dial_target
    if not target:
        raise Refused("Your phone is not set up: ask an administrator to add it to your account.")
    # SKIP LOCKED: an operator racing another for the same call is told at once, not kept waiting.
    call = db.session.scalar(
        select(Call)
        .where(Call.public_id == public_id, Call.status == CallStatus.QUEUED)
        .with_for_update(skip_locked=True)
    )
    if call is None:
        raise Refused("That call has been taken by another operator, or the caller has left.")
    # Marked: the call's steps wait until the outcome is recorded (handling.active_handling).
    handling = Handling(call=call, operator_id=operator.id, taken_at=now, rest_calls_since=now)
    try:
        with db.session.begin_nested():
            call.status = CallStatus.CONNECTED
            line.reset_operator_leg(call)
            db.session.add(handling)
    except IntegrityError as error:
        # Where rows cannot be locked (SQLite), the unique call on handlings decides the race.
        raise Refused("That call has been taken by another operator.") from error
    audit_call(Event.CALL_TAKEN, operator, call, waited_seconds=_waited(call, now))
    ring = None
    if call.is_callback_requested and call.caller_number:
        ring = rechecking.ring_back(operator, call, call.caller_number, now)
    return Connect(
        handling_id=handling.id,
        call_id=call.id,
        leg=calls.leg_for(call),
        operator_leg=target,
        queue_url=calls.public_url("ivr.requeue"),
        ring=ring,
    )


def take_next(operator: Staff, now: datetime) -> Connect:
    """Claim the longest-waiting caller for an available operator, as `take_call` does.

    SKIP LOCKED again: operators taking next at the same moment each get a different caller.
    """
    states.may_take_next(operator, now)
    if open_handling(operator) is not None:
        raise Refused("Wrap up your current call before taking another.")
    head = db.session.scalar(
        select(Call.public_id)
        .where(Call.status == CallStatus.QUEUED, Call.practitioner_id.is_not(None))
        .order_by(Call.queued_at, Call.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if head is None:
        raise Refused("No one is waiting.")
    return take_call(operator, head, now)


def _waited(call: Call, now: datetime) -> int | None:
    return int((now - call.queued_at).total_seconds()) if call.queued_at else None


def finish_take(
    operator: Staff, work: Connect, connection: Connection, now: datetime
) -> str | None:
    """Record how connecting the claimed call went; the operator's message if it did not.

    Connected: the operator's leg is kept. Otherwise `call.take_failed` says what failed and
    what was done: the claim undone (the call abandoned or queued again), or, with the caller
    alone in the call's conference, kept by the operator to return or wrap up.
    """
    call, handling = claimed(work.call_id, work.handling_id)
    if handling is None:
        return "That call is no longer waiting."  # finished by another request meanwhile
    handling.rest_calls_since = None
    if connection.caller is Caller.WITH_OPERATOR:
        handling.operator_call_sid = connection.operator_call_sid
        if work.ring is not None:
            # A queued callback: the operator is rung; the practitioner is being called back.
            return rechecking.finish_call_back(work.ring, connection.call_back_sid, now)
        return None
    gone = connection.caller is Caller.GONE
    if work.ring is not None:
        rechecking.finish_call_back(work.ring, None, now)
    if connection.caller is not Caller.ALONE:
        undo_claim(handling, call, is_caller_gone=gone)
    audit_call(
        Event.CALL_TAKE_FAILED,
        operator,
        call,
        reason="caller_gone" if gone else "telephony",
        refused=connection.refused,
        compensation=COMPENSATIONS[connection.caller],
    )
    if gone:
        return "The caller has hung up, so the call could not be connected."
    if connection.caller is Caller.ALONE:
        return (
            "Your phone could not be rung, and the caller could not be put back in the queue: "
            "return the call to the queue to try again, or wrap it up."
        )
    return NOT_CONNECTED
