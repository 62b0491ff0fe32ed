"""Callers dialling the desk one call after another, as Twilio carries them, noting every answer.

Each webhook's answer is noted as the call flow going on, or as the safe message (the desk
could not go on); anything but TwiML is a failure, since Twilio would play its own error.
"""

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue

import pyotp

from bench.server import Answer
from desk.dev.simulator import QUEUE_SID, DeskError, Twilio
from ivr import flow
from tests.factories import PIN
from tests.load.people import Seeded, practitioner_id, practitioner_phone

# The webhooks that answer what the caller keys; each reply the desk gives moves the turn on.
KEYPAD = {"voice", "answer"}


@dataclass
class Exchange:
    """One webhook of a call: whether the desk answered it as the call flow goes on, or with
    the safe message, and when it was sent and answered (time.monotonic)."""

    webhook: str
    is_answered: bool
    sent_at: float
    answered_at: float


@dataclass
class PlacedCall:
    """A call as Twilio saw it: every webhook it sent, and what became of each."""

    sid: str
    practitioner: str
    number: str
    exchanges: list[Exchange] = field(default_factory=list)
    is_queued: bool = False
    is_code_keyed: bool = False

    @property
    def dialled_at(self) -> float:
        return self.exchanges[0].sent_at

    @property
    def is_cut(self) -> bool:
        return any(not e.is_answered for e in self.exchanges)

    @property
    def replies(self) -> int:
        """Replies the desk gave to the keypad webhooks."""
        return sum(e.is_answered for e in self.exchanges if e.webhook in KEYPAD)

    def answered(self, webhook: str) -> bool:
        return any(e.is_answered for e in self.exchanges if e.webhook == webhook)


def spoken(answer: Answer) -> list[str]:
    """What the caller hears in an answer, which must be TwiML, never an error page."""
    if answer.status_code != 200 or answer.mimetype != "text/xml":
        raise DeskError(f"the desk answered {answer.status_code} {answer.mimetype}")
    twiml = ET.fromstring(answer.data)  # noqa: S314 - the desk's own TwiML
    said = [say.text or "" for say in twiml.iter("Say")]
    if flow.UNAVAILABLE in said:
        assert twiml.find("Hangup") is not None, "the safe message must end the call"
    return said


def place_call(twilio: Twilio, n: int, secret: str) -> PlacedCall:
    """Dial, verify, wait in the queue and hang up, as far as the desk lets the caller go.

    As Twilio does, the call's last webhooks (leaving the queue, then the status callback)
    are sent however it ended.
    """
    phone = twilio.call(practitioner_phone(n))
    placed = PlacedCall(phone.sid, practitioner_id(n), practitioner_phone(n))

    def exchange(webhook: str, path: str, **params: str) -> bool:
        """Send one webhook; whether the desk answered it, rather than with the safe message."""
        sent_at = time.monotonic()
        answer = twilio.post(path, phone.params(**params))
        is_answered = flow.UNAVAILABLE not in spoken(answer)
        if webhook in KEYPAD:
            phone.follow(answer)
        placed.exchanges.append(Exchange(webhook, is_answered, sent_at, time.monotonic()))
        return is_answered

    is_through = exchange("voice", "/ivr/voice", CallStatus="ringing")
    is_through = is_through and exchange("answer", phone.gather_action, Digits=placed.practitioner)
    is_through = is_through and exchange("answer", phone.gather_action, Digits=PIN)
    if is_through:
        placed.is_code_keyed = True
        is_through = exchange("answer", phone.gather_action, Digits=pyotp.TOTP(secret).now())
    if is_through:
        enqueue = phone.enqueue
        if enqueue is None:
            raise DeskError(f"a verified caller was not queued: {phone.heard}")
        placed.is_queued = True
        exchange("wait", enqueue.attrib["waitUrl"], QueuePosition="1", QueueSid=QUEUE_SID)
        exchange(
            "left-queue",
            enqueue.attrib["action"],
            QueueResult="hangup",
            QueueTime="3",
            QueueSid=QUEUE_SID,
        )
    exchange("status", "/ivr/status", CallStatus="completed", CallDuration="5")
    return placed


@dataclass
class Callers:
    """Callers dialling the desk one call after another, each as a practitioner not yet used."""

    twilio: Twilio
    seeded: Seeded
    unused: SimpleQueue[int] = field(default_factory=SimpleQueue)
    placed: list[PlacedCall] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def place(self) -> PlacedCall | None:
        """One call as the next unused practitioner; None once they have all been used."""
        try:
            n = self.unused.get_nowait()
        except Empty:
            with self.lock:
                self.failures.append("every practitioner has been used: seed more")
            return None
        placed = place_call(self.twilio, n, self.seeded.practitioner_secrets[practitioner_id(n)])
        with self.lock:
            self.placed.append(placed)
        if not placed.is_code_keyed:
            self.unused.put(n)  # their token's code is unspent: they can call again
        return placed

    def keep_calling(self) -> None:
        try:
            while not self.stop.is_set():
                placed = self.place()
                if placed is None:
                    return
                if placed.is_cut:
                    time.sleep(0.1)  # as a caller would, before trying again
        except Exception as error:  # any failure, reported by the test rather than lost in a thread
            with self.lock:
                self.failures.append(repr(error))

    def count(self, where: Callable[[PlacedCall], bool]) -> int:
        with self.lock:
            return sum(1 for placed in self.placed if where(placed))
