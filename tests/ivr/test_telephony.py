"""The Twilio adapter sends exactly the REST requests meant, and reports failures plainly."""

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response

from ivr.telephony import (
    CallerGone,
    Leg,
    Listener,
    TelephonyError,
    TwilioTelephony,
    twilio_client,
)

ACCOUNT = "AC" + "1" * 32
BASE = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
LEG = Leg(
    call_sid="CA" + "a" * 32,
    queue_sid="QU" + "b" * 32,
    conference="desk-call-abc",
    caller_url="https://desk.example.org/ivr/conference/caller?call=abc",
    operator_url="https://desk.example.org/ivr/conference/operator?call=abc",
    status_url="https://desk.example.org/ivr/operator-status?call=abc",
)


@dataclass
class RecordingHttpClient(HttpClient):
    """Answers every request with a canned response and keeps what was asked."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"sid": "CA" + "c" * 32})
    error: Exception | None = None
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logging.getLogger("twilio-test"), is_async=False)

    def request(
        self,
        method: str,
        uri: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.requests.append((method, uri, {k: str(v) for k, v in (data or {}).items()}))
        if self.error is not None:
            raise self.error
        return Response(self.status, json.dumps(self.body))


def adapter(http: RecordingHttpClient, **config: str) -> TwilioTelephony:
    settings = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "token", **config}
    return TwilioTelephony(twilio_client(settings, http), "+441706000000")


def test_connecting_the_caller_updates_their_queue_membership() -> None:
    http = RecordingHttpClient()
    adapter(http).connect_caller(LEG)
    assert http.requests == [
        (
            "POST",
            f"{BASE}/Queues/{LEG.queue_sid}/Members/{LEG.call_sid}.json",
            {"Url": LEG.caller_url, "Method": "POST"},
        )
    ]


def test_a_caller_not_yet_seen_in_the_queue_is_redirected_instead() -> None:
    http = RecordingHttpClient()
    adapter(http).connect_caller(Leg(**{**LEG.__dict__, "queue_sid": None}))
    assert http.requests == [
        ("POST", f"{BASE}/Calls/{LEG.call_sid}.json", {"Url": LEG.caller_url, "Method": "POST"})
    ]


def test_dialling_the_operator_creates_a_call_from_the_desk_number() -> None:
    http = RecordingHttpClient()
    sid = adapter(http).dial_operator(LEG, "sip:op7@desk.example.org")
    assert sid == "CA" + "c" * 32
    assert http.requests == [
        (
            "POST",
            f"{BASE}/Calls.json",
            {
                "To": "sip:op7@desk.example.org",
                "From": "+441706000000",
                "Url": LEG.operator_url,
                "Method": "POST",
                "StatusCallback": LEG.status_url,
                "StatusCallbackMethod": "POST",
                # A list, sent as repeated fields: Twilio reports each step of the leg.
                "StatusCallbackEvent": "['initiated', 'ringing', 'answered', 'completed']",
                "Timeout": "30",
            },
        )
    ]


def test_requeue_and_hang_up_update_the_call() -> None:
    http = RecordingHttpClient()
    adapter(http).requeue_caller(LEG, "https://desk.example.org/ivr/requeue")
    adapter(http).hang_up("CA" + "d" * 32)
    assert http.requests == [
        (
            "POST",
            f"{BASE}/Calls/{LEG.call_sid}.json",
            {"Url": "https://desk.example.org/ivr/requeue", "Method": "POST"},
        ),
        ("POST", f"{BASE}/Calls/{'CA' + 'd' * 32}.json", {"Status": "completed"}),
    ]


def test_an_api_key_authenticates_when_configured() -> None:
    client = twilio_client(
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": "token",
            "TWILIO_API_KEY_SID": "SK" + "e" * 32,
            "TWILIO_API_KEY_SECRET": "s",
        }
    )
    assert (client.username, client.account_sid) == ("SK" + "e" * 32, ACCOUNT)


@pytest.mark.parametrize(
    ("status", "code", "raised"),
    [
        (404, 20404, CallerGone),
        (400, 21220, CallerGone),
        (500, 20500, TelephonyError),
        (429, 20429, TelephonyError),
    ],
)
def test_twilio_refusals_become_desk_errors(
    status: int, code: int, raised: type[Exception]
) -> None:
    http = RecordingHttpClient(
        status=status, body={"code": code, "message": "no", "status": status}
    )
    with pytest.raises(TelephonyError) as caught:
        adapter(http).connect_caller(LEG)
    assert caught.type is raised


def test_an_unreachable_twilio_is_a_telephony_error() -> None:
    http = RecordingHttpClient(error=ConnectionError("timed out"))
    with pytest.raises(TelephonyError, match="could not be reached"):
        adapter(http).dial_operator(LEG, "+447700900001")


CONFERENCE = "CF" + "f" * 32
PARTICIPANTS = f"{BASE}/Conferences/{CONFERENCE}/Participants"


def test_holding_and_resuming_the_caller_update_their_participant() -> None:
    http = RecordingHttpClient()
    twilio = adapter(http)
    twilio.hold(CONFERENCE, LEG.call_sid, "https://desk.example.org/ivr/conference/hold")
    twilio.hold(CONFERENCE, LEG.call_sid, None)
    assert http.requests == [
        (
            "POST",
            f"{PARTICIPANTS}/{LEG.call_sid}.json",
            {
                "Hold": "true",
                "HoldUrl": "https://desk.example.org/ivr/conference/hold",
                "HoldMethod": "POST",
            },
        ),
        ("POST", f"{PARTICIPANTS}/{LEG.call_sid}.json", {"Hold": "false"}),
    ]


def test_muting_the_operator_updates_their_participant() -> None:
    http = RecordingHttpClient()
    adapter(http).mute(CONFERENCE, "CA" + "e" * 32, True)
    adapter(http).mute(CONFERENCE, "CA" + "e" * 32, False)
    assert http.requests == [
        ("POST", f"{PARTICIPANTS}/{'CA' + 'e' * 32}.json", {"Muted": "true"}),
        ("POST", f"{PARTICIPANTS}/{'CA' + 'e' * 32}.json", {"Muted": "false"}),
    ]


def test_a_coaching_supervisor_is_added_heard_by_the_operator_alone() -> None:
    http = RecordingHttpClient(body={"call_sid": "CA" + "9" * 32})
    operator = "CA" + "e" * 32
    listener = Listener(
        to="client:feedface",
        muted=False,
        coaching=operator,
        status_url="https://desk.example.org/ivr/listener-status?call=abc",
    )
    sid = adapter(http).add_listener(CONFERENCE, listener)
    assert sid == "CA" + "9" * 32
    [(method, uri, sent)] = http.requests
    assert (method, uri) == ("POST", f"{PARTICIPANTS}.json")
    assert sent == {
        "From": "+441706000000",
        "To": "client:feedface",
        "Label": "supervisor",
        "Muted": "false",
        "Beep": "false",
        "EndConferenceOnExit": "false",
        "StatusCallback": "https://desk.example.org/ivr/listener-status?call=abc",
        "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": "['initiated', 'ringing', 'answered', 'completed']",
        "Timeout": "30",
        "Coaching": "true",
        "CallSidToCoach": operator,
    }


def test_a_listening_supervisor_joins_muted_and_coaches_nobody() -> None:
    http = RecordingHttpClient(body={"call_sid": "CA" + "9" * 32})
    listener = Listener("+447700900555", muted=True, coaching=None, status_url="https://x/s")
    adapter(http).add_listener(CONFERENCE, listener)
    [(_, _, sent)] = http.requests
    assert sent["Muted"] == "true" and "Coaching" not in sent and "CallSidToCoach" not in sent


def test_a_text_message_is_sent_from_the_desk_number_through_twilio_messaging() -> None:
    http = RecordingHttpClient(status=201, body={"sid": "SM" + "d" * 32})
    sid = adapter(http).send_sms("+447700900123", "ContactPoint desk: request BR000001 ...")
    assert sid == "SM" + "d" * 32
    assert http.requests == [
        (
            "POST",
            f"{BASE}/Messages.json",
            {
                "To": "+447700900123",
                "From": "+441706000000",
                "Body": "ContactPoint desk: request BR000001 ...",
            },
        )
    ]


def test_a_refused_text_message_is_a_telephony_error() -> None:
    http = RecordingHttpClient(status=400, body={"code": 21211, "message": "Invalid 'To'"})
    with pytest.raises(TelephonyError):
        adapter(http).send_sms("+447700900123", "hello")


def test_a_call_back_rings_the_registered_number_from_the_desks() -> None:
    http = RecordingHttpClient()
    sid = adapter(http).call_back(
        "+447700900123",
        "https://desk.example.org/ivr/recheck/xyz/start",
        "https://desk.example.org/ivr/recheck/xyz/status",
    )
    assert sid == "CA" + "c" * 32
    assert http.requests == [
        (
            "POST",
            f"{BASE}/Calls.json",
            {
                "To": "+447700900123",
                "From": "+441706000000",
                "Url": "https://desk.example.org/ivr/recheck/xyz/start",
                "Method": "POST",
                "StatusCallback": "https://desk.example.org/ivr/recheck/xyz/status",
                "StatusCallbackMethod": "POST",
                "StatusCallbackEvent": "['initiated', 'ringing', 'answered', 'completed']",
                "Timeout": "30",
            },
        )
    ]


def test_taking_the_caller_aside_redirects_their_leg() -> None:
    http = RecordingHttpClient()
    adapter(http).redirect_caller(LEG.call_sid, "https://desk.example.org/ivr/recheck/xyz/start")
    assert http.requests == [
        (
            "POST",
            f"{BASE}/Calls/{LEG.call_sid}.json",
            {"Url": "https://desk.example.org/ivr/recheck/xyz/start", "Method": "POST"},
        )
    ]


def test_a_refused_call_back_is_a_telephony_error() -> None:
    http = RecordingHttpClient(status=400, body={"code": 21211, "message": "Invalid 'To'"})
    with pytest.raises(TelephonyError):
        adapter(http).call_back("+447700900123", "https://a", "https://b")
