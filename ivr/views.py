"""Twilio's webhooks. Each parses the form, calls the call service, commits once, answers TwiML."""

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, TooManyRequests

from desk.core.extensions import csrf, db
from desk.core.types import utcnow
from ivr import calls, flow, line, rechecks, twiml, virtual_hold
from ivr.signature import twilio_only
from ivr.telephony import TelephonyError, telephony
from ivr.twiml import twiml_response

bp = Blueprint("ivr", __name__, url_prefix="/ivr")
# The Twilio signature takes the place of a CSRF token on these endpoints, and only here.
csrf.exempt(bp)


def _int(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


@bp.post("/voice")
@twilio_only
def voice() -> Response:
    xml = calls.arrive(request.form.get("CallSid", ""), request.form.get("From"), utcnow())
    db.session.commit()
    return twiml_response(xml)


@bp.post("/answer")
@twilio_only
def answer() -> Response:
    turn = request.args.get("turn", type=int)
    digits = request.form.get("Digits", "")
    xml = calls.answer(request.form.get("CallSid", ""), turn, digits, utcnow())
    db.session.commit()
    return twiml_response(xml)


@bp.post("/wait")
@twilio_only
def wait() -> Response:
    form = request.form
    position = _int("QueuePosition") or 1
    xml = virtual_hold.waiting(form.get("CallSid", ""), form.get("QueueSid", ""), position)
    db.session.commit()
    return twiml_response(xml)


@bp.post("/call-me-back")
@twilio_only
def call_me_back() -> Response:
    """A queued caller's key in answer to the call-back offer."""
    xml = virtual_hold.call_me_back(
        request.form.get("CallSid", ""), request.form.get("Digits", ""), utcnow()
    )
    db.session.commit()
    return twiml_response(xml)


@bp.post("/conference/caller")
@twilio_only
def caller_joins() -> Response:
    return twiml_response(calls.join_conference(request.args.get("call", ""), is_operator=False))


@bp.post("/conference/operator")
@twilio_only
def operator_joins() -> Response:
    return twiml_response(calls.join_conference(request.args.get("call", ""), is_operator=True))


@bp.post("/conference/events")
@twilio_only
def conference_events() -> Response:
    line.note_conference(request.args.get("call", ""), request.form, utcnow())
    db.session.commit()
    return twiml_response(twiml.empty())


@bp.post("/conference/hold")
@twilio_only
def on_hold() -> Response:
    return twiml_response(twiml.on_hold())


@bp.post("/requeue")
@twilio_only
def requeue() -> Response:
    xml = calls.requeue(request.form.get("CallSid", ""), utcnow())
    db.session.commit()
    return twiml_response(xml)


@bp.post("/operator-status")
@twilio_only
def operator_status() -> Response:
    line.note_operator_leg(
        request.args.get("call", ""), request.form.get("CallStatus", ""), utcnow()
    )
    db.session.commit()
    return twiml_response(twiml.empty())


@bp.post("/listener-status")
@twilio_only
def listener_status() -> Response:
    form = request.form
    line.note_listener_leg(
        request.args.get("call", ""), form.get("CallSid", ""), form.get("CallStatus", ""), utcnow()
    )
    db.session.commit()
    return twiml_response(twiml.empty())


@bp.post("/left-queue")
@twilio_only
def left_queue() -> Response:
    form = request.form
    xml = calls.leave_queue(
        form.get("CallSid", ""), form.get("QueueResult", ""), _int("QueueTime"), utcnow()
    )
    db.session.commit()
    return twiml_response(xml)


@bp.post("/status")
@twilio_only
def status() -> Response:
    form = request.form
    rechecks.update_status(
        form.get("CallSid", ""),
        form.get("CallStatus", ""),
        _int("CallDuration"),
        _int("SequenceNumber"),
        utcnow(),
    )
    db.session.commit()
    return twiml_response(twiml.empty())


@bp.post("/recheck/<recheck>/start")
@twilio_only
def recheck_start(recheck: str) -> Response:
    """The desk's call-back was answered, or the caller's leg was taken aside to key again."""
    xml = rechecks.start(recheck, request.form.get("CallSid", ""), utcnow())
    db.session.commit()
    return twiml_response(xml)


@bp.post("/recheck/<recheck>/answer")
@twilio_only
def recheck_answer(recheck: str) -> Response:
    turn = request.args.get("turn", type=int)
    digits = request.form.get("Digits", "")
    xml = rechecks.answer(recheck, request.form.get("CallSid", ""), turn, digits, utcnow())
    db.session.commit()
    replaced = rechecks.replaced_leg(recheck)
    if replaced is not None:
        # After the commit, with nothing open: the call-back's leg is the caller's now.
        _hang_up_first_leg(replaced)
    return twiml_response(xml)


def _hang_up_first_leg(call_sid: str) -> None:
    try:
        telephony().hang_up(call_sid)
    except TelephonyError:
        current_app.logger.info("The first leg was gone when a call-back replaced it")


@bp.post("/recheck/<recheck>/status")
@twilio_only
def recheck_status(recheck: str) -> Response:
    form = request.form
    rechecks.leg_status(
        recheck, form.get("CallSid", ""), form.get("CallStatus", ""), _int("CallDuration"), utcnow()
    )
    db.session.commit()
    return twiml_response(twiml.empty())


@bp.post("/fallback")
@twilio_only
def fallback() -> Response:
    current_app.logger.error(
        "Twilio fell back after error %s on %s",
        request.form.get("ErrorCode", "?"),
        request.form.get("ErrorUrl", "?"),
    )
    return twiml_response(twiml.render(flow.unavailable()))


@bp.errorhandler(TooManyRequests)
def too_many(error: TooManyRequests) -> Response:
    """A call over its rate limit hears the safe message: Twilio would play an error on a 429."""
    current_app.logger.warning(
        "Webhook %s rate-limited; the caller was told to try later", request.path
    )
    return twiml_response(twiml.render(flow.unavailable()))


@bp.errorhandler(Exception)
def unavailable(error: Exception) -> Response | HTTPException:
    """Anything that goes wrong in a webhook: the caller hears a safe message, never a 500."""
    if isinstance(error, HTTPException):
        return error
    db.session.rollback()
    # The form is not logged: it holds what the caller keyed.
    current_app.logger.exception(
        "Webhook %s failed; the caller was told to try later", request.path
    )
    return twiml_response(twiml.render(flow.unavailable()))
