"""Rate limits: on signing in, per address; on the IVR's keypad webhooks, per call."""

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ivr.signature import is_from_twilio


def sign_in_limit() -> str:
    return str(current_app.config["DESK_SIGN_IN_RATE_LIMIT"])


def ivr_limit() -> str:
    return str(current_app.config["DESK_IVR_RATE_LIMIT"])


def caller_key() -> str:
    """The call a webhook is about, if Twilio signed it; else the address that sent it.

    Twilio sends every caller's webhooks from a few addresses of its own, so a limit per
    address would let one busy call starve the rest. The CallSid is only trusted once signed:
    otherwise anyone could spend a real call's allowance by posting its CallSid unsigned.
    """
    if is_from_twilio(request):
        return "call:" + request.form.get("CallSid", "")
    return "unsigned:" + get_remote_address()


def register(app: Flask) -> Limiter:
    """A limiter for this app, in DESK_RATE_LIMIT_STORAGE, on sign-in and the keypad webhooks."""
    # One limiter per app, not a module global: Flask-Limiter keeps its storage on the
    # instance, and an app factory may build several apps in one process.
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["DESK_RATE_LIMIT_STORAGE"],
        strategy="moving-window",
        default_limits=[],
    )
    limits = {
        "auth.sign_in": limiter.limit(sign_in_limit, methods=["POST"]),
        "ivr.voice": limiter.limit(ivr_limit, key_func=caller_key),
        "ivr.answer": limiter.limit(ivr_limit, key_func=caller_key),
    }
    for endpoint, limit in limits.items():
        if endpoint in app.view_functions:
            # Flask-Limiter's overloads widen a view to "maybe async"; it stays the same view.
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])  # type: ignore[assignment]
    # The limits hold the limiter weakly, and a disabled limiter keeps no other reference.
    app.extensions["desk.limiter"] = limiter
    return limiter
