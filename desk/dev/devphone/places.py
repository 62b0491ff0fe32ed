"""Where a dev phone's call waits for its operator: in a queue, then in a conference.

The local telephony adapter only notes that it rang the operator's leg: on a desk without
Twilio no phone rings. So the dev phone answers a phone number's or SIP address's leg when the
caller reaches the conference; a leg to the console's softphone (`client:`) rings until the
softphone answers it (desk/dev/softphone.py). An answered leg fetches its own TwiML (a whisper,
then the same conference), and when it hangs up the desk gets the status callback that Twilio
would send. The conference reports its parties joining, leaving, held and muted to the desk's
statusCallback, and carries out the desk's participant changes (hold, mute) and supervisors'
legs, as Twilio's Conference Participant API would.
"""

import itertools
import secrets
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from desk.dev.devphone.line import twiml_of
from desk.dev.simulator import Phone
from ivr.telephony import AddedLeg, LocalTelephony, RungLeg

# The desk's own number, from which Twilio rings operators' legs.
DESK_NUMBER = "+441706000000"
# Callers are queued in the order they arrive, even within one tick of the clock.
_ARRIVALS = itertools.count()


@dataclass
class Queued:
    """A stay in a queue: where to say the caller left, and what is left of the wait TwiML."""

    name: str
    action: str | None
    wait_url: str | None
    entered_at: float
    verbs: deque[ET.Element] = field(default_factory=deque)
    arrival: int = field(default_factory=lambda: next(_ARRIVALS))


class Meeting(Enum):
    """How the operator's leg came to the conference, if it did."""

    NOT_RUNG = "not rung"
    RINGING = "ringing"
    JOINED = "joined"
    ELSEWHERE = "elsewhere"


@dataclass
class Conference:
    """A caller's place in a conference, the operator's leg in it once answered, and any
    supervisors' legs; `events_url` is the desk's statusCallback for the conference."""

    name: str
    caller: Phone
    events_url: str | None = None
    sid: str = field(default_factory=lambda: "CF" + secrets.token_hex(16))
    operator: RungLeg | None = None
    ringing: str = ""  # the softphone leg whose ringing was reported
    listeners: dict[str, AddedLeg] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    _sequence: int = 0

    def event(self, kind: str, call_sid: str = "", label: str = "", **extra: str) -> None:
        """Report one of the conference's events, as its statusCallback would hear it."""
        if self.events_url is None:
            return
        self._sequence += 1
        params = {
            "AccountSid": self.caller.params()["AccountSid"],
            "ConferenceSid": self.sid,
            "FriendlyName": self.name,
            "StatusCallbackEvent": kind,
            "SequenceNumber": str(self._sequence),
            **({"CallSid": call_sid} if call_sid else {}),
            **({"ParticipantLabel": label} if label else {}),
            **extra,
        }
        self.caller.twilio.post(self.events_url, params)

    def caller_joins(self) -> None:
        self.event("participant-join", self.caller.sid, "caller", Muted="false", Hold="false")

    def meet_operator(self, adapter: LocalTelephony, answer: bool = False) -> Meeting:
        """Answer the operator's leg, once the desk has rung it into this conference; a
        softphone's leg only when the softphone answers (`answer`)."""
        leg = adapter.rung.get(self.name)
        if leg is None:
            return Meeting.NOT_RUNG
        if is_softphone(leg.to) and not answer:
            if self.ringing != leg.sid:
                self.ringing = leg.sid
                self.caller.twilio.post(leg.status_url, self._params(leg, "ringing"))
            return Meeting.RINGING
        adapter.rung.pop(self.name, None)
        root = twiml_of(self.caller.twilio.post(leg.url, self._params(leg, "in-progress")))
        joined = None if root is None else root.find("Dial/Conference")
        if joined is None or (joined.text or "").strip() != self.name:
            return Meeting.ELSEWHERE
        self.operator = leg
        self.caller.twilio.post(leg.status_url, self._params(leg, "in-progress"))
        self.event("conference-start")
        self.event("participant-join", leg.sid, "operator", Muted="false", Hold="false")
        return Meeting.JOINED

    def has_operator_left(self, adapter: LocalTelephony) -> bool:
        """Whether the desk hung up the operator's leg; if so, the leg's call is over."""
        order = None if self.operator is None else adapter.take_order(self.operator.sid)
        if order is None or not order.is_hang_up:
            return False
        self.end_operator_leg(adapter)
        return True

    def carry_out(self, adapter: LocalTelephony, say: Callable[[str, str], None]) -> None:
        """Do what the desk asked of the participants since the last look, reporting each
        change; `say(kind, text)` adds to what the caller hears."""
        for change in adapter.take_changes(self.sid):
            label = "caller" if change.call_sid == self.caller.sid else "operator"
            if change.hold is True:
                say("event", "The operator put you on hold.")
                if change.hold_url:
                    root = twiml_of(self.caller.twilio.post(change.hold_url, self.caller.params()))
                    for line in [] if root is None else root.iter("Say"):
                        say("say", (line.text or "").strip())
                self.event("participant-hold", change.call_sid, label, Hold="true")
            elif change.hold is False:
                say("event", "The operator is back on the line.")
                self.event("participant-unhold", change.call_sid, label, Hold="false")
            elif change.muted is not None:
                kind = "participant-mute" if change.muted else "participant-unmute"
                self.event(kind, change.call_sid, label, Muted=str(change.muted).lower())
        for added in adapter.added.pop(self.sid, []):
            self.listeners[added.sid] = added
            self.caller.twilio.post(added.listener.status_url, self._leg(added, "ringing"))
        for sid in list(self.listeners):
            order = adapter.take_order(sid)
            if order is not None and order.is_hang_up:
                self.end_listener(sid)

    def ringing_listener(self, to: str) -> AddedLeg | None:
        return next((a for a in self.listeners.values() if a.listener.to == to), None)

    def answer_listener(self, added: AddedLeg, say: Callable[[str, str], None]) -> None:
        """The supervisor's softphone answers: they join as the desk asked (muted, coaching)."""
        if added.sid in self.answered:
            return
        self.answered.add(added.sid)
        self.caller.twilio.post(added.listener.status_url, self._leg(added, "in-progress"))
        coaching = "true" if added.listener.coaching else "false"
        muted = "true" if added.listener.muted else "false"
        self.event("participant-join", added.sid, "supervisor", Muted=muted, Coaching=coaching)
        if not added.listener.muted and not added.listener.coaching:
            say("event", "A supervisor joined the call.")

    def end_listener(self, sid: str) -> None:
        added = self.listeners.pop(sid, None)
        if added is not None and sid in self.answered:
            self.answered.discard(sid)
            self.event("participant-leave", sid, "supervisor")
        if added is not None:
            self.caller.twilio.post(added.listener.status_url, self._leg(added, "completed"))

    def step_out(self) -> None:
        """The caller's leg is redirected away for a while: the operator stays."""
        self.event("participant-leave", self.caller.sid, "caller")

    def leave(self, adapter: LocalTelephony) -> None:
        """The caller leaves. Here the conference ends with them (the local adapter does not
        keep an operator alone in a conference), and every other leg with it."""
        adapter.rung.pop(self.name, None)  # a leg still ringing has no one left to meet
        self.event("participant-leave", self.caller.sid, "caller")
        for sid in list(self.listeners):
            self.end_listener(sid)
        self.end_operator_leg(adapter)

    def end_operator_leg(self, adapter: LocalTelephony) -> None:
        leg, self.operator = self.operator, None
        if leg is not None:
            adapter.orders.pop(leg.sid, None)
            self.event("participant-leave", leg.sid, "operator")
            self.caller.twilio.post(leg.status_url, self._params(leg, "completed"))
            self.event("conference-end")

    def _params(self, leg: RungLeg, status: str) -> dict[str, str]:
        """What Twilio sends with the operator leg's webhooks: a call from the desk's number."""
        return {
            **self.caller.params(CallSid=leg.sid, From=DESK_NUMBER, To=leg.to),
            "Direction": "outbound-api",
            "CallStatus": status,
        }

    def _leg(self, added: AddedLeg, status: str) -> dict[str, str]:
        return {
            **self.caller.params(CallSid=added.sid, From=DESK_NUMBER, To=added.listener.to),
            "Direction": "outbound-api",
            "CallStatus": status,
        }


def is_softphone(to: str) -> bool:
    """Whether a leg rings the console's softphone, which answers it itself."""
    return to.startswith("client:")
