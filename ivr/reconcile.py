"""Reconciliation: the desk asks Twilio how its open calls really stand, and puts them right.

A status callback can be lost, most often while the database was down: the call then stays
in the IVR, the queue or connected in the desk's eyes long after the caller hung up, a ghost
that the queue shows and the wallboard counts. Every call that has been open longer than
DESK_RECONCILE_AFTER_MINUTES is fetched from Twilio; one that Twilio says is over, or does not
know, is ended as its lost status callback would have ended it (ivr/calls.py `update_status`),
with a `call.reconciled` event saying so. A call still live is left alone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import db
from ivr.calls import TERMINAL_STATUSES, find, update_status
from ivr.models import Call, CallStatus
from ivr.telephony import CallerGone, LineStatus, TelephonyError, telephony

OPEN = (CallStatus.IN_IVR, CallStatus.QUEUED, CallStatus.CONNECTED)
# What a call Twilio no longer knows (404) is taken to have done.
UNKNOWN_TO_TWILIO = "not_found"


@dataclass
class Reconciled:
    """What one reconciliation did, in counts."""

    checked: int = 0
    ended: int = 0
    failed: int = 0


def stale_calls(now: datetime) -> list[str]:
    """The CallSids of calls open longer than the threshold, oldest first."""
    since = now - timedelta(minutes=current_app.config["DESK_RECONCILE_AFTER_MINUTES"])
    # Open since the call began, or since it was last queued (a requeued call starts afresh).
    opened = func.coalesce(Call.queued_at, Call.started_at)
    return list(
        db.session.scalars(
            select(Call.sid)
            .where(Call.status.in_(OPEN), Call.ended_at.is_(None), opened <= since)
            .order_by(opened)
        )
    )


def reconcile(now: datetime) -> Reconciled:
    """Ask Twilio about each stale call and end those that are over, each committed.

    Each REST call is made with no transaction open (design 4.5); then the call is locked and
    looked at afresh, so that a status callback that arrived meanwhile, having put it right
    already, wins; and that call's change is committed before the next REST call.
    """
    done = Reconciled()
    stale = stale_calls(now)
    db.session.commit()
    for sid in stale:
        done.checked += 1
        if _end_if_over(sid, now, done):
            done.ended += 1
        db.session.commit()
    return done


def _end_if_over(sid: str, now: datetime, done: Reconciled) -> bool:
    """Ask Twilio about one call, and end it if it is over; whether it was ended."""
    try:
        line = telephony().line_status(sid)
    except CallerGone:
        line = LineStatus(UNKNOWN_TO_TWILIO)
    except TelephonyError as error:
        done.failed += 1
        current_app.logger.warning("Reconciliation could not fetch a call: %s", error)
        return False
    if line.status not in TERMINAL_STATUSES and line.status != UNKNOWN_TO_TWILIO:
        return False
    call = find(sid)
    if call is None or call.status not in OPEN or call.ended_at is not None:
        return False
    before = call.status
    # The lost callback's work, with Twilio's own end time where it gives one.
    status = line.status if line.status in TERMINAL_STATUSES else "completed"
    update_status(sid, status, line.duration_seconds, None, line.ended_at or now)
    record(
        Event.CALL_RECONCILED,
        call_id=call.id,
        practitioner_id=call.practitioner_id,
        data={"was": before.value, "now": call.status.value, "twilio_status": line.status},
    )
    return True
