"""Playing Twilio's part in a call: signed webhooks to the desk, following the TwiML it answers.

The terminal phone (`flask demo call`) and the tests use it, so both go through the real IVR
exactly as a call from Twilio would.
"""

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin

from twilio.request_validator import RequestValidator

# The queue every simulated caller waits in.
QUEUE_SID = "QU" + "0" * 32


class Reply(Protocol):
    """What the simulator reads of a response: Flask's test client and an HTTP client alike."""

    @property
    def status_code(self) -> int: ...
    @property
    def mimetype(self) -> str | None: ...
    @property
    def data(self) -> bytes: ...


class Client(Protocol):
    def post(self, path: str, *, data: dict[str, str], headers: dict[str, str]) -> Reply: ...


class DeskError(Exception):
    """The desk answered something Twilio could not follow."""


@dataclass
class Twilio:
    """Sends webhooks as Twilio does, signed with the account's auth token."""

    client: Client
    token: str
    public_url: str = "http://localhost"

    def signature(self, url: str, params: dict[str, str]) -> str:
        return str(RequestValidator(self.token).compute_signature(url, params))

    def post(self, path: str, params: dict[str, str], signed_for: str | None = None) -> Reply:
        """POST a webhook, signed for its own URL unless `signed_for` names another."""
        url = signed_for or urljoin(self.public_url, path)
        headers = {"X-Twilio-Signature": self.signature(url, params)}
        return self.client.post(path, data=params, headers=headers)

    def call(self, caller: str | None) -> "Phone":
        return Phone(self, caller)


@dataclass
class Phone:
    """One call: dials the desk, hears what it says, keys answers to its Gather."""

    twilio: Twilio
    caller: str | None
    sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    heard: list[str] = field(default_factory=list)
    last: ET.Element | None = None

    def params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with every webhook of this call, and `extra`."""
        return {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller or "anonymous",
            "To": "+441706000000",
            "Direction": "inbound",
            **extra,
        }

    def follow(self, response: Reply) -> ET.Element:
        """Take in the TwiML the desk answered, noting what the caller hears."""
        if response.status_code != 200 or response.mimetype != "text/xml":
            raise DeskError(f"the desk answered {response.status_code} {response.mimetype}")
        self.last = ET.fromstring(response.data)  # noqa: S314 - the desk's own TwiML  # nosec B314
        self.heard.extend(self.said_last())
        return self.last

    def said_last(self) -> list[str]:
        """The lines of the last TwiML, in order."""
        return [] if self.last is None else [say.text or "" for say in self.last.iter("Say")]

    def dial(self) -> ET.Element:
        return self.follow(self.twilio.post("/ivr/voice", self.params(CallStatus="ringing")))

    @property
    def gather_action(self) -> str:
        gather = None if self.last is None else self.last.find("Gather")
        if gather is None:
            raise DeskError("the desk is not waiting for keys")
        return gather.attrib["action"]

    def key(self, digits: str) -> ET.Element:
        """Key digits then # (empty: let the Gather time out)."""
        params = self.params(CallStatus="in-progress", Digits=digits)
        if not digits:
            params.pop("Digits")
        return self.follow(self.twilio.post(self.gather_action, params))

    def verify(self, practitioner_id: str, pin: str, code: str) -> ET.Element:
        """Key an ID, a PIN and a token code."""
        self.key(practitioner_id)
        self.key(pin)
        return self.key(code)

    @property
    def enqueue(self) -> ET.Element | None:
        return None if self.last is None else self.last.find("Enqueue")

    @property
    def is_hung_up(self) -> bool:
        return self.last is not None and self.last.find("Hangup") is not None

    def wait(self, position: int) -> list[str]:
        """What the desk plays while the caller waits at `position` in the queue."""
        if self.enqueue is None:
            raise DeskError("the caller is not in the queue")
        response = self.twilio.post(
            self.enqueue.attrib["waitUrl"],
            self.params(QueuePosition=str(position), QueueSid=QUEUE_SID),
        )
        if response.status_code != 200:
            raise DeskError(f"the wait URL answered {response.status_code}")
        return [say.text or "" for say in ET.fromstring(response.data).iter("Say")]  # noqa: S314  # nosec B314
