"""Where a dev phone's call waits for its operator: in a queue, then in a conference.

The local telephony adapter only notes that it rang the operator's leg: on a desk without
Twilio no phone rings. So the dev phone answers the leg when the caller reaches the conference:
the leg fetches its own TwiML (a whisper, then the same conference), and when it hangs up the
desk gets the status callback that Twilio would send.
"""

import itertools
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from desk.dev.devphone.line import twiml_of
from desk.dev.simulator import Phone
from ivr.telephony import LocalTelephony, RungLeg

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
    JOINED = "joined"
    ELSEWHERE = "elsewhere"


@dataclass
class Conference:
    """A caller's place in a conference, and the operator's leg in it once answered."""

    name: str
    caller: Phone
    operator: RungLeg | None = None

    def meet_operator(self, adapter: LocalTelephony) -> Meeting:
        """Answer the operator's leg, once the desk has rung it into this conference."""
        leg = adapter.rung.pop(self.name, None)
        if leg is None:
            return Meeting.NOT_RUNG
        root = twiml_of(self.caller.twilio.post(leg.url, self._params(leg, "in-progress")))
        joined = None if root is None else root.find("Dial/Conference")
        if joined is None or (joined.text or "").strip() != self.name:
            return Meeting.ELSEWHERE
        self.operator = leg
        return Meeting.JOINED

    def has_operator_left(self, adapter: LocalTelephony) -> bool:
        """Whether the desk hung up the operator's leg; if so, the leg's call is over."""
        order = None if self.operator is None else adapter.take_order(self.operator.sid)
        if order is None or not order.is_hang_up:
            return False
        self.end_operator_leg(adapter)
        return True

    def leave(self, adapter: LocalTelephony) -> None:
        """The caller leaves. Every leg joins with endConferenceOnExit, so it is over for all."""
        adapter.rung.pop(self.name, None)  # a leg still ringing has no one left to meet
        self.end_operator_leg(adapter)

    def end_operator_leg(self, adapter: LocalTelephony) -> None:
        leg, self.operator = self.operator, None
        if leg is not None:
            adapter.orders.pop(leg.sid, None)
            self.caller.twilio.post(leg.status_url, self._params(leg, "completed"))

    def _params(self, leg: RungLeg, status: str) -> dict[str, str]:
        """What Twilio sends with the operator leg's webhooks: a call from the desk's number."""
        return {
            **self.caller.params(CallSid=leg.sid, From=DESK_NUMBER, To=leg.to),
            "Direction": "outbound-api",
            "CallStatus": status,
        }
