"""Twilio webhook signatures: every webhook proves it came from Twilio, or is refused."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Request, abort, current_app, request
from twilio.request_validator import RequestValidator

P = ParamSpec("P")
R = TypeVar("R")


def signed_url(req: Request) -> str:
    """The URL Twilio signed: the public URL's, never the Host header's.

    Only a development desk may have no public URL (desk.core.config refuses to start any
    other); it serves this machine alone, so the URL requested is the one signed.
    """
    public: str | None = current_app.config["DESK_PUBLIC_URL"]
    if not public:
        return req.url
    query = req.query_string.decode()
    return public.rstrip("/") + req.path + (f"?{query}" if query else "")


def is_from_twilio(req: Request) -> bool:
    """Whether the request carries a valid X-Twilio-Signature; never without an auth token."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = req.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return bool(RequestValidator(token).validate(signed_url(req), req.form, signature))


def twilio_only(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse (403) any request to the view that Twilio did not sign."""

    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_from_twilio(request):
            current_app.logger.warning("Refused unsigned or forged webhook to %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked
