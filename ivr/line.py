"""The line as Twilio reports it: the conference's parties joining, leaving, held and muted.

Each conference event is kept on the call (what the operator's page shows) and in the audit
log (what the supervisor's timeline shows, to the second). The caller and the operator are
told apart by the label their TwiML gives them; a supervisor's leg, added by the desk, is
announced to the console (ivr/signals.py), which keeps listen-ins.
"""

from collections.abc import Mapping
from datetime import datetime

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.refusals import Refused
from ivr import calls, rechecks, signals
from ivr.models import Call

# Twilio's StatusCallbackEvent values the desk keeps, and the parties it knows by label.
EVENTS = {
    "conference-start",
    "conference-end",
    "participant-join",
    "participant-leave",
    "participant-hold",
    "participant-unhold",
    "participant-mute",
    "participant-unmute",
}
PARTIES = {"caller", "operator", "supervisor"}


def party_of(call: Call, form: Mapping[str, str]) -> str:
    """Who an event is about: the label given at joining, else the caller's CallSid."""
    label = form.get("ParticipantLabel", "")
    if label == "caller" and form.get("CallSid") not in (None, "", call.sid):
        return "replaced"  # the first leg, after a verified call-back took its place
    if label in PARTIES:
        return label
    if not form.get("CallSid"):
        return "conference"
    return "caller" if form.get("CallSid") == call.sid else "other"


def note_conference(public_id: str, form: Mapping[str, str], now: datetime) -> None:
    """Apply one of the conference's status callbacks to the call, and audit it."""
    call = calls.by_public_id(public_id)
    event = form.get("StatusCallbackEvent", "")
    if call is None or event not in EVENTS:
        return
    party = party_of(call, form)
    if party == "caller" and event == "participant-leave" and rechecks.is_keying_aside(call):
        party = "keying"  # taken out to key their details again, and coming back
    if form.get("ConferenceSid"):
        call.conference_sid = form["ConferenceSid"]
    _apply(call, party, event, now)
    record(
        Event.CALL_CONFERENCE,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        data={"event": event, "party": party},
    )
    if party == "supervisor":
        signals.participant_changed.send(
            None, call=call, call_sid=form.get("CallSid", ""), event=event, now=now
        )


def _apply(call: Call, party: str, event: str, now: datetime) -> None:
    if party == "caller":
        if event == "participant-join":
            call.caller_in_conference_at, call.caller_left_at = now, None
            call.is_caller_on_hold = False
        elif event == "participant-leave":
            call.caller_left_at, call.is_caller_on_hold = now, False
        elif event in {"participant-hold", "participant-unhold"}:
            call.is_caller_on_hold = event == "participant-hold"
    elif party == "operator":
        if event == "participant-join":
            call.operator_joined_at, call.is_operator_muted = now, False
        elif event == "participant-leave":
            call.operator_joined_at, call.is_operator_muted = None, False
        elif event in {"participant-mute", "participant-unmute"}:
            call.is_operator_muted = event == "participant-mute"


def note_operator_leg(public_id: str, status: str, now: datetime) -> None:
    """Record how the operator's own leg went (initiated, ringing, answered, ended)."""
    call = calls.by_public_id(public_id)
    if call is not None and status:
        call.operator_leg_status = status
        record(
            Event.CALL_OPERATOR_LEG,
            call_id=call.id,
            practitioner_id=call.practitioner_id,
            data={"status": status},
        )
        signals.operator_leg_status.send(None, call=call, status=status, now=now)


def note_listener_leg(public_id: str, call_sid: str, status: str, now: datetime) -> None:
    """A supervisor's leg's call progress: the console ends a listen-in whose leg is over."""
    call = calls.by_public_id(public_id)
    if call is not None and status:
        signals.participant_changed.send(
            None, call=call, call_sid=call_sid, event=f"call-{status}", now=now
        )


def reset_operator_leg(call: Call) -> None:
    """A new take of the call: nothing is known yet of the new operator's leg."""
    call.operator_leg_status, call.operator_joined_at, call.is_operator_muted = None, None, False


def has_caller_hung_up(call: Call) -> bool:
    """Whether the caller has gone: left the conference, or their call ended."""
    return call.caller_left_at is not None or call.ended_at is not None


def refuse_if_hung_up(call: Call) -> None:
    """Refused once the caller has gone: what is left to do is the wrap-up."""
    if has_caller_hung_up(call):
        raise Refused("The caller has hung up: wrap up the call.")
