"""The metrics and the JSON logs in one process: the topology test checks them under gunicorn
behind nginx (tests/topology); these check the rules themselves, quickly."""

import json
import logging
import re
import sys
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from desk.core import logs
from desk.dev.simulator import Twilio
from tests.factories import PHONE, PIN, current_code


def scrape(client: FlaskClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def value(text: str, sample: str) -> float:
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, flags=re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_verified_call_is_counted_with_no_identifier_in_any_label(
    client: FlaskClient, sam: str, twilio: Twilio
) -> None:
    before = scrape(client)
    phone = twilio.call(PHONE)
    phone.dial()
    code = current_code()
    phone.verify("40000001", PIN, code)
    after = scrape(client)

    succeeded = 'desk_verifications_total{outcome="succeeded"}'
    assert value(after, succeeded) == value(before, succeeded) + 1
    step = 'desk_webhook_seconds_count{step="answer"}'
    assert value(after, step) == value(before, step) + 3
    assert value(after, "desk_queue_length") >= 1
    for secret in ("40000001", PIN, code, PHONE, phone.sid):
        assert secret not in after


@pytest.mark.parametrize(
    "headers",
    [{"X-Forwarded-For": "127.0.0.1"}, {"X-Real-IP": "127.0.0.1"}, {"X-Forwarded-Proto": "https"}],
)
def test_the_metrics_are_refused_to_anything_that_came_through_a_proxy(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    assert client.get("/metrics", headers=headers).status_code == 404


def test_the_metrics_are_refused_to_another_machine(client: FlaskClient) -> None:
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert remote.status_code == 404


class Lines(logging.Handler):
    """Every record as the desk's handler writes it: formatted as it is logged."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logs.JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logged() -> Iterator[list[str]]:
    handler = Lines()
    root, request_log = logging.getLogger(), logging.getLogger("desk.request")
    # Alembic's logging setup, run by the migrations earlier in the same process, raises the
    # root's level and disables the loggers that existed then; a server never runs it.
    level, disabled = root.level, request_log.disabled
    root.setLevel(logging.INFO)
    request_log.disabled = False
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        request_log.disabled = disabled


def test_each_request_is_one_json_line_with_its_id_and_no_query_or_form(
    client: FlaskClient, sam: str, twilio: Twilio, logged: list[str]
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    code = current_code()
    phone.verify("40000001", PIN, code)
    lines = list(logged)
    requests = [json.loads(line) for line in lines if '"logger": "desk.request"' in line]
    assert [r["endpoint"] for r in requests] == ["ivr.voice"] + ["ivr.answer"] * 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"]) for r in requests)
    assert len({r["request_id"] for r in requests}) == 4
    # The first knows no call yet (it makes it); the rest are tagged with its public id.
    assert len({r.get("call") for r in requests[1:]}) == 1 and requests[1]["call"]
    assert all(r["rule"] == "/ivr/answer" for r in requests[1:])  # no ?turn=, no path
    for line in lines:
        for secret in ("40000001", PIN, code, PHONE, phone.sid):
            assert secret not in line


def test_a_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(
    client: FlaskClient,
) -> None:
    kept = client.get("/healthz", headers={"X-Request-Id": "0123456789abcdef0123456789abcdef"})
    assert kept.headers["X-Request-Id"] == "0123456789abcdef0123456789abcdef"
    replaced = client.get("/healthz", headers={"X-Request-Id": "<script>1234"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-Id"])


def test_a_logged_exception_gives_its_type_and_where_but_not_its_message() -> None:
    detail = "".join(["child Ame", "lia O'Neill 2015-03-14"])  # as data, not in the source
    try:
        raise ValueError(detail)
    except ValueError:
        record = logging.getLogger("desk").makeRecord(
            "desk",
            logging.ERROR,
            __file__,
            1,
            "Webhook failed",
            (),
            exc_info=sys.exc_info(),
        )
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["exception"] == "ValueError" and "test_metrics_and_logs.py" in line["traceback"]
    assert "Amelia" not in json.dumps(line)
