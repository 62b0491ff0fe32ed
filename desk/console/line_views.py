"""The line's pages: the JSON the call page and the softphone follow, hold and mute, the
softphone itself and its access token.

Hold and mute are posts of the call page's own small forms (the softphone sends the same
forms): they commit their intent, then make one REST call (desk/console/call_line.py).
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from desk.console import call_line, listening
from desk.console import handling as handlings
from desk.console.answering import after_commit, refusals_back_to, to_call_page, valid
from desk.console.forms import ActionForm
from desk.console.models import LISTEN_MODE_LABELS, ListenMode
from desk.core.extensions import db
from desk.core.refusals import Refused
from desk.core.types import utcnow
from desk.staff.access import role_required
from desk.staff.models import Role
from desk.staff.sessions import background
from ivr import tokens
from ivr.telephony import telephony

bp = Blueprint("line", __name__, url_prefix="/console")
operators_only = role_required(Role.OPERATOR)
supervisors_only = role_required(Role.SUPERVISOR)
staff_on_calls = role_required(Role.OPERATOR, Role.SUPERVISOR)


@bp.get("/calls/<public_id>/line")
@background
@operators_only
def line(public_id: str) -> Response | tuple[Response, int]:
    """The line of the operator's own call, polled by the call page every second."""
    try:
        held = handlings.held_call(current_user, public_id)
    except Refused:
        return jsonify(error="That call is not yours to work on."), 404
    return jsonify(call_line.state(held, utcnow()))


def _adjust(public_id: str, action: str) -> BaseResponse:
    held = handlings.active_handling(current_user, public_id, utcnow())
    valid(ActionForm())
    if action in {"hold", "resume"}:
        work = call_line.hold(current_user, held, action == "hold")
    else:
        work = call_line.mute(current_user, held, action == "mute")
    failed = after_commit(work)
    if failed:
        flash(failed, "error")
    return redirect(to_call_page(public_id))


@bp.post("/calls/<public_id>/hold")
@operators_only
@refusals_back_to(to_call_page)
def hold(public_id: str) -> BaseResponse:
    return _adjust(public_id, "hold")


@bp.post("/calls/<public_id>/resume")
@operators_only
@refusals_back_to(to_call_page)
def resume(public_id: str) -> BaseResponse:
    return _adjust(public_id, "resume")


@bp.post("/calls/<public_id>/mute")
@operators_only
@refusals_back_to(to_call_page)
def mute(public_id: str) -> BaseResponse:
    return _adjust(public_id, "mute")


@bp.post("/calls/<public_id>/unmute")
@operators_only
@refusals_back_to(to_call_page)
def unmute(public_id: str) -> BaseResponse:
    return _adjust(public_id, "unmute")


@bp.get("/softphone")
@staff_on_calls
def softphone() -> str:
    """The softphone: a window of its own, open all shift, so that moving between the
    console's pages never drops the call it carries."""
    mode = current_app.config["DESK_TELEPHONY"]
    return render_template("console/softphone.html", mode=mode, form=ActionForm())


@bp.get("/softphone/now")
@background
@staff_on_calls
def softphone_now() -> Response:
    """What the softphone shows: the operator's call, or the supervisor's listen-in."""
    now = utcnow()
    if current_user.role is Role.OPERATOR:
        held = handlings.open_handling(current_user)
        return jsonify(line=call_line.state(held, now) if held else None)
    return jsonify(line=listening.softphone_state(current_user, now))


@bp.get("/softphone/token")
@background
@staff_on_calls
def softphone_token() -> Response:
    """An access token for the Voice SDK: the staff member's opaque identity, incoming calls
    only, for a few minutes; the softphone asks again before it expires."""
    config = current_app.config
    if config["DESK_TELEPHONY"] != "twilio":
        abort(404)
    try:
        token = tokens.voice_token(config, current_user.softphone_identity)
    except tokens.NotConfigured:
        abort(503)
    return jsonify(token=token, ttl=config["DESK_SOFTPHONE_TOKEN_SECONDS"])


@bp.get("/live")
@supervisors_only
def live() -> str:
    """The calls operators are on now, for a supervisor to listen in to, coach or join."""
    return render_template(
        "console/live.html",
        handlings=listening.live_calls(),
        listening_to=listening.open_listen_in(current_user),
        modes=LISTEN_MODE_LABELS,
        now=utcnow(),
        form=ActionForm(),
    )


def to_live(**_: str) -> str:
    return url_for("line.live")


@bp.post("/live/<public_id>/join")
@supervisors_only
@refusals_back_to(to_live)
def join(public_id: str) -> BaseResponse:
    valid(ActionForm())
    try:
        mode = ListenMode(request.form.get("mode", ""))
    except ValueError as error:
        raise Refused("Choose to listen, coach or speak to both.") from error
    work = listening.start(current_user, public_id, mode, utcnow())
    call_sid = after_commit(work)
    failed = listening.finish_start(current_user, work, call_sid, utcnow())
    db.session.commit()
    if failed:
        flash(failed, "error")
    else:
        flash(
            f"{LISTEN_MODE_LABELS[mode]}: answer on your softphone. The operator sees you.",
            "success",
        )
    return redirect(to_live())


@bp.post("/live/leave")
@supervisors_only
@refusals_back_to(to_live)
def leave() -> BaseResponse:
    valid(ActionForm())
    legs = listening.stop(current_user, utcnow())
    db.session.commit()
    listening.hang_up_legs(telephony(), legs)
    flash("You have left the call.", "success")
    return redirect(to_live())


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
