"""A supervisor in a live call: listening (muted), coaching the operator, or speaking to both.

Joining is audited as a disclosure, since the supervisor hears what is read back; so is
leaving. The operator's page shows every supervisor in the call, or on their way in, from
the moment one asks to join (desk/console/call_line.py), so nobody listens unseen. A supervisor
is never added to a call they are a party to.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desk.console import call_line
from desk.console.handling import call_subjects
from desk.console.models import Handling, ListenIn, ListenMode
from desk.console.phone import hang_up
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.staff.models import Staff
from ivr import calls, line, signals
from ivr.models import Call, CallStatus
from ivr.telephony import Listener, Telephony, TelephonyError

# Twilio's progress of a supervisor's leg (its status callback) after which it is over.
LEG_OVER = {"call-completed", "call-busy", "call-no-answer", "call-failed", "call-canceled"}


def live_calls() -> list[Handling]:
    """Calls an operator is on now, longest first."""
    return list(
        db.session.scalars(
            select(Handling)
            .join(Call, Handling.call_id == Call.id)
            .where(Handling.wrapped_up_at.is_(None), Call.status == CallStatus.CONNECTED)
            .order_by(Handling.taken_at)
        )
    )


def open_listen_in(supervisor: Staff) -> ListenIn | None:
    return db.session.scalar(
        select(ListenIn).where(ListenIn.supervisor_id == supervisor.id, ListenIn.ended_at.is_(None))
    )


def _audit(kind: Event, supervisor: Staff, handling: Handling, **data: object) -> None:
    subjects = {**call_subjects(handling.operator, handling.call), "supervisor_id": supervisor.id}
    record(kind, **subjects, data=dict(data))


@dataclass(frozen=True)
class Join:
    """A committed listen-in's REST call: ring the supervisor into the conference."""

    listen_in_id: int
    conference_sid: str
    listener: Listener

    def run(self, adapter: Telephony) -> str | None:
        """The supervisor's new leg, or None if Twilio would not add it."""
        try:
            return adapter.add_listener(self.conference_sid, self.listener)
        except TelephonyError:
            current_app.logger.warning("Twilio would not add a supervisor to a conference")
            return None


def start(supervisor: Staff, public_id: str, mode: ListenMode, now: datetime) -> Join:
    """Begin a supervisor's listen-in: recorded (and shown to the operator) before any REST call."""
    handling = next((h for h in live_calls() if h.call.public_id == public_id), None)
    if handling is None:
        raise Refused("That call has ended.")
    call = handling.call
    if handling.operator_id == supervisor.id:
        raise Refused("You cannot listen in to a call you are on.")
    target = supervisor.dial_target
    if not target:
        raise Refused("Your phone is not set up: ask an administrator to add it to your account.")
    line.refuse_if_hung_up(call)
    if not call.conference_sid or not handling.operator_call_sid:
        raise Refused("The operator is not connected to the caller yet.")
    listen_in = ListenIn(call=call, supervisor_id=supervisor.id, mode=mode.value, started_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(listen_in)
    except IntegrityError as error:
        raise Refused("Leave the call you are listening to first.") from error
    _audit(Event.CALL_LISTEN_IN_STARTED, supervisor, handling, mode=mode.value, disclosure=True)
    return Join(
        listen_in_id=listen_in.id,
        conference_sid=call.conference_sid,
        listener=Listener(
            to=target,
            muted=mode is ListenMode.LISTEN,
            coaching=handling.operator_call_sid if mode is ListenMode.COACH else None,
            status_url=calls.public_url("ivr.listener_status", call=call.public_id),
        ),
    )


def finish_start(supervisor: Staff, work: Join, call_sid: str | None, now: datetime) -> str | None:
    """Keep the supervisor's leg; or, if it could not be added, end the listen-in (a message)."""
    listen_in = db.session.get(ListenIn, work.listen_in_id)
    if listen_in is None or listen_in.ended_at is not None:
        return None
    if call_sid is not None:
        listen_in.call_sid = call_sid
        return None
    _end(listen_in, now, "telephony")
    return "The phone system could not add you to the call; try again."


def stop(supervisor: Staff, now: datetime) -> tuple[str, ...]:
    """End the supervisor's listen-in; the leg to hang up after the commit."""
    listen_in = open_listen_in(supervisor)
    if listen_in is None:
        raise Refused("You are not listening to a call.")
    _end(listen_in, now, "left")
    return (listen_in.call_sid,) if listen_in.call_sid else ()


def hang_up_legs(adapter: Telephony, call_sids: tuple[str, ...]) -> None:
    for call_sid in call_sids:
        hang_up(adapter, call_sid)


def _end(listen_in: ListenIn, now: datetime, reason: str) -> None:
    listen_in.ended_at = now
    handling = db.session.scalar(select(Handling).where(Handling.call_id == listen_in.call_id))
    if handling is not None:
        _audit(
            Event.CALL_LISTEN_IN_ENDED,
            listen_in.supervisor,
            handling,
            mode=listen_in.mode,
            reason=reason,
        )


def leg_changed(sender: Any, *, call: Call, call_sid: str, event: str, now: datetime) -> None:
    """Twilio reported the supervisor's leg: joined the conference, or left it, or ended."""
    listen_in = db.session.scalar(
        select(ListenIn).where(ListenIn.call_id == call.id, ListenIn.call_sid == call_sid)
    )
    if listen_in is None or listen_in.ended_at is not None:
        return
    if event == "participant-join":
        listen_in.joined_at = now
    elif event == "participant-leave" or event in LEG_OVER:
        _end(listen_in, now, "leg_ended")


def softphone_state(supervisor: Staff, now: datetime) -> dict[str, Any] | None:
    """What a supervisor's softphone shows: the call they are in, if any."""
    listen_in = open_listen_in(supervisor)
    if listen_in is None:
        return None
    handling = db.session.scalar(select(Handling).where(Handling.call_id == listen_in.call_id))
    if handling is None:
        return None
    shown = call_line.state(handling, now)
    return {**shown, "listening": listen_in.mode, "operator_name": handling.operator.name}


def connect() -> None:
    """Hear of supervisors' legs from the IVR (once per process)."""
    signals.participant_changed.connect(leg_changed)
