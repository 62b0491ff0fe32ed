"""The call's line as the operator sees and works it: what each party is doing, hold, mute.

What the page shows comes from Twilio's own reports of the conference and of the operator's
leg (ivr/line.py), never from what the desk asked for. Holding the caller and muting the
operator are REST calls to the Conference Participant API, made after the commit
(desk/console/phone.py); Twilio's hold and mute events then change what the page shows.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from desk.console import rechecking
from desk.console.handling import audit_call
from desk.console.models import LISTEN_MODE_LABELS, Handling, ListenIn, ListenMode
from desk.core.audit.events import Event
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.staff.models import Staff
from ivr import calls, line, rechecks
from ivr.models import Call, CallStatus, RecheckKind
from ivr.telephony import Telephony, TelephonyError

OPERATOR_LEG_WORDS = {
    None: "Calling your phone",
    "queued": "Calling your phone",
    "initiated": "Calling your phone",
    "ringing": "Your phone is ringing",
    "in-progress": "Connected",
    "answered": "Connected",
    "completed": "Your phone has hung up",
    "busy": "Your phone was busy",
    "no-answer": "Your phone was not answered",
    "failed": "Your phone could not be rung",
    "canceled": "Your phone stopped ringing",
}


@dataclass(frozen=True)
class Adjust:
    """A committed hold, resume, mute or unmute: the one REST call to the conference."""

    action: str
    conference_sid: str
    call_sid: str
    hold_url: str | None = None

    def run(self, adapter: Telephony) -> str | None:
        """Make the call; the operator's message if Twilio refused it."""
        try:
            if self.action in {"hold", "resume"}:
                adapter.hold(self.conference_sid, self.call_sid, self.hold_url)
            else:
                adapter.mute(self.conference_sid, self.call_sid, self.action == "mute")
        except TelephonyError:
            current_app.logger.warning("Twilio refused to %s a participant", self.action)
            return "The phone system did not do that; try again."
        return None


def _conference(call: Call) -> str:
    line.refuse_if_hung_up(call)
    if not call.conference_sid or call.caller_in_conference_at is None:
        raise Refused("The caller is not in the call's conference yet.")
    return call.conference_sid


def hold(operator: Staff, handling: Handling, on_hold: bool) -> Adjust:
    """Put the caller on hold (they hear the hold message), or take them off it."""
    call = handling.call
    conference = _conference(call)
    audit_call(Event.CALL_HOLD_REQUESTED, operator, call, hold=on_hold)
    if not on_hold:
        return Adjust("resume", conference, call.sid)
    return Adjust("hold", conference, call.sid, calls.public_url("ivr.on_hold"))


def mute(operator: Staff, handling: Handling, muted: bool) -> Adjust:
    """Mute the operator's own leg in the conference, or unmute it."""
    call = handling.call
    conference = _conference(call)
    if not handling.operator_call_sid or call.operator_joined_at is None:
        raise Refused("Your phone is not in the call yet.")
    audit_call(Event.CALL_MUTE_REQUESTED, operator, call, muted=muted)
    return Adjust("mute" if muted else "unmute", conference, handling.operator_call_sid)


def listeners(call: Call) -> list[ListenIn]:
    """The supervisors in the call, or on their way into it, now."""
    return list(
        db.session.scalars(
            select(ListenIn)
            .where(ListenIn.call_id == call.id, ListenIn.ended_at.is_(None))
            .order_by(ListenIn.id)
        )
    )


def is_calling_back(call: Call) -> bool:
    """A queued callback the desk is still calling back: its first leg has gone, by design."""
    return (
        call.is_callback_requested
        and call.status != CallStatus.ABANDONED
        and rechecks.verified(call, RecheckKind.CALL_BACK) is None
    )


def caller_state(call: Call) -> tuple[str, str]:
    if rechecks.is_keying_aside(call):
        return "keying", "The caller is keying their code (you cannot hear it)"
    if is_calling_back(call):
        return "calling_back", "Calling the caller back on their registered number"
    if line.has_caller_hung_up(call):
        return "hung_up", "The caller has hung up"
    if call.caller_in_conference_at is None:
        return "connecting", "Connecting the caller"
    if call.is_caller_on_hold:
        return "on_hold", "Caller on hold"
    return "on_line", "Caller on the line"


def listener_words(listen_in: ListenIn) -> str:
    name = listen_in.supervisor.name
    if listen_in.joined_at is None:
        return f"{name} is joining the call ({LISTEN_MODE_LABELS[ListenMode(listen_in.mode)]})"
    return f"{name}: {LISTEN_MODE_LABELS[ListenMode(listen_in.mode)]}"


def state(handling: Handling, now: datetime) -> dict[str, Any]:
    """What the operator's page and softphone show of the line, as JSON."""
    call = handling.call
    caller, caller_words = caller_state(call)
    leg = call.operator_leg_status
    if call.operator_joined_at is not None:
        leg_state, leg_words = "connected", "Connected"
    else:
        leg_state = "ringing" if leg == "ringing" else (leg or "calling")
        leg_words = OPERATOR_LEG_WORDS.get(leg, leg or "")
    started = call.caller_in_conference_at or handling.taken_at
    practitioner = call.practitioner
    return {
        "call": call.public_id,
        "caller_name": practitioner.name if practitioner else "Verified caller",
        "caller": caller,
        "caller_words": caller_words,
        "operator_leg": leg_state,
        "operator_leg_words": leg_words,
        "is_muted": call.is_operator_muted,
        "listeners": [
            {"name": li.supervisor.name, "mode": li.mode, "words": listener_words(li)}
            for li in listeners(call)
        ],
        "started_at": started.isoformat(),
        "seconds": max(int((now - started).total_seconds()), 0),
        "is_over": caller == "hung_up",
        "identity": rechecking.identity_state(call),
    }
