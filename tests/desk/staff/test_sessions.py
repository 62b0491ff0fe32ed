"""Sessions end after 30 minutes idle or 12 hours in all, and their cookie is guarded."""

from datetime import timedelta
from pathlib import Path

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.http import http_date

from desk.core import config
from tests.desk.staff.conftest import START
from tests.pages import sign_in, sign_out
from tests.stored import audit_events

IDLE_MESSAGE = "Your session ended after 30 minutes without activity; please sign in again."
LIMIT_MESSAGE = "Your session ended after 12 hours; please sign in again."


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/", follow_redirects=True)
    return response.status_code == 200 and "Olive Operator" in response.text


def test_thirty_minutes_without_activity_end_the_session(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client)
        traveller.shift(timedelta(minutes=29, seconds=59))
        assert is_signed_in(client)
        traveller.shift(timedelta(minutes=29, seconds=59))  # an hour signed in, but active
        assert is_signed_in(client)
        traveller.shift(timedelta(minutes=30))
        response = client.get("/healthz?full=1")
        assert response.status_code == 302
        assert response.location == "/sign-in?next=/healthz?full%3D1"
        page = client.get(response.location).text
    assert IDLE_MESSAGE in page
    assert "Olive Operator" not in page
    [event] = audit_events(app, "staff.signed_out")
    assert event.operator_id == olive and event.data["reason"] == "idle"


def test_twelve_hours_end_the_session_however_active(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client)
        for _ in range(int(timedelta(hours=12) / timedelta(minutes=25))):
            traveller.shift(timedelta(minutes=25))
            assert is_signed_in(client)
        traveller.move_to(START + timedelta(hours=12))  # 20 minutes after the last request
        response = client.get("/")
        assert response.status_code == 302
        page = client.get(response.location).text
    assert LIMIT_MESSAGE in page
    assert not is_signed_in(client)
    assert [e.data["reason"] for e in audit_events(app, "staff.signed_out")] == ["time_limit"]


def test_a_form_sent_after_the_session_ended_goes_to_sign_in_without_acting(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client)
        token = (
            client.get("/", follow_redirects=True)
            .text.split('name="csrf_token" value="')[1]
            .split('"')[0]
        )
        traveller.shift(timedelta(minutes=31))
        response = client.post("/sign-out", data={"csrf_token": token})
        assert response.status_code == 302 and response.location == "/sign-in"
        assert IDLE_MESSAGE in client.get("/sign-in").text
    assert [e.data["reason"] for e in audit_events(app, "staff.signed_out")] == ["idle"]


def test_signing_in_again_starts_a_new_session(client: FlaskClient, olive: int) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client)
        traveller.shift(timedelta(minutes=45))
        client.get("/")
        traveller.shift(timedelta(seconds=30))
        assert sign_in(client).status_code == 302
        traveller.shift(timedelta(minutes=20))
        assert is_signed_in(client)


def test_the_session_cookie_is_secure_httponly_samesite_and_lasts_12_hours(
    client: FlaskClient, olive: int
) -> None:
    with time_machine.travel(START, tick=False):
        response = sign_in(client)
    [cookie] = response.headers.getlist("Set-Cookie")
    name, *attributes = [part.strip() for part in cookie.split(";")]
    assert name.startswith("session=")
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= set(attributes)
    assert f"Expires={http_date(START + timedelta(hours=12))}" in attributes
    # No "remember me": nothing outlives the session.
    assert all("remember" not in c.key for c in client._cookies.values())


def test_only_development_sends_the_cookie_over_plain_http(tmp_path: Path) -> None:
    production = config.load(str(tmp_path), {})
    development = config.load(str(tmp_path), {"DESK_ENV": "development"})
    assert production["SESSION_COOKIE_SECURE"] is True
    assert development["SESSION_COOKIE_SECURE"] is False
    behind_tls = config.load(
        str(tmp_path), {"DESK_ENV": "development", "DESK_PUBLIC_URL": "https://localhost:8443"}
    )
    assert behind_tls["SESSION_COOKIE_SECURE"] is True
    for loaded in (production, development):
        assert loaded["SESSION_COOKIE_HTTPONLY"] is True
        assert loaded["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert loaded["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)


def test_a_copy_of_the_session_cookie_is_useless_after_signing_out(
    app: Flask, client: FlaskClient, olive: int
) -> None:
    sign_in(client)
    assert is_signed_in(client)
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert is_signed_in(thief)

    sign_out(client)
    assert not is_signed_in(thief)
    sign_in(client, code=staff_code_later())
    assert is_signed_in(client) and not is_signed_in(thief)


def staff_code_later() -> str:
    """The code of the next time-step: the one showing now was spent on the first sign-in."""
    import pyotp

    from desk.core.types import utcnow
    from tests.factories import STAFF_SECRET

    return pyotp.TOTP(STAFF_SECRET).at(utcnow() + timedelta(seconds=30))
