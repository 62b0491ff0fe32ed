"""Only Twilio's signed requests reach the call flow; failures still answer safe TwiML."""

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select

from desk.core.extensions import db
from desk.dev.simulator import QUEUE_SID, Phone, Twilio
from ivr import calls, flow
from ivr.models import Call
from tests.factories import PHONE, PIN, current_code
from tests.routes import PLAUSIBLE, Route, route_id, routes
from tests.stored import row_counts, stored_call

# Every webhook, walked from the URL map: one added to the blueprint is checked here unasked.
WEBHOOKS = [route for route in routes() if route.blueprint == "ivr"]

# The query strings the desk puts on the URLs it gives Twilio (ivr/twiml.py, calls.leg_for,
# the listen-ins); a webhook named nowhere here is called without one.
QUERIES = {
    "ivr.answer": "turn=1",
    "ivr.caller_joins": "call={call}",
    "ivr.operator_joins": "call={call}",
    "ivr.operator_status": "call={call}",
    "ivr.conference_events": "call={call}",
    "ivr.listener_status": "call={call}",
}

# Everything a webhook of a waiting call might be sent that would move, join or end the call
# if the desk believed it.
EVERYTHING = {
    "CallStatus": "completed",
    "CallDuration": "30",
    "SequenceNumber": "9",
    "Digits": PIN,
    "QueueSid": QUEUE_SID,
    "QueueResult": "hangup",
    "QueueTime": "20",
    "QueuePosition": "1",
    "ErrorCode": "11200",
    "ErrorUrl": "http://localhost/ivr/voice",
}


def webhook_path(route: Route, call: str = PLAUSIBLE["public_id"]) -> str:
    """The webhook's path with the query string the desk would give it, for call `call`."""
    query = QUERIES.get(route.endpoint, "").format(call=call)
    return f"{route.path}?{query}" if query else route.path


def call_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Call)) or 0


def columns(call: Call) -> dict[str, object]:
    return {column.key: getattr(call, column.key) for column in inspect(Call).column_attrs}


def test_every_webhook_twilio_is_pointed_at_is_walked() -> None:
    """The walk is not empty: it finds the webhooks the desk's TwiML and Twilio's console use."""
    paths = {webhook_path(route) for route in WEBHOOKS}
    assert len(WEBHOOKS) >= 10
    assert {"/ivr/voice", "/ivr/answer?turn=1", "/ivr/wait", "/ivr/left-queue"} <= paths
    assert {"/ivr/status", "/ivr/fallback", "/ivr/requeue"} <= paths
    # Twilio is set to POST every webhook, and the simulator signs posts only.
    assert all(route.method == "POST" for route in WEBHOOKS)


@pytest.mark.parametrize("route", WEBHOOKS, ids=route_id)
def test_unsigned_webhooks_are_refused(
    app: Flask, client: FlaskClient, twilio: Twilio, route: Route
) -> None:
    """A post to any webhook without Twilio's signature is refused, and nothing is stored."""
    before = row_counts(app)
    response = client.open(
        webhook_path(route), method=route.method, data=twilio.call(PHONE).params()
    )
    assert response.status_code == 403
    assert call_count(app) == 0
    assert row_counts(app) == before


@pytest.mark.parametrize("route", WEBHOOKS, ids=route_id)
def test_forged_signatures_are_refused(
    app: Flask, client: FlaskClient, twilio: Twilio, route: Route
) -> None:
    """Signed with anything but the desk's auth token, any webhook is refused and stores nothing."""
    before = row_counts(app)
    params = twilio.call(PHONE).params()
    forged = Twilio(client, "not-the-auth-token")
    assert forged.post(webhook_path(route), params).status_code == 403
    assert call_count(app) == 0
    assert row_counts(app) == before


@pytest.mark.parametrize("route", WEBHOOKS, ids=route_id)
def test_unsigned_or_forged_webhooks_leave_a_waiting_call_as_it_was(
    app: Flask, client: FlaskClient, sam: str, twilio: Twilio, route: Route
) -> None:
    """Knowing a waiting call's CallSid and public id is not enough to end, move or join it."""
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, current_code())
    phone.wait(position=1)
    waiting = stored_call(app, phone.sid)
    before = row_counts(app)
    path, params = webhook_path(route, waiting.public_id), phone.params(**EVERYTHING)
    assert client.open(path, method=route.method, data=params).status_code == 403
    assert Twilio(client, "not-the-auth-token").post(path, params).status_code == 403
    assert row_counts(app) == before
    assert columns(stored_call(app, phone.sid)) == columns(waiting)


def test_a_signature_for_another_url_is_refused(twilio: Twilio) -> None:
    params = twilio.call(PHONE).params()
    response = twilio.post("/ivr/voice", params, signed_for="http://localhost/ivr/status")
    assert response.status_code == 403


def test_a_signature_over_other_parameters_is_refused(client: FlaskClient, twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    signature = twilio.signature("http://localhost/ivr/voice", phone.params())
    tampered = phone.params(From="+447700900999")
    response = client.post("/ivr/voice", data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


@pytest.mark.parametrize("route", WEBHOOKS, ids=route_id)
def test_without_an_auth_token_every_webhook_is_refused(
    app: Flask, twilio: Twilio, route: Route
) -> None:
    """A desk missing its auth token refuses every webhook, even one signed with the old token."""
    app.config["TWILIO_AUTH_TOKEN"] = None
    assert twilio.post(webhook_path(route), twilio.call(PHONE).params()).status_code == 403
    assert call_count(app) == 0


def test_signatures_are_checked_against_the_public_url(app: Flask, twilio: Twilio) -> None:
    app.config["DESK_PUBLIC_URL"] = "https://desk.example.org/"
    phone = twilio.call(PHONE)
    assert twilio.post("/ivr/voice", phone.params()).status_code == 403
    behind_proxy = Twilio(twilio.client, twilio.token, public_url="https://desk.example.org")
    response = behind_proxy.post("/ivr/voice", phone.params())
    assert response.status_code == 200
    assert flow.WELCOME.encode() in response.data


def test_a_replayed_signed_request_changes_nothing(app: Flask, sam: str, twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, current_code())
    assert phone.enqueue is not None
    replay = twilio.post("/ivr/voice", phone.params())
    assert b"<Enqueue" in replay.data
    assert call_count(app) == 1


def test_an_error_inside_a_webhook_answers_safe_twiml_without_logging_digits(
    app: Flask,
    sam: str,
    twilio: Twilio,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.key(sam)

    def broken(*args: object) -> str:
        raise RuntimeError("database went away")

    monkeypatch.setattr(calls.checks, "check_pin", broken)
    with caplog.at_level(logging.DEBUG):
        response = twilio.post(phone.gather_action, phone.params(Digits=PIN))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert flow.UNAVAILABLE.encode() in response.data and b"<Hangup" in response.data
    assert "database went away" in caplog.text
    assert PIN not in caplog.text


def test_the_fallback_url_answers_that_the_service_is_unavailable(twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    response = twilio.post("/ivr/fallback", phone.params(ErrorCode="11200", ErrorUrl="x"))
    assert response.status_code == 200
    assert flow.UNAVAILABLE.encode() in response.data


def test_an_answer_for_an_unknown_call_is_told_the_service_is_unavailable(twilio: Twilio) -> None:
    phone = Phone(twilio, "+447700900123")
    response = twilio.post("/ivr/answer?turn=1", phone.params(Digits="40000001"))
    assert response.status_code == 200
    assert flow.UNAVAILABLE.encode() in response.data


def test_behind_a_trusted_proxy_the_public_url_is_the_one_checked(database_uri: str) -> None:
    from desk.app import create_app
    from tests.conftest import TEST_CONFIG

    public = "https://desk.example.org"
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "DESK_PUBLIC_URL": public,
            "DESK_PROXY_HOPS": 1,
        }
    )
    proxied = Twilio(app.test_client(), TEST_CONFIG["TWILIO_AUTH_TOKEN"], public)
    params = {"AccountSid": "AC" + "0" * 32, "QueuePosition": "2"}
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "desk.example.org"}
    signature = proxied.signature(f"{public}/ivr/wait", params)
    response = app.test_client().post(
        "/ivr/wait", data=params, headers={"X-Twilio-Signature": signature, **forwarded}
    )
    assert response.status_code == 200
    unforwarded = app.test_client().post(
        "/ivr/wait", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert unforwarded.status_code == 200  # the public URL is checked, whatever was forwarded
    # Someone who can reach the desk and choose the Host header cannot choose the URL checked.
    spoofed_host = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    forged = proxied.signature("https://evil.example/ivr/wait", params)
    response = app.test_client().post(
        "/ivr/wait", data=params, headers={"X-Twilio-Signature": forged, **spoofed_host}
    )
    assert response.status_code == 403


def test_urls_handed_to_twilio_come_from_the_public_url_not_the_host(app: Flask) -> None:
    app.config["DESK_PUBLIC_URL"] = "https://desk.example.org"
    with app.test_request_context("/console/", headers={"Host": "evil.example"}):
        assert calls.public_url("ivr.requeue") == "https://desk.example.org/ivr/requeue"


def test_a_signed_request_without_a_call_sid_hears_the_service_is_unavailable(
    app: Flask, twilio: Twilio
) -> None:
    response = twilio.post("/ivr/voice", {"From": PHONE})
    assert response.status_code == 200 and flow.UNAVAILABLE.encode() in response.data
    assert call_count(app) == 0
