"""What happens to a call at each webhook: the flow, the checks, the queue, the audit."""

from contextlib import ExitStack
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from flask import current_app, url_for
from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from desk.core import hours, logs, metrics
from desk.core.audit.events import Event
from desk.core.audit.service import APPEND, append_parameters, appending, record
from desk.core.credentials import accounts
from desk.core.extensions import db
from desk.core.phones import caller_number
from ivr import flow, twiml
from ivr.flow import Field, Step
from ivr.models import FINISHED, Call, CallStatus
from ivr.telephony import Leg
from verification import activation, checks, pins, registry
from verification.checks import Outcome, Verdict
from verification.models import Practitioner

if TYPE_CHECKING:
    import psycopg

# Twilio's CallStatus values after which the call is over.
TERMINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# The columns of the call the token code step may change, each written whatever the verdict:
# one UPDATE, built once, for every outcome (and the same statements whatever failed).
VERDICT_COLUMNS = (
    "claimed_practitioner_id",
    "is_pin_correct",
    "practitioner_id",
    "verified_at",
    "is_registered_number",
    "stage",
    "attempt",
    "retries",
    "is_activating",
    "status",
    "queued_at",
    "turn",
    "last_twiml",
)
# An audit event still to append: its kind, and `record`'s keyword arguments.
Audited = tuple[Event, dict[str, Any]]


def find(sid: str) -> Call | None:
    """The call with this CallSid, locked for this transaction where the database can."""
    if not sid:
        return None
    call = db.session.scalar(select(Call).where(Call.sid == sid).with_for_update())
    logs.about_call(call.public_id if call else None)
    return call


def arrive(sid: str, raw_from: str | None, now: datetime) -> str:
    """A call rings the desk: greet it, or repeat the greeting if Twilio sent this twice."""
    if not sid:
        return twiml.render(flow.unavailable())
    existing = find(sid)
    if existing is not None:
        return existing.last_twiml
    call = Call(sid=sid, caller_number=caller_number(raw_from), started_at=now, turn=0)
    is_withheld = call.caller_number is None
    is_open = hours.is_open(
        hours.parse(current_app.config["DESK_OPENING_HOURS"]),
        now,
        current_app.config["DESK_TIMEZONE"],
    )
    step = flow.start(is_open, is_withheld)
    # Moved on before it is stored, so that the greeting goes in with the row, not an UPDATE.
    reply = _move_on(call, step, now)
    try:
        with db.session.begin_nested():
            db.session.add(call)
    except IntegrityError:
        # The same webhook is being answered by another worker right now.
        existing = find(sid)
        return existing.last_twiml if existing else twiml.render(flow.unavailable())
    record(
        Event.CALL_STARTED,
        call_id=call.id,
        data={"is_number_withheld": is_withheld, "is_open": is_open},
    )
    # Audited only if the step hangs up; out of hours is said before a withheld number.
    _audit_move(call, step, "closed" if not is_open else "number_withheld")
    return reply


def answer(sid: str, turn: int | None, digits: str, now: datetime) -> str:
    """The caller keyed an answer (or nothing) to the question asked at `turn`."""
    call = find(sid)
    if call is None:
        current_app.logger.warning("Answer for a call the desk does not know")
        return twiml.render(flow.unavailable())
    if turn != call.turn or call.flow_state.asks is None:
        # A repeat of an answer already taken (a Twilio retry, a replay): the same reply again.
        return call.last_twiml
    step = flow.answer(call.flow_state, digits)
    if step.accepted == Field.ID:
        claimed = checks.find_claimed(digits)
        _keep_attempt(call, claimed.id if claimed else None, is_pin_correct=False)
    elif step.accepted == Field.PIN:
        is_pin_correct = checks.check_pin(call.claimed_practitioner_id, digits)
        _keep_attempt(call, call.claimed_practitioner_id, is_pin_correct)
    elif step.accepted == Field.ACTIVATION:
        # Kept as the PIN's outcome is: the token code step judges the two the same way.
        is_code_right = activation.check(call.claimed_practitioner_id, digits, now)
        _keep_attempt(call, call.claimed_practitioner_id, is_code_right)
    elif step.accepted == Field.CODE:
        return _judge_code(call, step, digits, now)
    elif step.accepted == Field.NEW_PIN:
        # Only its hash is kept between the two keyings, and it becomes the PIN's hash.
        call.chosen_pin_hash = pins.hash_pin(digits)
    elif step.accepted == Field.CONFIRM_PIN:
        is_same = _set_chosen_pin(call, digits, now)
        return _reply(call, flow.chosen(step.state, is_same), now, "pin_not_set")
    return _reply(call, step, now, "no_usable_entry")


def _set_chosen_pin(call: Call, digits: str, now: datetime) -> bool:
    """Keep the chosen PIN if the second keying matches the first and the practitioner's code
    is still unspent (a second call could have used it meanwhile); audit it."""
    is_same = pins.check_pin(call.chosen_pin_hash, digits)
    chosen, call.chosen_pin_hash = call.chosen_pin_hash, None
    practitioner = accounts.hold(Practitioner, Practitioner.id, call.practitioner_id)
    if not is_same or practitioner is None or chosen is None:
        return False
    if not activation.is_awaiting(practitioner, now):
        current_app.logger.warning("An activation's code was spent or voided before its PIN")
        return False
    activation.complete(practitioner, chosen)
    record(
        Event.PRACTITIONER_ACTIVATED,
        call_id=call.id,
        practitioner_id=practitioner.id,
        data={"by": "keypad"},
    )
    return True


def _keep_attempt(call: Call, claimed_id: str | None, is_pin_correct: bool) -> None:
    """Keep on the call what this attempt has shown so far: the ID it claims, if known, and
    whether the PIN matched it."""
    call.claimed_practitioner_id, call.is_pin_correct = claimed_id, is_pin_correct
    # Written whether or not they changed, so that the call's UPDATE names the same columns
    # for a known ID as for an unknown one, and for a right PIN as for a wrong one.
    flag_modified(call, "claimed_practitioner_id")
    flag_modified(call, "is_pin_correct")


def _judge_code(call: Call, step: Step, digits: str, now: datetime) -> str:
    """The token code is in: the verdict, the call moved on, and both kept and audited."""
    verdict = checks.conclude(
        call.claimed_practitioner_id, call.is_pin_correct, digits, call.caller_number, now
    )
    audited = _keep_verdict(call, verdict, now, step.state.is_activating)
    first_name = verdict.practitioner.first_name if verdict.practitioner else ""
    step = flow.decide(step.state, verdict.outcome, first_name)
    reason = "access_not_active" if verdict.outcome == Outcome.INACTIVE else "not_verified"
    reply = _move_on(call, step, now)
    _store_verdict(call, [*audited, *_move_events(call, step, reason)])
    return reply


def _keep_verdict(
    call: Call, verdict: Verdict, now: datetime, is_activating: bool
) -> list[Audited]:
    """Keep the verdict on the call; the audit events it makes, in order, still to append."""
    who = verdict.practitioner.id if verdict.practitioner else None
    # Whether an activation code was keyed in place of a PIN (never the code itself).
    attempt = {"attempt": call.attempt, "is_activation": is_activating}
    subjects = {"call_id": call.id, "practitioner_id": who}
    if verdict.outcome == Outcome.REJECTED:
        _keep_attempt(call, None, is_pin_correct=False)
        failed = (
            Event.VERIFICATION_FAILED,
            {**subjects, "data": {**attempt, "reasons": list(verdict.reasons)}},
        )
        if not verdict.has_locked_account:
            return [failed]
        locked = (
            Event.PRACTITIONER_LOCKED,
            {**subjects, "data": {"reason": "consecutive_failures"}},
        )
        return [failed, locked]
    assert verdict.practitioner is not None
    # Asked before the call changes, so that no autoflush writes those changes on its own.
    is_registered = registry.is_registered(verdict.practitioner.id, call.caller_number)
    _keep_attempt(call, None, is_pin_correct=False)
    call.practitioner_id = verdict.practitioner.id
    call.verified_at = now
    call.is_registered_number = is_registered
    data = {**attempt, "is_registered_number": call.is_registered_number}
    if verdict.outcome == Outcome.INACTIVE:
        reasons = {"reasons": list(verdict.reasons)}
        return [(Event.VERIFICATION_INACTIVE, {**subjects, "data": {**data, **reasons}})]
    return [(Event.VERIFICATION_SUCCEEDED, {**subjects, "data": data})]


def _store_verdict(call: Call, audited: list[Audited]) -> None:
    """Write the call's changes and append its audit events, in one round trip; not committed."""
    if db.session.get_bind().dialect.name != "postgresql":
        # SQLite, for the demo: no pipeline; the call's changes are flushed by the first append.
        for kind, subjects in audited:
            record(kind, **subjects)
        return
    # Anything else pending goes first, as `record` would have it, with the call's changes
    # left to the UPDATE below rather than to the unit of work.
    db.session.expunge(call)
    db.session.flush()
    changed = {"call_id": call.id} | {
        f"new_{name}": getattr(call, name) for name in VERDICT_COLUMNS
    }
    appends = [append_parameters(kind, **subjects) for kind, subjects in audited]
    connection = db.session.connection()
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    # The UPDATE and the appends (each taking the chain lock, last, as `record` does) go in one
    # pipeline, none awaited before the next is sent; its end awaits them all, and raises the
    # first error, which rolls the webhook back. The COMMIT stays the view's: a connection
    # must be out of pipeline mode before the session gives it back to the pool.
    with ExitStack() as counted:
        # Counted and logged as `record` would have each of them.
        for kind, _ in audited:
            counted.enter_context(appending(kind))
        with driver.pipeline():
            connection.execute(_verdict_update(), changed)
            for parameters in appends:
                connection.execute(APPEND, parameters)


@cache
def _verdict_update() -> Update:
    """The call's UPDATE `_store_verdict` sends, built once: its values are all bound."""
    columns = Call.__table__.c
    return (
        update(Call)
        .where(columns.id == bindparam("call_id", type_=columns.id.type))
        .values(
            {name: bindparam(f"new_{name}", type_=columns[name].type) for name in VERDICT_COLUMNS}
        )
    )


def _reply(call: Call, step: Step, now: datetime, reason_if_ended: str) -> str:
    """Move the call on to the step, remember the reply for repeats, and audit what changed."""
    # Every change to the call comes before its audit record, whose flush writes them in one
    # UPDATE rather than leaving the turn and reply to an UPDATE of their own at commit.
    reply = _move_on(call, step, now)
    _audit_move(call, step, reason_if_ended)
    return reply


def _move_on(call: Call, step: Step, now: datetime) -> str:
    """Put the call at the step, and keep the reply that any repeat of this webhook gets."""
    call.flow_state = step.state
    if step.is_enqueued:
        call.status, call.queued_at = CallStatus.QUEUED, now
    elif step.is_hung_up:
        call.status = CallStatus.ENDED
    call.turn += 1
    call.last_twiml = twiml.render(step, call.turn)
    return call.last_twiml


def _audit_move(call: Call, step: Step, reason_if_ended: str) -> None:
    """Audit a step that queued the call or ended it."""
    for kind, subjects in _move_events(call, step, reason_if_ended):
        record(kind, **subjects)


def _move_events(call: Call, step: Step, reason_if_ended: str) -> list[Audited]:
    """The audit event of a step that queued the call or ended it, if it did."""
    subjects = {"call_id": call.id, "practitioner_id": call.practitioner_id}
    if step.is_enqueued:
        return [(Event.CALL_QUEUED, subjects)]
    if step.is_hung_up:
        return [(Event.CALL_ENDED_BY_DESK, {**subjects, "data": {"reason": reason_if_ended}})]
    return []


def note_queue(sid: str, queue_sid: str) -> None:
    """Remember which queue the caller waits in, the first time the wait URL says."""
    if sid and queue_sid:
        db.session.execute(
            update(Call)
            .where(Call.sid == sid, Call.queue_sid.is_(None))
            .values(queue_sid=queue_sid)
            # No call is loaded in this request: nothing in the session to bring up to date.
            .execution_options(synchronize_session=False)
        )


def by_public_id(public_id: str) -> Call | None:
    """The call the console and the conference URLs name."""
    return db.session.scalar(select(Call).where(Call.public_id == public_id))


def join_conference(public_id: str, is_operator: bool) -> str:
    """TwiML that puts the caller, or the operator with a whisper, into the call's conference."""
    call = by_public_id(public_id)
    if call is None:
        return twiml.render(flow.unavailable())
    events_url = public_url("ivr.conference_events", call=call.public_id)
    if not is_operator:
        return twiml.conference(
            (flow.CONNECTING,), conference_name(call), is_operator=False, events_url=events_url
        )
    who = call.practitioner
    whisper = (
        f"Caller: {who.name}, {who.role}, {who.organisation}." if who else "Caller verified.",
        "Registered number." if call.is_registered_number else "Not a registered number.",
    )
    return twiml.conference(whisper, conference_name(call), is_operator=True, events_url=events_url)


def leg_for(call: Call) -> Leg:
    """What the telephony adapter needs to connect this call, with URLs Twilio can reach."""
    return Leg(
        call_sid=call.sid,
        queue_sid=call.queue_sid,
        conference=conference_name(call),
        caller_url=public_url("ivr.caller_joins", call=call.public_id),
        operator_url=public_url("ivr.operator_joins", call=call.public_id),
        status_url=public_url("ivr.operator_status", call=call.public_id),
    )


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for Twilio, under DESK_PUBLIC_URL (a development desk's: its own host)."""
    base = current_app.config["DESK_PUBLIC_URL"]
    if base:
        return str(base).rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def conference_name(call: Call) -> str:
    """The conference a taken call is connected in, named after the call."""
    return f"desk-call-{call.public_id}"


def requeue(sid: str, now: datetime) -> str:
    """Put a caller whose operator could not be connected back in the queue."""
    call = find(sid)
    if call is None:
        return twiml.render(flow.unavailable())
    call.status, call.left_queue_at, call.queue_result = CallStatus.QUEUED, None, None
    record(Event.CALL_REQUEUED, call_id=call.id, practitioner_id=call.practitioner_id)
    return twiml.render(flow.requeued())


def leave_queue(sid: str, result: str, queue_seconds: int | None, now: datetime) -> str:
    """The caller left the queue: taken by an operator, hung up, or the queue failed."""
    call = find(sid)
    if call is None or call.left_queue_at is not None:
        return twiml.empty()
    data = {"result": result, "queue_seconds": queue_seconds}
    if result == "leave" and call.is_callback_requested:
        # Out of Twilio's queue, still in the desk's, in its place: the desk will call back.
        record(
            Event.CALL_LEFT_QUEUE, call_id=call.id, practitioner_id=call.practitioner_id, data=data
        )
        return twiml.render(flow.calling_you_back())
    call.left_queue_at, call.queue_result = now, result
    if result in {"bridged", "redirected"}:
        record(
            Event.CALL_LEFT_QUEUE, call_id=call.id, practitioner_id=call.practitioner_id, data=data
        )
        return twiml.empty()
    if result == "hangup":
        call.status = CallStatus.ABANDONED
        record(
            Event.CALL_ABANDONED, call_id=call.id, practitioner_id=call.practitioner_id, data=data
        )
        return twiml.empty()
    call.status = CallStatus.ENDED
    record(
        Event.CALL_ENDED_BY_DESK,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        data={**data, "reason": "queue_failed"},
    )
    return twiml.render(flow.unavailable())


def update_status(
    sid: str, status: str, duration: int | None, sequence: int | None, now: datetime
) -> Call | None:
    """Apply a status callback; late, repeated or out-of-order ones change nothing. The call,
    still locked, if the desk knows it (so that the caller need not select it again)."""
    call = find(sid)
    if call is None:
        current_app.logger.warning("Status callback for a call the desk does not know")
        record(Event.CALL_STATUS_FOR_UNKNOWN_CALL, data={"call_sid": sid, "status": status})
        return None
    if sequence is not None and call.last_sequence is not None and sequence <= call.last_sequence:
        return call
    if sequence is not None:
        call.last_sequence = sequence
    if status not in TERMINAL_STATUSES or call.ended_at is not None:
        return call
    call.ended_at, call.duration_seconds = now, duration
    if call.status == CallStatus.QUEUED and call.is_callback_requested:
        pass  # the caller hung up to be called back: the call keeps its place
    elif call.status not in FINISHED:
        call.status = {
            CallStatus.QUEUED: CallStatus.ABANDONED,
            CallStatus.CONNECTED: CallStatus.COMPLETED,
        }.get(call.status, CallStatus.ENDED)
    record(
        Event.CALL_ENDED,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        data={"status": call.status.value, "twilio_status": status, "duration_seconds": duration},
    )
    metrics.call_ended(call.status.value)
    return call
