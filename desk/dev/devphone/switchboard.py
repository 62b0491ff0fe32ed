"""The dev phones' calls, held in this process by CallSid, and who answers an operator's leg.

In memory rather than in the database: these calls stand for Twilio's side of the line, which
the desk never stores, and the local telephony adapter whose orders they follow lives in this
process anyway. So the desk's tables hold exactly what they would with Twilio, and the dev phone
works as long as the desk runs as one process (`flask run`), which is how a local desk runs.
"""

import contextvars
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import select

from desk.core.extensions import db
from desk.dev.devphone.carrier import SimulatedCall
from desk.dev.devphone.line import DeskLine, Mode
from desk.dev.devphone.places import Conference
from desk.dev.simulator import Phone, Twilio
from desk.staff.models import Staff
from ivr.telephony import LocalTelephony, telephony

# A call whose page has not been heard from for this long was left behind: it is hung up.
# (A browser may slow a hidden tab's timers to one a minute, so this allows several.)
SILENT_SECONDS = 300
# An ended call is kept a while, so that its page can still be told how it ended.
ENDED_SECONDS = 600


class Switchboard:
    """Every call the dev phones have made through this process."""

    def __init__(self, app: Flask, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.calls: dict[str, SimulatedCall] = {}
        self._lock = threading.Lock()

    def dial(self, caller: str | None, public_url: str) -> SimulatedCall:
        """Place a new call from `caller` (None: a withheld number) to the desk."""
        self.tidy()
        twilio = Twilio(DeskLine(self.app), self.app.config["TWILIO_AUTH_TOKEN"] or "", public_url)
        call = SimulatedCall(
            twilio.call(caller),
            telephony=local_telephony,
            queue_position=self.queue_position,
            operator_name=self.operator_name,
            clock=self.clock,
            claim_conference=self.claim_conference,
        )
        with self._lock:
            self.calls[call.sid] = call
        with call.lock:
            call.dial()
        return call

    def answer(self, number: str, public_url: str) -> SimulatedCall | None:
        """Pick up the desk's call ringing `number` (a call-back), if one is."""
        ringing = local_telephony().take_ringing(number)
        if ringing is None:
            return None
        self.tidy()
        twilio = Twilio(DeskLine(self.app), self.app.config["TWILIO_AUTH_TOKEN"] or "", public_url)
        call = SimulatedCall(
            Phone(twilio, number, sid=ringing.sid),
            telephony=local_telephony,
            queue_position=self.queue_position,
            operator_name=self.operator_name,
            clock=self.clock,
            claim_conference=self.claim_conference,
            status_url=ringing.status_url,
        )
        with self._lock:
            self.calls[call.sid] = call
        with call.lock:
            call.answer_desk(ringing.answer_url)
        return call

    def claim_conference(self, name: str) -> Conference | None:
        """Hand over the conference of this name from the call in it (or stepped out of it):
        a verified call-back takes the place of the call's first leg."""
        with self._lock:
            calls = list(self.calls.values())
        for call in calls:
            for place in ("conference", "aside"):
                conference = getattr(call, place)
                if conference is not None and conference.name == name:
                    setattr(call, place, None)
                    return conference  # type: ignore[no-any-return]
        return None

    def find(self, sid: str) -> SimulatedCall | None:
        with self._lock:
            return self.calls.get(sid)

    def queue_position(self, call: SimulatedCall) -> int:
        """Where the call is in its queue, counting the dev phones' calls waiting in it."""
        with self._lock:
            waiting = [c for c in self.calls.values() if c.queue and c.mode is Mode.QUEUED]
        mine = call.queue
        if mine is None:
            return 1
        ahead = [
            c
            for c in waiting
            if c.queue is not None and c.queue.name == mine.name and c.queue.arrival < mine.arrival
        ]
        return len(ahead) + 1

    def operator_name(self, leg: str) -> str:
        """Who answers a leg: the one member of staff whose phone it is, else the leg itself."""

        def lookup() -> str:
            # An app context of its own, so no transaction lingers in the browser's request.
            with self.app.app_context():
                scheme, _, identity = leg.partition(":")
                whose = (
                    Staff.softphone_identity == identity
                    if scheme == "client"
                    else Staff.phone_leg == leg
                )
                names = db.session.scalars(select(Staff.name).where(whose))
                found = list(names)
            return found[0] if len(found) == 1 else leg

        return contextvars.Context().run(lookup)

    def carrying(self, target: str) -> tuple[SimulatedCall, str] | None:
        """The call whose conference rings or holds the leg to `target` (a softphone's
        `client:` leg), and what that leg is doing: ringing, or connected."""
        adapter = local_telephony()
        with self._lock:
            calls = list(self.calls.values())
        for call in calls:
            conference = call.conference
            if conference is None:
                continue
            if conference.operator is not None and conference.operator.to == target:
                return call, "connected"
            rung = adapter.rung.get(conference.name)
            if rung is not None and rung.to == target:
                return call, "ringing"
            listener = conference.ringing_listener(target)
            if listener is not None:
                return call, "connected" if listener.sid in conference.answered else "ringing"
        return None

    def tidy(self) -> None:
        """Hang up calls whose page went quiet, and forget calls long ended."""
        now = self.clock()
        with self._lock:
            calls = list(self.calls.values())
        for call in calls:
            with call.lock:
                if call.mode is not Mode.ENDED and now - call.last_seen_at > SILENT_SECONDS:
                    call.hang_up()
                if call.mode is Mode.ENDED and now - call.last_seen_at > ENDED_SECONDS:
                    with self._lock:
                        self.calls.pop(call.sid, None)


def local_telephony() -> LocalTelephony:
    """The app's telephony adapter, which is the local one wherever the dev phone exists."""
    adapter = telephony()
    if not isinstance(adapter, LocalTelephony):
        raise RuntimeError("the dev phone needs DESK_TELEPHONY=local")
    return adapter


def switchboard() -> Switchboard:
    """This app's switchboard (one per process)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    board: Switchboard | None = app.extensions.get("desk.devphone")
    if board is None:
        board = app.extensions.setdefault("desk.devphone", Switchboard(app))
    return board
