"""One JSON line for every request, and its time in the metrics: the before and after hooks.

The line names the URL rule and the endpoint, never the path or the query string (a record's
token, a call's turn); the call it is about is its public id, from the URL or from the
webhook's CallSid (tagged by ivr.calls). nginx's request id (X-Request-Id) is kept, so the
proxy's access log and the desk's lines of one request can be joined.
"""

import logging
from time import perf_counter

from flask import Flask, g, request
from werkzeug.wrappers import Response

from desk.core import logs, metrics

log = logging.getLogger("desk.request")


def begin() -> None:
    g.request_id = logs.new_request_id(request.headers.get("X-Request-Id"))
    g.request_began = perf_counter()
    view_args = request.view_args or {}
    # The console's URLs name the call; the conference webhooks carry it as ?call=.
    public_id = view_args.get("public_id") or (
        request.args.get("call") if request.blueprint == "ivr" else None
    )
    logs.about_call(public_id)


def finish(response: Response) -> Response:
    seconds = perf_counter() - g.get("request_began", perf_counter())
    endpoint = request.endpoint or "unmatched"
    if request.blueprint == "ivr":
        metrics.webhook_answered(endpoint.removeprefix("ivr."), seconds)
    metrics.request_answered(response.status_code)
    response.headers["X-Request-Id"] = g.get("request_id", "")
    log.info(
        "request",
        extra={
            "method": request.method,
            "rule": request.url_rule.rule if request.url_rule else None,
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
    return response


def register(app: Flask) -> None:
    app.before_request(begin)
    app.after_request(finish)
