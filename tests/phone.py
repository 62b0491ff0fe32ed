"""Playing Twilio's part: signed webhooks, and a phone call that follows the TwiML it is given."""

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from tests.factories import PHONE

BASE = "http://localhost"
_sids = itertools.count(1)


@dataclass
class Twilio:
    """Sends webhooks as Twilio does, signed with the account's auth token."""

    client: FlaskClient
    token: str
    public_url: str = BASE

    def signature(self, url: str, params: dict[str, str]) -> str:
        return str(RequestValidator(self.token).compute_signature(url, params))

    def post(
        self, path: str, params: dict[str, str], signed_for: str | None = None
    ) -> TestResponse:
        url = signed_for or urljoin(self.public_url, path)
        headers = {"X-Twilio-Signature": self.signature(url, params)}
        return self.client.post(path, data=params, headers=headers)

    def call(self, caller: str | None = PHONE) -> "Phone":
        return Phone(self, caller)


@dataclass
class Phone:
    """One call: dials the desk, hears what it says, keys answers to its Gather."""

    twilio: Twilio
    caller: str | None
    sid: str = field(default_factory=lambda: f"CA{next(_sids):032d}")
    heard: list[str] = field(default_factory=list)
    last: ET.Element | None = None

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller or "anonymous",
            "To": "+441706000000",
            "Direction": "inbound",
            **extra,
        }

    def _follow(self, response: TestResponse) -> ET.Element:
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/xml"
        self.last = ET.fromstring(response.data)  # noqa: S314 - our own TwiML
        self.heard.extend(say.text or "" for say in self.last.iter("Say"))
        return self.last

    def dial(self) -> ET.Element:
        return self._follow(self.twilio.post("/ivr/voice", self.params(CallStatus="ringing")))

    @property
    def gather_action(self) -> str:
        assert self.last is not None
        gather = self.last.find("Gather")
        assert gather is not None, "the desk is not waiting for keys"
        return gather.attrib["action"]

    def key(self, digits: str) -> ET.Element:
        """Key digits then # (or wait out the timeout, with empty digits)."""
        params = self.params(CallStatus="in-progress", Digits=digits)
        if not digits:
            params.pop("Digits")
        return self._follow(self.twilio.post(self.gather_action, params))

    def verify(self, practitioner_id: str, pin: str, code: str) -> ET.Element:
        self.key(practitioner_id)
        self.key(pin)
        return self.key(code)

    @property
    def enqueue(self) -> ET.Element | None:
        return None if self.last is None else self.last.find("Enqueue")

    @property
    def is_hung_up(self) -> bool:
        return self.last is not None and self.last.find("Hangup") is not None

    def said_last(self) -> list[str]:
        assert self.last is not None
        return [say.text or "" for say in self.last.iter("Say")]
