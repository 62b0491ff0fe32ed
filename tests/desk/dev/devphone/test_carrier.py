"""Following TwiML as Twilio does, against a stand-in desk that answers set documents."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from desk.dev.devphone.carrier import SimulatedCall
from desk.dev.simulator import Twilio
from ivr.telephony import LocalTelephony
from tests.desk.dev.devphone.conftest import Clock


@dataclass
class StandInDesk:
    """Answers each path with a set TwiML document, and keeps what was posted."""

    documents: dict[str, str]
    posted: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def post(self, path: str, *, data: dict[str, str], headers: dict[str, str]) -> Response:
        assert headers["X-Twilio-Signature"]
        where = urlsplit(path).path
        self.posted.append((where, data))
        if where not in self.documents:
            return Response("not found", 404)
        return Response(self.documents[where], mimetype="text/xml")

    def paths(self) -> list[str]:
        return [path for path, _ in self.posted]


def call_to(desk: StandInDesk, clock: Clock) -> SimulatedCall:
    adapter = LocalTelephony()
    twilio = Twilio(desk, "token", "http://desk.test")  # type: ignore[arg-type]
    call = SimulatedCall(
        twilio.call("+447700900123"),
        telephony=lambda: adapter,
        queue_position=lambda call: 1,
        operator_name=lambda leg: leg,
        clock=clock,
    )
    call.dial()
    return call


def heard(call: SimulatedCall) -> list[str]:
    """What the caller heard since the phone's page last asked."""
    return [entry.text for entry in call.heard if entry.kind == "say"]


def test_redirects_are_followed_and_pauses_wait_for_time_to_pass() -> None:
    clock = Clock()
    desk = StandInDesk(
        {
            "/ivr/voice": "<Response><Say>One</Say><Redirect>/next</Redirect></Response>",
            "/next": '<Response><Say>Two</Say><Pause length="5"/><Play>x.mp3</Play>'
            "<Say>Three</Say><Hangup/></Response>",
            "/ivr/status": "<Response/>",
        }
    )
    call = call_to(desk, clock)
    assert heard(call) == ["One", "Two"]
    call.poll()
    assert heard(call) == ["One", "Two"]  # still pausing

    clock.now += 6
    call.poll()
    assert heard(call) == ["One", "Two", "Three"]
    assert call.report()["ended_because"] == "The desk hung up."
    assert desk.paths() == ["/ivr/voice", "/next", "/ivr/status"]
    assert desk.posted[-1][1]["CallStatus"] == "completed"


def test_a_gather_left_empty_goes_on_to_the_next_verb_unless_told_otherwise() -> None:
    desk = StandInDesk(
        {
            "/ivr/voice": '<Response><Gather action="/keys" timeout="3"><Say>Key</Say></Gather>'
            "<Say>Nothing keyed</Say><Hangup/></Response>",
            "/ivr/status": "<Response/>",
        }
    )
    call = call_to(desk, Clock())
    assert heard(call) == ["Key"]
    assert call.report()["gather"]["timeout"] == 3
    call.press("", timed_out=True)
    assert heard(call) == ["Nothing keyed"]
    assert "/keys" not in desk.paths()


def test_a_document_that_runs_out_ends_the_call() -> None:
    desk = StandInDesk({"/ivr/voice": "<Response><Say>Hello</Say></Response>"})
    call = call_to(desk, Clock())
    assert call.report()["ended_because"] == "The desk had nothing more to say, so the call ended."


def test_twiml_that_goes_round_in_circles_ends_the_call() -> None:
    desk = StandInDesk({"/ivr/voice": "<Response><Redirect>/ivr/voice</Redirect></Response>"})
    call = call_to(desk, Clock())
    assert "round in circles" in call.report()["ended_because"]


def test_an_answer_twilio_could_not_follow_ends_the_call() -> None:
    desk = StandInDesk({"/ivr/voice": "<Response><Redirect>/missing</Redirect></Response>"})
    call = call_to(desk, Clock())
    assert call.report()["ended_because"].startswith("The desk answered HTTP 404, not TwiML")
