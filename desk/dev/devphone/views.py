"""The dev phone's page, and the relay its script drives; every call is carried on the server.

No sign-in: a practitioner has no desk account. The blueprint exists only on a desk with the
local telephony adapter. The relay's posts are the page's own, so they carry its CSRF token.
"""

import re
import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from desk.dev.demo import DEMO_PRACTITIONERS, demo_command
from desk.dev.devphone.carrier import SimulatedCall
from desk.dev.devphone.switchboard import switchboard
from desk.staff.sessions import background
from ivr.telephony import LocalTelephony, Sms, telephony

bp = Blueprint("devphone", __name__, url_prefix="/devphone")
# The relay's views are marked `background`: a dev phone's requests are never a member of
# staff's activity, even when an operator is signed in in the same browser.

# What a keypad can send in one Gather, and what a calling number may look like.
KEYS = re.compile(r"[0-9*#]{0,32}")
NUMBER = re.compile(r"\+?[0-9][0-9 ]{2,19}")

Answer = Response | tuple[Response, int]


def _refused(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def _report(call: SimulatedCall, status: int = 200) -> tuple[Response, int]:
    return jsonify(call.report()), status


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def another_number() -> str:
    """A number registered to no one in the demo, from Ofcom's range kept for drama."""
    return f"+447700900{500 + secrets.randbelow(500):03d}"


@bp.get("")
def phone() -> str:
    return render_template(
        "devphone/phone.html",
        demo=DEMO_PRACTITIONERS[0],
        code_command=demo_command(f"code {DEMO_PRACTITIONERS[0].practitioner_id}"),
        another=another_number(),
        messages=_messages(),
    )


def _messages() -> list[Sms]:
    """The text messages the desk has sent (through the local adapter), newest first: what a
    practitioner's mobile would have received, e.g. a brokered request's outcome."""
    adapter = telephony()
    return list(reversed(adapter.messages)) if isinstance(adapter, LocalTelephony) else []


@bp.post("/calls")
@background
def dial() -> Answer:
    caller = _body().get("caller")
    if caller is not None and not (isinstance(caller, str) and NUMBER.fullmatch(caller)):
        return _refused(400, "That is not a phone number.")
    # Twilio signs the URL it calls: the desk's public URL, or the one this page came from.
    public_url = current_app.config["DESK_PUBLIC_URL"] or request.host_url
    return _report(switchboard().dial(caller, public_url), 201)


@bp.get("/ringing")
@background
def ringing() -> Answer:
    """Whether the desk is calling this number (a call-back), for the idle page to ring."""
    number = request.args.get("number", "")
    adapter = telephony()
    return jsonify(ringing=isinstance(adapter, LocalTelephony) and adapter.is_ringing(number))


@bp.post("/answer")
@background
def answer() -> Answer:
    number = _body().get("number")
    if not (isinstance(number, str) and NUMBER.fullmatch(number)):
        return _refused(400, "That is not a phone number.")
    public_url = current_app.config["DESK_PUBLIC_URL"] or request.host_url
    call = switchboard().answer(number, public_url)
    if call is None:
        return _refused(404, "Nobody is calling this phone now.")
    return _report(call, 201)


@bp.post("/calls/<sid>/keys")
@background
def keys(sid: str) -> Answer:
    body = _body()
    digits, timed_out = body.get("digits", ""), body.get("timed_out") is True
    if not isinstance(digits, str) or not KEYS.fullmatch(digits):
        return _refused(400, "A keypad sends only 0-9, * and #.")
    return _on_call(sid, lambda call: call.press(digits, timed_out))


@bp.post("/calls/<sid>/poll")
@background
def poll(sid: str) -> Answer:
    return _on_call(sid, lambda call: call.poll())


@bp.post("/calls/<sid>/hang-up")
@background
def hang_up(sid: str) -> Answer:
    return _on_call(sid, lambda call: call.hang_up())


def _on_call(sid: str, act: Callable[[SimulatedCall], object]) -> Answer:
    """Do something to one of this desk's dev phone calls, one request at a time per call."""
    call = switchboard().find(sid)
    if call is None:
        return _refused(404, "There is no such call on this desk.")
    with call.lock:
        act(call)
        return _report(call)


@bp.after_request
def no_store(response: Response) -> Response:
    # A call's state changes with every request: never answer one from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
