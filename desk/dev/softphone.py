"""The console's softphone on a local desk: its leg rings, answers and hangs up here.

With Twilio, the softphone is the Voice SDK in the browser and Twilio carries its leg. On a
desk with the local telephony adapter the dev phone's call carries the conference
(desk/dev/devphone/places.py), so the softphone asks it instead: whether a leg to its own
`client:` identity is ringing or connected, to answer it, to hang it up. Hold and mute go
through the desk's own pages in both cases, as REST calls the local adapter plays.
"""

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from desk.dev.devphone.switchboard import local_telephony, switchboard
from desk.staff.access import role_required
from desk.staff.models import Role
from desk.staff.sessions import background

bp = Blueprint("devsoftphone", __name__, url_prefix="/dev/softphone")
staff_on_calls = role_required(Role.OPERATOR, Role.SUPERVISOR)


def _target() -> str:
    return f"client:{current_user.softphone_identity}"


@bp.get("/leg")
@background
@staff_on_calls
def leg() -> Response:
    """What the softphone's own leg is doing: idle, ringing or connected."""
    found = switchboard().carrying(_target())
    return jsonify(state=found[1] if found else "idle")


@bp.post("/answer")
@background
@staff_on_calls
def answer() -> Response:
    found = switchboard().carrying(_target())
    if found is None:
        return jsonify(state="idle")
    call, _ = found
    with call.lock:
        conference = call.conference
        listener = conference.ringing_listener(_target()) if conference else None
        if conference is not None and listener is not None:
            conference.answer_listener(listener, call.hear)
        else:
            call.answer()
    found = switchboard().carrying(_target())
    return jsonify(state=found[1] if found else "idle")


@bp.post("/hang-up")
@background
@staff_on_calls
def hang_up() -> Response:
    found = switchboard().carrying(_target())
    if found is not None:
        call, _ = found
        with call.lock:
            conference = call.conference
            listener = conference.ringing_listener(_target()) if conference else None
            if conference is not None and listener is not None:
                # Hanging up a listen-in is the desk's to do (it audits it): as Twilio would,
                # the leg ends, and its status callback ends the listen-in.
                local_telephony().orders.pop(listener.sid, None)
                conference.end_listener(listener.sid)
            else:
                call.operator_hangs_up()
    return jsonify(state="idle")


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
