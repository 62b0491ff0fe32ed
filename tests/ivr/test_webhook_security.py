"""Only Twilio's signed requests reach the call flow; failures still answer safe TwiML."""

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.core.extensions import db
from desk.dev.simulator import Phone, Twilio
from ivr import calls, flow
from ivr.models import Call
from tests.factories import PHONE, PIN, current_code

WEBHOOKS = [
    "/ivr/voice",
    "/ivr/answer?turn=1",
    "/ivr/wait",
    "/ivr/left-queue",
    "/ivr/status",
    "/ivr/fallback",
]


def call_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Call)) or 0


@pytest.mark.parametrize("path", WEBHOOKS)
def test_unsigned_webhooks_are_refused(
    app: Flask, client: FlaskClient, twilio: Twilio, path: str
) -> None:
    response = client.post(path, data=twilio.call(PHONE).params())
    assert response.status_code == 403
    assert call_count(app) == 0


@pytest.mark.parametrize("path", WEBHOOKS)
def test_forged_signatures_are_refused(client: FlaskClient, twilio: Twilio, path: str) -> None:
    params = twilio.call(PHONE).params()
    forged = Twilio(client, "not-the-auth-token")
    assert forged.post(path, params).status_code == 403


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


def test_without_an_auth_token_every_webhook_is_refused(app: Flask, twilio: Twilio) -> None:
    app.config["TWILIO_AUTH_TOKEN"] = None
    assert twilio.post("/ivr/voice", twilio.call(PHONE).params()).status_code == 403
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
