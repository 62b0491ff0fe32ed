"""Every REST call the desk makes to Twilio goes through here: one adapter, or its local twin.

Taking a call moves the caller out of the queue into a conference named for the call, then
dials the operator's own leg (phone number, SIP address or the console's softphone) into it.
In the conference the desk holds and resumes the caller, mutes the operator, and adds a
supervisor's leg, through the Conference Participant API.
"""

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from desk.core import metrics

# The operator leg's call progress Twilio reports to its status callback.
OPERATOR_LEG_EVENTS = ["initiated", "ringing", "answered", "completed"]
# Twilio error codes that mean the caller's leg is no longer there to be moved.
CALLER_GONE_CODES = {20404, 21220}
REST_TIMEOUT_SECONDS = 5.0


class TelephonyError(Exception):
    """Twilio refused the request or could not be reached."""


class CallerGone(TelephonyError):
    """The caller hung up before they could be connected."""


@dataclass(frozen=True)
class Leg:
    """What the adapter needs to know of a call it connects."""

    call_sid: str
    queue_sid: str | None
    conference: str
    caller_url: str
    operator_url: str
    status_url: str


@dataclass(frozen=True)
class LineStatus:
    """What Twilio says of a call now: its CallStatus, and for a finished call how long it
    lasted and when it ended (when Twilio says)."""

    status: str
    duration_seconds: int | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Listener:
    """A supervisor's leg to add to a call's conference: muted (listen), heard by the operator
    alone (coach: `coaching` is the operator's CallSid), or heard by both (barge)."""

    to: str
    muted: bool
    coaching: str | None
    status_url: str


class Telephony(Protocol):
    def connect_caller(self, leg: Leg) -> None:
        """Take the caller out of the queue and into the call's conference."""

    def dial_operator(self, leg: Leg, operator_leg: str) -> str:
        """Ring the operator's own phone into the conference; the new leg's CallSid."""

    def requeue_caller(self, leg: Leg, queue_url: str) -> None:
        """Send a caller who was taken out of the queue back into it."""

    def hang_up(self, call_sid: str) -> None:
        """End a leg."""

    def line_status(self, call_sid: str) -> LineStatus:
        """Ask for a call's real status (reconciliation, ivr/reconcile.py)."""

    def hold(self, conference_sid: str, call_sid: str, hold_url: str | None) -> None:
        """Put a participant on hold, hearing the TwiML at `hold_url`; None: take them off."""

    def mute(self, conference_sid: str, call_sid: str, muted: bool) -> None:
        """Mute or unmute a participant in the conference."""

    def add_listener(self, conference_sid: str, listener: Listener) -> str:
        """Ring a supervisor into the conference; the new leg's CallSid."""

    def send_sms(self, to: str, body: str) -> str:
        """Send a text message from the desk's number; the message's SID."""

    def call_back(self, to: str, answer_url: str, status_url: str) -> str:
        """Ring a practitioner's registered number from the desk's; the new leg's CallSid."""

    def redirect_caller(self, call_sid: str, url: str) -> None:
        """Send a caller's leg to the TwiML at `url` (out of the conference, if in it)."""


class TwilioTelephony:
    """The adapter for a real Twilio account."""

    def __init__(self, client: Client, desk_number: str) -> None:
        self.client = client
        self.desk_number = desk_number

    def connect_caller(self, leg: Leg) -> None:
        with _translated("connect_caller"):
            if leg.queue_sid:
                self.client.queues(leg.queue_sid).members(leg.call_sid).update(
                    url=leg.caller_url, method="POST"
                )
            else:
                # Not yet seen by the wait URL: redirecting the call takes it out of the queue too.
                self.client.calls(leg.call_sid).update(url=leg.caller_url, method="POST")

    def dial_operator(self, leg: Leg, operator_leg: str) -> str:
        with _translated("dial_operator"):
            created = self.client.calls.create(
                to=operator_leg,
                from_=self.desk_number,
                url=leg.operator_url,
                method="POST",
                status_callback=leg.status_url,
                status_callback_method="POST",
                status_callback_event=OPERATOR_LEG_EVENTS,
                timeout=30,
            )
        return str(created.sid)

    def requeue_caller(self, leg: Leg, queue_url: str) -> None:
        with _translated("requeue_caller"):
            self.client.calls(leg.call_sid).update(url=queue_url, method="POST")

    def redirect_caller(self, call_sid: str, url: str) -> None:
        # A conference participant whose call is redirected leaves the conference.
        with _translated("redirect_caller"):
            self.client.calls(call_sid).update(url=url, method="POST")

    def call_back(self, to: str, answer_url: str, status_url: str) -> str:
        with _translated("call_back"):
            created = self.client.calls.create(
                to=to,
                from_=self.desk_number,
                url=answer_url,
                method="POST",
                status_callback=status_url,
                status_callback_method="POST",
                status_callback_event=OPERATOR_LEG_EVENTS,
                timeout=30,
            )
        return str(created.sid)

    def hang_up(self, call_sid: str) -> None:
        with _translated("hang_up"):
            self.client.calls(call_sid).update(status="completed")

    def line_status(self, call_sid: str) -> LineStatus:
        with _translated("line_status"):
            found = self.client.calls(call_sid).fetch()
        ended = found.end_time
        if isinstance(ended, str):  # the SDK parses RFC 2822 dates, but not every version
            ended = parsedate_to_datetime(ended)
        duration = int(found.duration) if found.duration not in (None, "") else None
        return LineStatus(str(found.status), duration, ended)

    def hold(self, conference_sid: str, call_sid: str, hold_url: str | None) -> None:
        participant = self.client.conferences(conference_sid).participants(call_sid)
        with _translated("hold"):
            if hold_url is None:
                participant.update(hold=False)
            else:
                participant.update(hold=True, hold_url=hold_url, hold_method="POST")

    def mute(self, conference_sid: str, call_sid: str, muted: bool) -> None:
        with _translated("mute"):
            self.client.conferences(conference_sid).participants(call_sid).update(muted=muted)

    def add_listener(self, conference_sid: str, listener: Listener) -> str:
        coaching: dict[str, Any] = (
            {"coaching": True, "call_sid_to_coach": listener.coaching} if listener.coaching else {}
        )
        with _translated("add_listener"):
            created = self.client.conferences(conference_sid).participants.create(
                from_=self.desk_number,
                to=listener.to,
                label="supervisor",
                muted=listener.muted,
                beep="false",
                end_conference_on_exit=False,
                status_callback=listener.status_url,
                status_callback_method="POST",
                status_callback_event=OPERATOR_LEG_EVENTS,
                timeout=30,
                **coaching,
            )
        return str(created.call_sid)

    def send_sms(self, to: str, body: str) -> str:
        # Twilio Messaging, from the desk's own number (which must be able to send SMS).
        with _translated("send_sms"):
            sent = self.client.messages.create(to=to, from_=self.desk_number, body=body)
        return str(sent.sid)


@contextmanager
def _translated(request: str) -> Iterator[None]:
    """Turn the SDK's exceptions into the desk's, telling a vanished caller apart, and count
    them by `request` (the adapter's method)."""
    try:
        yield
    except TwilioRestException as error:
        if error.code in CALLER_GONE_CODES:
            metrics.twilio_error(request, "caller_gone")
            raise CallerGone(f"Twilio {error.code}: the caller has left the line") from error
        metrics.twilio_error(request, "refused")
        raise TelephonyError(f"Twilio refused the request ({error.status} {error.code})") from error
    except (TwilioException, OSError) as error:  # requests' errors are OSErrors
        metrics.twilio_error(request, "unreachable")
        raise TelephonyError("Twilio could not be reached") from error


@dataclass(frozen=True)
class Order:
    """What Twilio was asked to do to a call: follow the TwiML at `url`, or (no URL) hang up.
    `is_aside`: the caller steps out of their conference to come back to it (a re-check)."""

    url: str | None = None
    is_aside: bool = False

    @property
    def is_hang_up(self) -> bool:
        return self.url is None


@dataclass(frozen=True)
class RungLeg:
    """An operator's leg the local adapter was asked to ring into a conference."""

    sid: str
    to: str
    conference: str
    url: str
    status_url: str


@dataclass(frozen=True)
class Change:
    """What the local adapter was asked to change of a participant: hold (with the hold URL,
    or None to resume) or mute."""

    call_sid: str
    hold: bool | None = None
    hold_url: str | None = None
    muted: bool | None = None


@dataclass(frozen=True)
class AddedLeg:
    """A supervisor's leg the local adapter was asked to add to a conference."""

    sid: str
    conference_sid: str
    listener: Listener


@dataclass(frozen=True)
class Sms:
    """A text message the local adapter was asked to send: the dev phone shows it."""

    sid: str
    to: str
    body: str


@dataclass(frozen=True)
class CallBack:
    """A call the local adapter was asked to place to a practitioner's number: the dev phone
    with that number rings."""

    sid: str
    to: str
    answer_url: str
    status_url: str


@dataclass
class LocalTelephony:
    """Plays Twilio's part on one machine: the dev phone and tests, no account needed.

    It records what it was asked to do; `failure` makes the next request fail, as Twilio might.
    Like Twilio's, its REST calls return at once and the call moves afterwards: they leave an
    order that the dev phone carries out when its page next checks in, outside the operator's
    request and its transaction.
    """

    actions: list[tuple[str, ...]] = field(default_factory=list)
    failure: TelephonyError | None = None
    # The latest order for each call, and the operator leg rung into each conference.
    orders: dict[str, Order] = field(default_factory=dict)
    rung: dict[str, RungLeg] = field(default_factory=dict)
    # What `line_status` answers for each call: "in-progress" for any call not named here.
    lines: dict[str, LineStatus] = field(default_factory=dict)
    # Participant changes and supervisors' legs, by conference SID, for the dev phone to play.
    changes: dict[str, list[Change]] = field(default_factory=dict)
    added: dict[str, list[AddedLeg]] = field(default_factory=dict)
    # Every text message sent, oldest first.
    messages: list[Sms] = field(default_factory=list)
    # Calls the desk placed to practitioners' numbers and nobody has picked up yet, by number.
    ringing: dict[str, CallBack] = field(default_factory=dict)
    _legs: int = 0

    def _act(self, *action: str) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        self.actions.append(action)

    def connect_caller(self, leg: Leg) -> None:
        self._act("connect_caller", leg.call_sid, leg.conference)
        self.orders[leg.call_sid] = Order(leg.caller_url)

    def dial_operator(self, leg: Leg, operator_leg: str) -> str:
        self._act("dial_operator", operator_leg, leg.conference)
        self._legs += 1
        sid = f"CL{self._legs:032d}"
        self.rung[leg.conference] = RungLeg(
            sid, operator_leg, leg.conference, leg.operator_url, leg.status_url
        )
        return sid

    def requeue_caller(self, leg: Leg, queue_url: str) -> None:
        self._act("requeue_caller", leg.call_sid)
        self.orders[leg.call_sid] = Order(queue_url)

    def hang_up(self, call_sid: str) -> None:
        self._act("hang_up", call_sid)
        self.orders[call_sid] = Order()
        self.lines[call_sid] = LineStatus("completed")

    def line_status(self, call_sid: str) -> LineStatus:
        self._act("line_status", call_sid)
        return self.lines.get(call_sid, LineStatus("in-progress"))

    def hold(self, conference_sid: str, call_sid: str, hold_url: str | None) -> None:
        self._act("hold" if hold_url else "resume", conference_sid, call_sid)
        change = Change(call_sid, hold=hold_url is not None, hold_url=hold_url)
        self.changes.setdefault(conference_sid, []).append(change)

    def mute(self, conference_sid: str, call_sid: str, muted: bool) -> None:
        self._act("mute" if muted else "unmute", conference_sid, call_sid)
        self.changes.setdefault(conference_sid, []).append(Change(call_sid, muted=muted))

    def add_listener(self, conference_sid: str, listener: Listener) -> str:
        self._act("add_listener", conference_sid, listener.to, listener.coaching or "")
        self._legs += 1
        sid = f"CL{self._legs:032d}"
        self.added.setdefault(conference_sid, []).append(AddedLeg(sid, conference_sid, listener))
        return sid

    def take_changes(self, conference_sid: str) -> list[Change]:
        """The participant changes waiting for a conference, once."""
        return self.changes.pop(conference_sid, [])

    def send_sms(self, to: str, body: str) -> str:
        self._act("send_sms", to)
        sid = f"SM{len(self.messages) + 1:032d}"
        self.messages.append(Sms(sid, to, body))
        return sid

    def call_back(self, to: str, answer_url: str, status_url: str) -> str:
        self._act("call_back", to)
        # Unique as Twilio's are: the desk keeps a call-back's CallSid, across adapters too.
        sid = "CA" + secrets.token_hex(16)
        self.ringing[to] = CallBack(sid, to, answer_url, status_url)
        return sid

    def redirect_caller(self, call_sid: str, url: str) -> None:
        self._act("redirect_caller", call_sid)
        self.orders[call_sid] = Order(url, is_aside=True)

    def is_ringing(self, number: str) -> bool:
        return number in self.ringing

    def take_ringing(self, number: str) -> CallBack | None:
        """The call ringing a number, once: picked up (or refused) by its phone."""
        return self.ringing.pop(number, None)

    def messages_to(self, number: str) -> list[Sms]:
        """The messages sent to one number, oldest first."""
        return [sms for sms in self.messages if sms.to == number]

    def take_order(self, call_sid: str) -> Order | None:
        """The order waiting for a call, once."""
        return self.orders.pop(call_sid, None)


def twilio_client(config: Mapping[str, Any], http_client: HttpClient | None = None) -> Client:
    """A REST client for the account, with an API key when one is configured."""
    key, secret = config.get("TWILIO_API_KEY_SID"), config.get("TWILIO_API_KEY_SECRET")
    account = config.get("TWILIO_ACCOUNT_SID")
    username, password = (
        (key, secret) if key and secret else (account, config.get("TWILIO_AUTH_TOKEN"))
    )
    return Client(
        username,
        password,
        account_sid=account,
        http_client=http_client or TwilioHttpClient(timeout=REST_TIMEOUT_SECONDS),
    )


def telephony() -> Telephony:
    """The app's adapter, as DESK_TELEPHONY configures it (made once per app)."""
    state = current_app.extensions.setdefault("desk.telephony", {})
    if "adapter" not in state:
        config = current_app.config
        if config["DESK_TELEPHONY"] == "local":
            state["adapter"] = LocalTelephony()
        else:
            state["adapter"] = TwilioTelephony(
                twilio_client(config), config["DESK_TWILIO_NUMBER"] or ""
            )
    adapter: Telephony = state["adapter"]
    return adapter
