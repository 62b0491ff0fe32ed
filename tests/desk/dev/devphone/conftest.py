"""The dev phone as its page's script uses it: JSON posts to the relay, with the page's token."""

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from desk.dev.devphone.switchboard import Switchboard, switchboard
from ivr.telephony import LocalTelephony
from tests.desk.conftest import Console
from tests.factories import PHONE, PIN, current_code, make_staff
from tests.pages import sign_in

# A phone number: the dev phone answers it at once (a softphone's leg waits for the softphone).
OPERATOR_LEG = "+447700900001"


def page_token(client: FlaskClient) -> str:
    """The CSRF token in the dev phone page's meta tag, as the script reads it."""
    page = client.get("/devphone")
    assert page.status_code == 200, page.status_code
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found, "no CSRF token on the dev phone page"
    return found.group(1)


@dataclass
class DevPhone:
    """One browser tab with the dev phone open."""

    client: FlaskClient
    token: str = ""
    sid: str = ""
    reports: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.token = page_token(self.client)

    def send(self, path: str, body: dict[str, Any] | None = None) -> TestResponse:
        return self.client.post(path, json=body or {}, headers={"X-CSRFToken": self.token})

    def relay(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        path = f"/devphone/calls/{self.sid}/{action}" if action else "/devphone/calls"
        response = self.send(path, body)
        assert response.status_code in {200, 201}, (response.status_code, response.text)
        report: dict[str, Any] = response.json  # type: ignore[assignment]
        self.reports.append(report)
        self.sid = report["sid"]
        return report

    def dial(self, caller: str | None = PHONE) -> dict[str, Any]:
        return self.relay("", {"caller": caller})

    def key(self, digits: str) -> dict[str, Any]:
        """Key digits, then #."""
        return self.relay("keys", {"digits": digits, "timed_out": False})

    def wait_out(self, digits: str = "") -> dict[str, Any]:
        """Key digits (or nothing) and let the Gather's timeout run out."""
        return self.relay("keys", {"digits": digits, "timed_out": True})

    def poll(self) -> dict[str, Any]:
        return self.relay("poll")

    def hang_up(self) -> dict[str, Any]:
        return self.relay("hang-up")

    def verify(self, practitioner_id: str, secret: str) -> dict[str, Any]:
        self.key(practitioner_id)
        self.key(PIN)
        return self.key(current_code(secret))

    @property
    def last(self) -> dict[str, Any]:
        return self.reports[-1]

    @property
    def heard(self) -> list[str]:
        """Every line the caller heard, in order."""
        return [e["text"] for r in self.reports for e in r["transcript"] if e["kind"] == "say"]

    @property
    def events(self) -> list[str]:
        return [e["text"] for r in self.reports for e in r["transcript"] if e["kind"] == "event"]


@dataclass
class Clock:
    """Time for the switchboard that moves only when a test says."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Flask) -> Clock:
    """A fresh switchboard for this test, on a clock the test moves."""
    ticking = Clock()
    app.extensions["desk.devphone"] = Switchboard(app, ticking)
    return ticking


@pytest.fixture
def board(app: Flask, clock: Clock) -> Switchboard:
    with app.test_request_context():
        return switchboard()


@pytest.fixture
def devphone(app: Flask, clock: Clock, phones: LocalTelephony) -> DevPhone:
    """The dev phone open in a browser tab of its own."""
    return DevPhone(app.test_client())


@pytest.fixture
def console(app: Flask, phones: LocalTelephony) -> Console:
    with app.app_context():
        make_staff(phone_leg=OPERATOR_LEG)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return Console(client, app)
