"""The console's softphone on a local desk: its leg rings, answers and hangs up here.

With Twilio, the softphone is the Voice SDK in the browser and Twilio carries its leg. On a
desk with the local telephony adapter the dev phone's call carries the conference
(desk/dev/devphone/places.py), so the softphone asks it instead: whether a leg to its own
`client:` identity is ringing or connected, to answer it, to hang it up. Hold and mute go
through the desk's own pages in both cases, as REST calls the local adapter plays.
"""

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from desk.core.extensions import db
from desk.dev.devphone.carrier import SimulatedCall
from desk.dev.devphone.switchboard import local_telephony, switchboard
from desk.staff.access import role_required
from desk.staff.models import Role
from desk.staff.sessions import background
from ivr.telephony import AddedLeg

bp = Blueprint("devsoftphone", __name__, url_prefix="/dev/softphone")
staff_on_calls = role_required(Role.OPERATOR, Role.SUPERVISOR)


def _target() -> str:
    target = f"client:{current_user.softphone_identity}"
    # No transaction of this request stays open while the dev phone's webhooks, requests of
    # their own, write theirs (on SQLite it would lock them out).
    db.session.rollback()
    return target


@bp.get("/leg")
@background
@staff_on_calls
def leg() -> Response:
    """What the softphone's own leg is doing: idle, ringing or connected."""
    found = switchboard().carrying(_target())
    return jsonify(state=found[1] if found else "idle")


def _leg() -> tuple[SimulatedCall, AddedLeg | None] | None:
    """The dev phone's call carrying this softphone's leg, and the leg if it is a listen-in."""
    target = _target()
    found = switchboard().carrying(target)
    if found is None:
        return None
    call, _ = found
    conference = call.conference
    return call, conference.ringing_listener(target) if conference else None


@bp.post("/answer")
@background
@staff_on_calls
def answer() -> Response:
    found = _leg()
    if found is not None:
        call, listener = found
        with call.lock:
            if call.conference is not None and listener is not None:
                call.conference.answer_listener(listener, call.hear)
            else:
                call.answer()
    return leg()


@bp.post("/hang-up")
@background
@staff_on_calls
def hang_up() -> Response:
    found = _leg()
    if found is not None:
        call, listener = found
        with call.lock:
            if call.conference is not None and listener is not None:
                # As Twilio would: the leg ends, and its status callback ends the listen-in
                # (the desk's to record).
                local_telephony().orders.pop(listener.sid, None)
                call.conference.end_listener(listener.sid)
            else:
                call.operator_hangs_up()
    return jsonify(state="idle")


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
