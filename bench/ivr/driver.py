"""Whole calls driven at a server through signed webhooks, each request timed by its step.

Flat out, each of C callers sends its next request as soon as the last is answered. Paced
(open loop), requests fall due one every 1/rate seconds whatever the server does, and each is
timed from when it fell due, not from when it was sent: a server that falls behind is charged
for the wait it causes (no coordinated omission).
"""

import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyotp
import requests

from bench.ivr.callers import PIN, TOKEN_SECRET, Caller
from bench.server import Answer, Http
from desk.dev.simulator import DeskError, Twilio
from ivr import flow

# A call's webhooks in order, as Twilio sends them for a caller who is verified, waits and
# hangs up in the queue.
STEPS = ("voice", "id", "pin", "code", "wait", "left-queue", "status")


@dataclass(frozen=True)
class Sent:
    """One request: its step, seconds from when it was due to its answer, and how late it went."""

    step: str
    seconds: float
    late_seconds: float


@dataclass
class Run:
    """What a run sent, which calls failed and why, and how long it took."""

    sent: list[Sent]
    failures: list[str]
    seconds: float

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return len(self.sent) / self.seconds if self.seconds else 0.0


class Pacer:
    """When each request is due: one every 1/rate seconds from the start, or at once."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.started = time.perf_counter()
        self._issued = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        self.started = time.perf_counter()

    def due(self) -> float:
        """The moment the next request is due, after sleeping until then if it is ahead."""
        if self.rate is None:
            return time.perf_counter()
        with self._lock:
            n, self._issued = self._issued, self._issued + 1
        due = self.started + n / self.rate
        ahead = due - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
        return due


@dataclass
class TimedLine:
    """The simulator's client: each request waits its turn with the pacer and is timed."""

    http: Http
    pacer: Pacer
    step: str = ""
    sent: list[Sent] = field(default_factory=list)

    def post(self, path: str, *, data: dict[str, str], headers: dict[str, str]) -> Answer:
        due = self.pacer.due()
        began = time.perf_counter()
        answer = self.http.post(path, data=data, headers=headers)
        self.sent.append(Sent(self.step, time.perf_counter() - due, began - due))
        return answer


def place_call(twilio: Twilio, line: TimedLine, caller: Caller, waits: int = 1) -> None:
    """Dial, key the ID, PIN and code, hear the queue's wait message `waits` times, hang up;
    DeskError if the desk does not let the call through."""
    phone = twilio.call(caller.phone)
    line.step = "voice"
    phone.dial()
    line.step = "id"
    phone.key(caller.practitioner_id)
    line.step = "pin"
    phone.key(PIN)
    line.step = "code"
    phone.key(pyotp.TOTP(TOKEN_SECRET).now())
    if phone.enqueue is None or flow.UNAVAILABLE in phone.heard:
        raise DeskError(f"not queued; heard {phone.heard[-1:]}")
    line.step = "wait"
    for position in range(waits, 0, -1):
        phone.wait(position)
    for step, path, params in (
        ("left-queue", phone.enqueue.attrib["action"], {"QueueResult": "hangup", "QueueTime": "5"}),
        ("status", "/ivr/status", {"CallStatus": "completed", "CallDuration": "60"}),
    ):
        line.step = step
        answer = twilio.post(path, phone.params(**params))
        if answer.status_code != 200:
            raise DeskError(f"{step} answered {answer.status_code}")


def drive(
    url: str,
    token: str,
    callers: Sequence[Caller],
    concurrency: int,
    rate: float | None,
    waits: int = 1,
) -> Run:
    """Place a whole call for each caller, `concurrency` at a time, flat out or paced."""
    pacer = Pacer(rate)
    waiting: queue.SimpleQueue[Caller] = queue.SimpleQueue()
    for caller in callers:
        waiting.put(caller)
    lines = [TimedLine(Http(url), pacer) for _ in range(concurrency)]
    failures: list[str] = []
    go = threading.Event()

    def calling(line: TimedLine) -> None:
        twilio = Twilio(line, token, public_url=url)
        go.wait()
        while True:
            try:
                caller = waiting.get_nowait()
            except queue.Empty:
                return
            try:
                place_call(twilio, line, caller, waits)
            except (DeskError, requests.RequestException) as error:
                failures.append(f"call by {caller.practitioner_id} at {line.step}: {error}")

    threads = [threading.Thread(target=calling, args=(line,)) for line in lines]
    for thread in threads:
        thread.start()
    pacer.start()
    go.set()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - pacer.started
    return Run([sent for line in lines for sent in line.sent], failures, seconds)
