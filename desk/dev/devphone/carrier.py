"""One dev phone call, with Twilio's part played on the desk's own server.

The browser cannot sign webhooks (the auth token never reaches it), so the call lives here: it
posts signed webhooks to the desk's URLs and works through the TwiML they answer, until it needs
the caller (keys for a Gather) or time (a Pause, the queue's music, a conference). The browser
comes back with keys, or after a moment, and is told what was heard meanwhile. What the desk
asked the local telephony adapter to do to the call (connect, requeue, hang up) happens then too.
"""

import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin

from desk.dev.devphone.line import (
    Entry,
    Mode,
    cannot_follow,
    gather_settings,
    speaking_seconds,
    twiml_of,
)
from desk.dev.devphone.places import Conference, Meeting, Queued
from desk.dev.simulator import QUEUE_SID, Phone
from ivr.telephony import LocalTelephony, Order

# The URLs the desk's number is configured with: voice webhook and status callback.
VOICE_PATH, STATUS_PATH = "/ivr/voice", "/ivr/status"
# A document that redirects to itself for ever must not hold the browser's request for ever.
MAX_VERBS = 200


@dataclass
class SimulatedCall:
    """A call from the dev phone to the desk, as Twilio would carry it."""

    phone: Phone
    telephony: Callable[[], LocalTelephony]
    queue_position: Callable[["SimulatedCall"], int]
    operator_name: Callable[[str], str]
    clock: Callable[[], float] = time.monotonic
    # Another call's conference of this name, handed over (a call-back taking the first leg's
    # place); the desk's status callback for this call, when not the desk number's.
    claim_conference: Callable[[str], Conference | None] = lambda name: None
    status_url: str = ""
    mode: Mode = Mode.LISTENING
    started_at: float = 0.0
    last_seen_at: float = 0.0
    connected_to: str = ""
    ended_because: str = ""
    heard: list[Entry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: Queued | None = None
    conference: Conference | None = None
    # The conference the caller stepped out of to key again, to go back to.
    aside: Conference | None = None
    _verbs: deque[ET.Element] = field(default_factory=deque)
    _url: str = ""
    _gather: ET.Element | None = None
    _prompt_seconds: float = 0.0
    _speaking: float = 0.0
    _resume_at: float = 0.0
    _steps: int = 0

    @property
    def sid(self) -> str:
        return self.phone.sid

    def dial(self) -> None:
        """Ring the desk's voice URL, as Twilio does when a call arrives."""
        self.started_at = self.last_seen_at = self.clock()
        self._event(f"Calling the desk from {self.phone.caller or 'a withheld number'}.")
        self._follow(urljoin(self.phone.twilio.public_url, VOICE_PATH), CallStatus="ringing")

    def answer_desk(self, answer_url: str) -> None:
        """Answer the desk's call to this phone, as Twilio fetches the call's URL on answer."""
        self.started_at = self.last_seen_at = self.clock()
        self._event("The desk is calling you: you answered.")
        self._follow(answer_url, Direction="outbound-api")

    def press(self, digits: str, timed_out: bool) -> None:
        """The caller ended a Gather: keyed `digits` and the finish key, or let it time out."""
        self._touch()
        gather = self._gather
        if self.mode is Mode.QUEUED and gather is not None and digits:
            self._answer_offer(gather, digits)
            return
        if self.mode is not Mode.GATHERING or gather is None:
            return
        self._gather, self.mode = None, Mode.LISTENING
        finished = "" if timed_out else gather.get("finishOnKey", "#")
        keys = f"{len(digits)} key{'s' if len(digits) != 1 else ''}" if digits else "nothing"
        self._event(f"You keyed {keys}" + (f", then {finished}." if finished else "."))
        if not digits and gather.get("actionOnEmptyResult") != "true":
            self._run()  # Twilio goes on to the verb after the Gather
            return
        action = urljoin(self._url, gather.get("action") or self._url)
        self._follow(action, Digits=digits, FinishedOnKey=finished)

    def poll(self) -> None:
        """Let time pass: carry out the desk's orders, and whatever the TwiML was waiting for."""
        self._touch()
        if self.mode is Mode.ENDED:
            return
        order = self.telephony().take_order(self.sid)
        if order is not None:
            self._obey(order)
        elif self.mode is Mode.LISTENING:
            self._run()
        elif self.mode is Mode.QUEUED:
            self._wait()
        elif self.mode in {Mode.ON_HOLD, Mode.CONNECTED}:
            self._in_conference()

    def hang_up(self) -> None:
        """The caller hangs up."""
        self._touch()
        if self.mode is not Mode.ENDED:
            self._leave_queue("hangup")
            self._end("You hung up.")

    def report(self) -> dict[str, Any]:
        """What the phone shows now, and what was heard since the last report."""
        heard, self.heard = self.heard, []
        gather = self._gather
        return {
            "sid": self.sid,
            "caller": self.phone.caller,
            "mode": self.mode.value,
            "transcript": [asdict(entry) for entry in heard],
            "gather": gather_settings(gather, self._prompt_seconds) if gather else None,
            "connected_to": self.connected_to if self.mode is Mode.CONNECTED else None,
            "ended_because": self.ended_because or None,
        }

    def _touch(self) -> None:
        self.last_seen_at, self._steps = self.clock(), 0

    def _event(self, text: str) -> None:
        self.heard.append(Entry("event", text))

    def _fetch(self, url: str, **extra: str) -> ET.Element | None:
        """POST a signed webhook for this call; its TwiML, or None (the call then ends)."""
        params = self.phone.params(**{"CallStatus": "in-progress", **extra})
        response = self.phone.twilio.post(url, params)
        root = twiml_of(response)
        if root is None:
            self._end(cannot_follow(response.status_code))
        return root

    def _notify(self, url: str, params: dict[str, str]) -> None:
        """POST a signed webhook whose answer Twilio does not act on."""
        self.phone.twilio.post(url, params)

    def _follow(self, url: str, **extra: str) -> None:
        """Fetch TwiML for this call and work through it."""
        root = self._fetch(url, **extra)
        if root is not None:
            self._verbs, self._url, self.mode = deque(root), url, Mode.LISTENING
            self._resume_at = self._speaking = 0.0
            self._run()

    def _run(self) -> None:
        """Work through the document until the call needs the caller or time, or ends."""
        while self.mode is Mode.LISTENING and self.clock() >= self._resume_at:
            if not self._verbs:
                self._end("The desk had nothing more to say, so the call ended.")
            elif self._counted():
                self._perform(self._verbs.popleft())

    def _counted(self) -> bool:
        self._steps += 1
        if self._steps > MAX_VERBS:
            self._end("The desk's TwiML went round in circles, so the call ended.")
        return self.mode is not Mode.ENDED

    def _perform(self, verb: ET.Element) -> None:
        match verb.tag:
            case "Say":
                self._say(verb)
            case "Pause":
                self._pause(verb)
            case "Gather":
                self._start_gather(verb)
            case "Redirect":
                url = urljoin(self._url, (verb.text or "").strip())
                if (root := self._fetch(url)) is not None:
                    self._verbs, self._url = deque(root), url
            case "Hangup":
                self._end("The desk hung up.")
            case "Enqueue":
                self._enqueue(verb)
            case "Dial":
                self._dial(verb)
            case other:
                self._event(f"(The dev phone skips <{other}>.)")

    def _say(self, verb: ET.Element) -> None:
        text = (verb.text or "").strip()
        self.heard.append(Entry("say", text))
        self._speaking += speaking_seconds(text)

    def _pause(self, verb: ET.Element) -> None:
        # The pause starts once what was said before it has been heard.
        self._resume_at = self.clock() + self._speaking + int(verb.get("length", "1"))
        self._speaking = 0.0

    def _start_gather(self, verb: ET.Element) -> None:
        for prompt in verb:
            if prompt.tag == "Say":
                self._say(prompt)
            elif prompt.tag == "Pause":
                self._speaking += int(prompt.get("length", "1"))
        # The browser starts the Gather's timeout once the prompts have been heard.
        self._prompt_seconds, self._speaking = self._speaking, 0.0
        self._gather, self.mode = verb, Mode.GATHERING

    def _enqueue(self, verb: ET.Element) -> None:
        action, wait_url = verb.get("action"), verb.get("waitUrl")
        self.queue = Queued(
            name=(verb.text or "").strip(),
            action=urljoin(self._url, action) if action else None,
            wait_url=urljoin(self._url, wait_url) if wait_url else None,
            entered_at=self.clock(),
        )
        self.mode, self._resume_at = Mode.QUEUED, 0.0
        self._event("You are in the queue: hold music plays between the desk's messages.")
        self._wait()

    def _wait(self) -> None:
        """Play the queue's wait TwiML, fetching it again each time it has been played."""
        queue, now = self.queue, self.clock()
        while self.mode is Mode.QUEUED and queue is not None and now >= self._resume_at:
            if not queue.verbs:
                if queue.wait_url is None or (root := self._wait_twiml(queue)) is None:
                    return
                queue.verbs = deque(root)
            elif self._counted():
                verb = queue.verbs.popleft()
                if verb.tag in {"Say", "Pause"}:
                    self._perform(verb)
                elif verb.tag == "Gather":
                    self._offer(verb)
                elif verb.tag == "Hangup":
                    self._end("The desk hung up.")
                else:
                    self._event(f"(The dev phone skips <{verb.tag}> in the queue.)")
            if not queue.verbs:
                # Played to the end: Twilio asks again once the last words have been heard.
                self._resume_at = max(self._resume_at, now + self._speaking, now + 1)
                self._speaking = 0.0

    def _offer(self, verb: ET.Element) -> None:
        """A Gather in the queue's music (the call-back offer): its prompts are heard, and a key
        may be pressed while it lasts; without one, the wait goes on."""
        for prompt in verb:
            if prompt.tag == "Say":
                self._say(prompt)
        self._gather = verb
        self._resume_at = self.clock() + self._speaking + int(verb.get("timeout", "5"))
        self._speaking = 0.0

    def _answer_offer(self, gather: ET.Element, digits: str) -> None:
        """A key pressed at the queue's offer: its action may take the caller out (<Leave>)."""
        self._gather = None
        self._event(f"You keyed {digits}.")
        action = urljoin(self._url, gather.get("action") or self._url)
        root = self._fetch(action, Digits=digits[:1])
        if root is not None and root.find("Leave") is not None:
            queue, self.queue = self.queue, None
            if queue is not None and queue.action is not None:
                waited = str(int(self.clock() - queue.entered_at))
                self._event("You left the queue.")
                self._follow(
                    queue.action, QueueResult="leave", QueueSid=QUEUE_SID, QueueTime=waited
                )

    def _wait_twiml(self, queue: Queued) -> ET.Element | None:
        assert queue.wait_url is not None
        return self._fetch(
            queue.wait_url,
            QueueSid=QUEUE_SID,
            QueuePosition=str(self.queue_position(self)),
            QueueTime=str(int(self.clock() - queue.entered_at)),
            AvgQueueTime="0",
        )

    def _leave_queue(self, result: str) -> None:
        """Leave the queue, telling its action URL why; its answer is not followed."""
        queue, self.queue = self.queue, None
        if queue is not None and queue.action is not None:
            waited = str(int(self.clock() - queue.entered_at))
            params = self.phone.params(QueueResult=result, QueueSid=QUEUE_SID, QueueTime=waited)
            self._notify(queue.action, params)

    def _obey(self, order: Order) -> None:
        """Do what the desk asked Twilio to do to this call (through the REST API)."""
        if order.is_hang_up:
            self._leave_queue("hangup")
            self._end(
                "The operator ended the call."
                if self.conference and self.conference.operator
                else "The desk ended the call."
            )
            return
        # A redirect stops whatever was playing; a queue is told at once that the caller left.
        self._leave_queue("redirected")
        if order.is_aside and self.conference is not None:
            self._event("The desk took you aside: the operator cannot hear you.")
            self.conference.step_out()
            self.aside, self.conference = self.conference, None
        self._leave_conference()
        self._gather = None
        assert order.url is not None
        self._follow(order.url)

    def _dial(self, verb: ET.Element) -> None:
        element = verb.find("Conference")
        if element is None:
            self._event("(The dev phone can only join conferences: it skips this <Dial>.)")
            return
        name = (element.text or "").strip()
        back, self.aside = self.aside, None
        found = back if back is not None and back.name == name else self.claim_conference(name)
        if found is not None and found.operator is not None:
            self._rejoin(found)
            return
        self.conference = Conference(name, self.phone, events_url=self._events_url(element))
        self.mode = Mode.ON_HOLD
        self._event("On hold until the operator joins.")
        self.conference.caller_joins()
        self._in_conference()

    def _rejoin(self, conference: Conference) -> None:
        """Join a conference the operator is in already: back from aside, or in the place of
        the call's first leg."""
        conference.caller, self.conference, self.mode = self.phone, conference, Mode.CONNECTED
        assert conference.operator is not None
        self.connected_to = self.operator_name(conference.operator.to)
        conference.caller_joins()
        self._event(f"Connected to {self.connected_to}.")

    def _events_url(self, element: ET.Element) -> str | None:
        url = element.get("statusCallback")
        return urljoin(self._url, url) if url else None

    def hear(self, kind: str, text: str) -> None:
        self.heard.append(Entry(kind, text))

    def answer(self, answer_leg: bool = True) -> None:
        """The operator's softphone answers the leg ringing into this call's conference."""
        self._touch()
        if self.conference is not None and self.conference.operator is None:
            self._meet(answer_leg)

    def operator_hangs_up(self) -> None:
        """The operator's softphone hangs up its leg: the conference ends with it."""
        self._touch()
        conference = self.conference
        if conference is not None and conference.operator is not None:
            conference.end_operator_leg(self.telephony())
            self._operator_left()

    def _in_conference(self) -> None:
        conference, adapter = self.conference, self.telephony()
        assert conference is not None
        conference.carry_out(adapter, self.hear)
        if conference.operator is None:
            self._meet(answer_leg=False)
        elif conference.has_operator_left(adapter):
            self._operator_left()

    def _meet(self, answer_leg: bool) -> None:
        conference = self.conference
        assert conference is not None
        meeting = conference.meet_operator(self.telephony(), answer=answer_leg)
        if meeting is Meeting.JOINED:
            assert conference.operator is not None
            self.connected_to = self.operator_name(conference.operator.to)
            self.mode = Mode.CONNECTED
            self._event(f"Connected to {self.connected_to}.")
        elif meeting is Meeting.ELSEWHERE:
            self._event("The operator's phone was put somewhere other than this call.")

    def _operator_left(self) -> None:
        # The conference ended with the operator's leg, and with it the caller's Dial.
        self.conference, self.mode = None, Mode.LISTENING
        self._event(f"{self.connected_to} left the call.")
        self._run()

    def _leave_conference(self) -> None:
        if self.conference is not None:
            self.conference.leave(self.telephony())
            self.conference = None

    def _end(self, reason: str) -> None:
        """The call is over: say why, and send the desk Twilio's status callback."""
        if self.mode is Mode.ENDED:
            return
        self._leave_conference()
        self.queue, self._gather = None, None
        self._verbs.clear()
        self.mode, self.ended_because = Mode.ENDED, reason
        self._event(reason)
        duration = str(int(self.clock() - self.started_at))
        status_url = self.status_url or urljoin(self.phone.twilio.public_url, STATUS_PATH)
        self._notify(status_url, self.phone.params(CallStatus="completed", CallDuration=duration))
