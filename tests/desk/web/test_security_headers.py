"""Every response tells the browser what it may load, frame and send; debug needs development."""

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk.app import create_app
from desk.dev.simulator import Twilio
from desk.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import TEST_CONFIG
from tests.factories import PHONE
from tests.pages import sign_in

TEMPLATES = Path(__file__).parents[3] / "templates"


def assert_hardened(headers: object) -> None:
    assert isinstance(headers, dict)
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/sign-in", "/", "/static/desk.css", "/no-such-page"])
def test_every_page_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert_hardened(dict(response.headers))


def test_pages_behind_sign_in_and_twiml_carry_them_too(
    client: FlaskClient, twilio: Twilio, app: Flask
) -> None:
    with app.app_context():
        from tests.factories import make_staff

        make_staff(username="hal")
    sign_in(client, "hal")
    assert_hardened(dict(client.get("/console/").headers))
    answered = twilio.post("/ivr/voice", twilio.call(PHONE).params())
    assert answered.mimetype == "text/xml"
    assert_hardened(dict(answered.headers))


def test_the_policy_allows_no_inline_script_or_style() -> None:
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_needs_inline_script_or_style(template: Path) -> None:
    html = template.read_text()
    assert "style=" not in html
    assert not re.search(r"<style\b", html)
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    for script in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in script, script


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    secure = client.get("/sign-in", base_url="https://desk.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_behind_a_trusted_proxy_that_received_https(database_uri: str) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_uri, "DESK_PROXY_HOPS": 1})
    forwarded = app.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in forwarded.headers
    untrusted = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_uri})
    spoofed = untrusted.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers


def test_debug_mode_is_refused_outside_development(
    database_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_uri}
    with pytest.raises(RuntimeError, match="debug mode"):
        create_app({**config, "DEBUG": True})
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug mode"):
        create_app(config)
    assert create_app({**config, "DESK_ENV": "development"}).debug


def test_with_twilio_the_policy_widens_only_by_the_voice_sdks_own_origins(
    client: FlaskClient, app: Flask
) -> None:
    from desk.web.security import TWILIO_CONTENT_SECURITY_POLICY

    app.config["DESK_TELEPHONY"] = "twilio"
    policy = client.get("/sign-in").headers["Content-Security-Policy"]
    assert policy == TWILIO_CONTENT_SECURITY_POLICY
    parts = dict(part.split(" ", 1) for part in policy.split("; "))
    assert parts["script-src"] == "'self'"  # the SDK is served from the desk's own files
    assert parts["connect-src"] == (
        "'self' wss://voice-js.roaming.twilio.com wss://chunderw-vpc-gll.twilio.com "
        "https://eventgw.twilio.com https://sdk.twilio.com"
    )
    assert parts["media-src"] == "'self' https://sdk.twilio.com"


def test_only_the_softphone_page_may_use_the_microphone(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        from tests.factories import make_staff

        make_staff(username="hal", phone_leg="browser")
    sign_in(client, "hal")
    assert "microphone=()" in client.get("/console/").headers["Permissions-Policy"]
    softphone = client.get("/console/softphone")
    assert softphone.status_code == 200
    assert "microphone=(self)" in softphone.headers["Permissions-Policy"]
    assert softphone.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    # A local desk's softphone is driven by the local adapter: no Twilio SDK on the page.
    assert "twilio.min.js" not in softphone.text
