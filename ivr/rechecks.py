"""Later checks of who is on a call, at their webhooks: the desk's call-back to a registered
number, and the caller keying their details again out of the conference.

Both ask through ivr/flow.py and check through the verifier of the first verification
(verification/checks.py `conclude`): the same lockout of the account, the same throttle of
the number, the same audit. What is keyed is never kept: of the PIN, whether it matched.
The operator is shown a recheck's status alone: verified, not verified or locked.
"""

from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import exists, func, select

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from ivr import calls, flow, twiml
from ivr.flow import Field, Step
from ivr.models import RECHECK_OVER, Call, CallStatus, Recheck, RecheckKind, RecheckStatus
from verification import checks
from verification.checks import Outcome, Verdict

UNDER_WAY = (RecheckStatus.ASKED, RecheckStatus.KEYING)


def is_pin_asked() -> bool:
    """Whether a keypad re-check asks for the PIN as well as a fresh code (DESK_RECHECK_ASKS)."""
    return bool(current_app.config["DESK_RECHECK_ASKS"] == "pin_and_code")


def find(public_id: str) -> Recheck | None:
    """The recheck these webhook URLs name, locked for this transaction where rows can be."""
    return db.session.scalar(
        select(Recheck).where(Recheck.public_id == public_id).with_for_update()
    )


def under_way(call: Call) -> Recheck | None:
    """The call's recheck that is asked for or being keyed, if one is."""
    return db.session.scalar(
        select(Recheck).where(Recheck.call_id == call.id, Recheck.status.in_(UNDER_WAY))
    )


def latest(call: Call) -> Recheck | None:
    """The call's most recent recheck."""
    return db.session.scalar(
        select(Recheck).where(Recheck.call_id == call.id).order_by(Recheck.id.desc()).limit(1)
    )


def verified(call: Call, kind: RecheckKind) -> Recheck | None:
    """The call's latest recheck of this kind that verified who is on the line."""
    return db.session.scalar(
        select(Recheck)
        .where(
            Recheck.call_id == call.id,
            Recheck.kind == kind,
            Recheck.status == RecheckStatus.VERIFIED,
        )
        .order_by(Recheck.id.desc())
        .limit(1)
    )


def is_keying_aside(call: Call) -> bool:
    """Whether the caller's own leg is out of the conference keying their details again."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Recheck.call_id == call.id,
                    Recheck.kind == RecheckKind.KEYPAD,
                    Recheck.status.in_(UNDER_WAY),
                )
            )
        )
    )


def is_replaced_leg(sid: str) -> bool:
    """Whether this CallSid was a call's first leg, replaced by a verified call-back."""
    return bool(db.session.scalar(select(exists().where(Recheck.replaced_sid == sid))))


def _leg_of(recheck: Recheck) -> str | None:
    return recheck.leg_sid if recheck.kind == RecheckKind.CALL_BACK else recheck.call.sid


def start(public_id: str, sid: str, now: datetime) -> str:
    """The call-back's leg was answered, or the caller's leg was sent here: the first question."""
    recheck = find(public_id)
    if recheck is None or not sid:
        return twiml.render(flow.unavailable())
    if recheck.kind == RecheckKind.CALL_BACK and recheck.leg_sid is None:
        # Twilio can ask for the answer URL before the REST call that made the leg returns.
        recheck.leg_sid = sid
    if sid != _leg_of(recheck):
        current_app.logger.warning("A recheck's webhook came from a leg that is not its own")
        return twiml.render(flow.unavailable())
    if recheck.turn:
        return recheck.last_twiml  # a repeat of this webhook
    if recheck.is_over:
        return _after_the_end(recheck)
    call = recheck.call
    if recheck.kind == RecheckKind.CALL_BACK:
        step = flow.called_back(call.practitioner.name if call.practitioner else "a practitioner")
    else:
        step = flow.rechecking(is_pin_asked())
        # Asked for the code alone, the PIN is not in question: the verifier is told it matched.
        recheck.is_pin_correct = not is_pin_asked()
    recheck.status = RecheckStatus.KEYING
    return _move_on(recheck, step)


def _after_the_end(recheck: Recheck) -> str:
    """A recheck ended meanwhile (the call wrapped up): a call-back hangs up, a caller rejoins."""
    if recheck.kind == RecheckKind.CALL_BACK:
        return twiml.render(flow.unavailable())
    return _conference(recheck.call, (flow.RETURNING,))


def answer(public_id: str, sid: str, turn: int | None, digits: str, now: datetime) -> str:
    """The leg keyed an answer (or nothing) to the recheck's question asked at `turn`."""
    recheck = find(public_id)
    if recheck is None or not sid or sid != _leg_of(recheck):
        return twiml.render(flow.unavailable())
    if not recheck.turn:
        return twiml.render(flow.unavailable())  # nothing was asked yet: not a real answer
    if turn != recheck.turn or recheck.flow_state.asks is None:
        return recheck.last_twiml
    if recheck.is_over:
        return _after_the_end(recheck)  # ended meanwhile (the call wrapped up)
    call = recheck.call
    step = flow.answer(recheck.flow_state, digits)
    if step.accepted == Field.PIN:
        recheck.is_pin_correct = checks.check_pin(call.practitioner_id, digits)
    elif step.accepted == Field.CODE:
        verdict = checks.conclude(
            call.practitioner_id, recheck.is_pin_correct, digits, _number(recheck), now
        )
        recheck.is_pin_correct = False
        _record_verdict(recheck, verdict)
        step = flow.decide(step.state, verdict.outcome)
        if step.is_conferenced or step.is_hung_up:
            _finish(recheck, verdict, now)
    elif step.is_conferenced or step.is_hung_up:
        # Nothing usable was keyed: not verified, and the failure counts nowhere.
        fail(recheck, "no_usable_entry", now)
    is_verified = recheck.status == RecheckStatus.VERIFIED
    if step.is_conferenced and is_verified and recheck.kind == RecheckKind.CALL_BACK:
        _replace_first_leg(recheck, now)
    return _move_on(recheck, step)


def _number(recheck: Recheck) -> str | None:
    """The number the throttle counts: the one the desk rang, or the caller's own."""
    return recheck.number if recheck.kind == RecheckKind.CALL_BACK else recheck.call.caller_number


def _record_verdict(recheck: Recheck, verdict: Verdict) -> None:
    call = recheck.call
    record(
        Event.CALL_RECHECK_CHECKED,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        operator_id=recheck.operator_id,
        data={
            "kind": recheck.kind.value,
            "attempt": recheck.attempt,
            "outcome": verdict.outcome.value,
            "reasons": list(verdict.reasons),
        },
    )
    if verdict.has_locked_account:
        record(
            Event.PRACTITIONER_LOCKED,
            call_id=call.id,
            practitioner_id=call.practitioner_id,
            data={"reason": "consecutive_failures"},
        )


def _finish(recheck: Recheck, verdict: Verdict, now: datetime) -> None:
    if verdict.outcome == Outcome.VERIFIED:
        recheck.status = RecheckStatus.VERIFIED
    elif verdict.has_locked_account or "locked" in verdict.reasons:
        recheck.status = RecheckStatus.LOCKED
    else:
        recheck.status = RecheckStatus.NOT_VERIFIED
    recheck.finished_at = now


def fail(recheck: Recheck, reason: str, now: datetime) -> None:
    """End a recheck that could not be keyed through: not verified, and audited why."""
    recheck.status, recheck.finished_at = RecheckStatus.NOT_VERIFIED, now
    call = recheck.call
    record(
        Event.CALL_RECHECK_FAILED,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        operator_id=recheck.operator_id,
        data={"kind": recheck.kind.value, "reason": reason},
    )
    if recheck.kind == RecheckKind.CALL_BACK:
        _give_up_if_tried_enough(call)


def _give_up_if_tried_enough(call: Call) -> None:
    """A queued callback whose call-backs have all failed, as many as DESK_CALLBACK_ATTEMPTS
    allows, is recorded as abandoned: the operator wraps it up."""
    if not call.is_callback_requested or call.status == CallStatus.ABANDONED:
        return
    tries = db.session.scalar(
        select(func.count())
        .select_from(Recheck)
        .where(
            Recheck.call_id == call.id,
            Recheck.kind == RecheckKind.CALL_BACK,
            Recheck.status.in_(RECHECK_OVER),
        )
    )
    if (tries or 0) < current_app.config["DESK_CALLBACK_ATTEMPTS"]:
        return
    call.status = CallStatus.ABANDONED
    record(
        Event.CALL_ABANDONED,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        data={"result": "callback_unanswered", "attempts": tries},
    )


def tries_left(call: Call) -> bool:
    """Whether the desk may call a queued callback's practitioner back once more."""
    return not (call.is_callback_requested and call.status == CallStatus.ABANDONED)


def _replace_first_leg(recheck: Recheck, now: datetime) -> None:
    """The verified call-back's leg becomes the caller's: the line, hold and hang-up follow it.

    The first leg is hung up after the commit (ivr/views.py); its status callback then finds
    it replaced, and its leaving the conference is not the caller's.
    """
    call = recheck.call
    assert recheck.leg_sid is not None
    recheck.replaced_sid, call.sid = call.sid, recheck.leg_sid
    # The first caller may have hung up on being told to expect the call: the call goes on.
    call.caller_left_at, call.ended_at, call.duration_seconds = None, None, None
    if call.status == CallStatus.COMPLETED:
        call.status = CallStatus.CONNECTED
    record(
        Event.CALL_BACK_CONNECTED,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        operator_id=recheck.operator_id,
        data={"number": recheck.number},
    )


def replaced_leg(public_id: str) -> str | None:
    """The first leg a verified call-back replaced, to hang up once that is committed."""
    recheck = db.session.scalar(select(Recheck).where(Recheck.public_id == public_id))
    return recheck.replaced_sid if recheck is not None else None


def leg_status(public_id: str, sid: str, status: str, duration: int | None, now: datetime) -> None:
    """The call-back leg's call progress: unanswered or gone before it was verified, the
    recheck is not verified; once it is the caller's, its end is the call's."""
    recheck = find(public_id)
    if recheck is None or recheck.kind != RecheckKind.CALL_BACK or sid != recheck.leg_sid:
        return
    if status not in calls.TERMINAL_STATUSES:
        return
    if recheck.status in UNDER_WAY:
        fail(recheck, "not_answered" if status != "completed" else "hung_up", now)
    elif recheck.status == RecheckStatus.VERIFIED and recheck.call.sid == sid:
        calls.update_status(sid, status, duration, None, now)


def update_status(
    sid: str, status: str, duration: int | None, sequence: int | None, now: datetime
) -> None:
    """A call's status callback: a first leg a call-back replaced is no longer the call's; a
    caller who hangs up while keying aside ends that recheck."""
    if is_replaced_leg(sid):
        return
    call = calls.update_status(sid, status, duration, sequence, now)
    if call is not None and call.ended_at is not None and is_keying_aside(call):
        end_for(call, "hung_up", now)


def end_for(call: Call, reason: str, now: datetime) -> None:
    """End the call's recheck under way, if any (the caller hung up, the call was wrapped up)."""
    recheck = under_way(call)
    if recheck is not None:
        fail(recheck, reason, now)


def _move_on(recheck: Recheck, step: Step) -> str:
    recheck.flow_state = step.state
    recheck.turn += 1
    if step.is_conferenced:
        recheck.last_twiml = _conference(recheck.call, step.say)
    else:
        answer_url = url_for("ivr.recheck_answer", recheck=recheck.public_id, turn=recheck.turn)
        recheck.last_twiml = twiml.render(step, recheck.turn, answer_url)
    return recheck.last_twiml


def _conference(call: Call, lines: tuple[str, ...]) -> str:
    events_url = calls.public_url("ivr.conference_events", call=call.public_id)
    return twiml.conference(
        lines, calls.conference_name(call), is_operator=False, events_url=events_url
    )
