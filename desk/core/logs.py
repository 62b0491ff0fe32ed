"""The desk's logs: one JSON object a line, each tagged with its request's id and its call.

Every record the desk (or a library) logs goes out through `JsonFormatter`, with the id of the
request it was logged in and the public id of the call that request is about, so that one
call's lines can be found on every server it touched. What a line may hold is what the code
passes: no view logs a form, a query string or a typed value, and the request line names the
URL rule (`/console/calls/<public_id>`), never the path, which could carry a record's token.
"""

import json
import logging
import re
import secrets
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

# nginx's $request_id is 32 hex digits; an id sent from elsewhere is kept only if it looks so.
REQUEST_ID = re.compile(r"^[0-9A-Za-z-]{8,64}$")
# A LogRecord's own attributes: what is left over was passed in `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def new_request_id(sent: str | None) -> str:
    """The id the proxy gave this request, if it gave a plausible one; else a new one."""
    return sent if sent and REQUEST_ID.fullmatch(sent) else secrets.token_hex(16)


def about_call(public_id: str | None) -> None:
    """Tag the rest of this request's lines with the call it is about (its public id)."""
    if public_id and has_request_context():
        g.log_call = public_id


def request_fields() -> dict[str, str]:
    """The request id and call of the request being served, if any."""
    if not has_request_context():
        return {}
    fields = {"request_id": g.get("request_id")}
    if g.get("log_call"):
        fields["call"] = g.log_call
    return {k: v for k, v in fields.items() if v}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's tags, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **request_fields(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and where, not its message: a database error's message
            # can quote the values of the statement that failed.
            kind, _, tb = record.exc_info
            line["exception"] = kind.__name__
            line["traceback"] = "".join(traceback.format_tb(tb))
        return json.dumps(line, default=str, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler to whatever sys.stderr is at each record (a test runner swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(level: int = logging.INFO) -> None:
    """Send every logger's records to standard error as JSON lines, once.

    Under gunicorn, deploy/gunicorn.conf.py has already given the root logger a JSON handler
    (for gunicorn's own lines too): a second would write every line twice.
    """
    root = logging.getLogger()
    root.setLevel(level)
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
