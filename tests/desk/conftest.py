"""An operator at the console, a verified caller in the queue, and a small index to search.

Shared by the console's tests and the supervisors' review of what operators did.
"""

import html
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from desk.core.extensions import db
from desk.dev.simulator import Phone, Twilio
from desk.records.models import Child
from ivr.telephony import LocalTelephony
from tests.children import load_children
from tests.factories import (
    PHONE,
    PIN,
    SECRET,
    current_code,
    fresh_code,
    make_practitioner,
    make_staff,
)
from tests.pages import sign_in, submit
from tests.stored import stored_call

OPERATOR_PHONE = "+447700900001"


@pytest.fixture
def index(app: Flask) -> None:
    with app.app_context():
        load_children()


def contactpoint_id(app: Flask, source_id: str) -> str:
    with app.app_context():
        found = db.session.scalar(select(Child.contactpoint_id).where(Child.source_id == source_id))
        assert found is not None
        return found


ALEX_SECRET = "KRSXG5CTMVRXEZLUKN2XAZLS"


def queued_call(
    twilio: Twilio, practitioner_id: str, caller: str = PHONE, secret: str = SECRET
) -> Phone:
    """A caller verified by keypad and waiting in the queue."""
    phone = twilio.call(caller)
    phone.dial()
    phone.verify(practitioner_id, PIN, current_code(secret))
    phone.wait(position=1)
    return phone


@dataclass
class Console:
    """An operator using the console through its pages, as a browser would."""

    client: FlaskClient
    app: Flask
    public_id: str = ""

    def take(self, phone: Phone) -> TestResponse:
        """Press Take on the queue page (or, holding a call already, from that call's page)."""
        queue = self.client.get("/console/")
        page = queue.location if queue.status_code == 302 else "/console/"
        self.public_id = stored_call(self.app, phone.sid).public_id
        return submit(self.client, page, {}, f"/console/calls/{self.public_id}/take")

    @property
    def page(self) -> str:
        return f"/console/calls/{self.public_id}"

    def post(self, step: str, data: dict[str, str], page: str | None = None) -> TestResponse:
        return submit(self.client, page or self.page, data, f"{self.page}/{step}")

    def ready_to_search(self) -> None:
        self.post("identity", {"is_confirmed": "y"})
        self.post("purpose", {"purpose": "find_professionals"})

    def search(self, **criteria: str) -> TestResponse:
        """Search, and return the page that shows the outcome (refusals show at once)."""
        response = self.post("search", criteria)
        return response if response.status_code == 200 else self.client.get(self.page)

    def result_links(self) -> list[str]:
        return re.findall(
            r'href="(/console/calls/[^"]+/records/[^"]+)"', self.client.get(self.page).text
        )

    def open_only_result(self) -> tuple[str, TestResponse]:
        [link] = self.result_links()
        return link, self.client.get(link)

    def read_back(self, record: str, item_key: str) -> TestResponse:
        return submit(self.client, record, {"item_key": item_key}, f"{record}/read-back")

    def wrap_up(self, code: str = "information_given", note: str = "") -> TestResponse:
        return self.post("wrap-up", {"code": code, "note": note})


def registered_choice(page: str, number: str) -> str:
    """The value of the call-back form's radio button for a registered number."""
    found = re.search(rf'value="(\d+)"[^>]*>\s*(?:<label[^>]*>)?\s*{re.escape(number)}<', page)
    assert found is not None, f"{number} is not offered for a call-back"
    return found.group(1)


def press_call_back(console: Console, number: str = PHONE) -> Phone:
    """The operator presses Call back on a registered number; the leg the desk places, answered."""
    choice = registered_choice(console.client.get(console.page).text, number)
    console.post("call-back", {"phone": choice})
    phones = console.app.extensions["desk.telephony"]["adapter"]
    assert isinstance(phones, LocalTelephony)
    ringing = phones.take_ringing(number)
    assert ringing is not None, "the desk placed no call"
    leg = Phone(console_twilio(console), number, sid=ringing.sid)
    leg.follow(leg.twilio.post(ringing.answer_url, leg.params(Direction="outbound-api")))
    return leg


def console_twilio(console: Console) -> Twilio:
    return Twilio(console.app.test_client(), console.app.config["TWILIO_AUTH_TOKEN"])


def called_back(console: Console, number: str = PHONE, secret: str = SECRET) -> Phone:
    """The desk's call-back answered, 1 pressed, the PIN and a fresh code keyed: joined."""
    leg = press_call_back(console, number)
    leg.key("1")
    leg.key(PIN)
    leg.key(fresh_code(secret))
    assert leg.last is not None and leg.last.find("Dial/Conference") is not None, leg.heard
    return leg


@pytest.fixture
def alex(app: Flask) -> str:
    """A second practitioner, with a token of their own (a code is accepted once per token)."""
    with app.app_context():
        return make_practitioner(
            practitioner_id="40000002",
            name="Alex Moss",
            role="Health visitor",
            organisation="Bury NHS Trust",
            phones=("+447700900777",),
            totp_secret=ALEX_SECRET,
        ).id


@pytest.fixture
def olive(app: Flask) -> int:
    with app.app_context():
        return make_staff(phone_leg=OPERATOR_PHONE).id


@pytest.fixture
def console(app: Flask, client: FlaskClient, olive: int, phones: LocalTelephony) -> Console:
    signed_in = sign_in(client)
    assert signed_in.status_code == 302, signed_in.text
    return Console(client, app)


def flashed(response: TestResponse) -> list[str]:
    """The messages flashed on a page, as the operator reads them."""
    found = re.findall(r"data-flash[^>]*>(.*?)</(?:p|li|a|span)>", response.text, re.S)
    return [html.unescape(re.sub(r"\s+", " ", message).strip()) for message in found]
