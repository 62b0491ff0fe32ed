"""Virtual hold: a queued caller on a registered number may choose to be called back instead.

The offer is part of what the queue plays (ivr/flow.py `waiting`). Pressing 1 takes the caller
out of Twilio's queue (`<Leave>`) but not out of the desk's: the call stays queued, in its
place, and when an operator takes it the desk rings the operator first, then calls the
practitioner back, who keys their PIN and a fresh code as on any call-back (ivr/rechecks.py).
"""

from datetime import datetime

from flask import url_for
from sqlalchemy import select

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from ivr import calls, flow, twiml
from ivr.models import Call, CallStatus


def can_call_back(call: Call | None) -> bool:
    """Whether a waiting caller may be offered a call-back: only to the registered number
    they are calling from, so that the desk calls nowhere the caller did not prove."""
    return (
        call is not None
        and call.status == CallStatus.QUEUED
        and call.is_registered_number is True
        and not call.is_callback_requested
    )


def waiting(sid: str, queue_sid: str, position: int) -> str:
    """What the queue plays now, with the call-back offer where the caller may have it."""
    calls.note_queue(sid, queue_sid)
    call = db.session.scalar(select(Call).where(Call.sid == sid)) if sid else None
    step = flow.waiting(position, can_call_back(call))
    return twiml.render(step, answer_url=url_for("ivr.call_me_back"))


def call_me_back(sid: str, digits: str, now: datetime) -> str:
    """The caller's answer to the offer: 1 leaves Twilio's queue, keeping the desk's place."""
    call = calls.find(sid)
    step = flow.offered(digits)
    if not step.is_leaving_queue or not can_call_back(call):
        return twiml.empty()  # the queue plays its wait URL again
    assert call is not None
    call.is_callback_requested = True
    record(Event.CALL_CALLBACK_REQUESTED, call_id=call.id, practitioner_id=call.practitioner_id)
    return twiml.render(step)
