"""An operator taking, returning and wrapping up a dev phone's call, through the console's pages."""

import pytest
from flask import Flask

from ivr import flow
from ivr.models import CallStatus
from ivr.telephony import LocalTelephony, TelephonyError
from tests.desk.conftest import Console
from tests.desk.dev.devphone.conftest import DevPhone
from tests.factories import SECRET, make_staff
from tests.pages import sign_in
from tests.stored import audit_data, audit_kinds, stored_call


@pytest.fixture
def queued(sam: str, devphone: DevPhone) -> DevPhone:
    devphone.dial()
    assert devphone.verify(sam, SECRET)["mode"] == "queued"
    return devphone


def test_taking_the_call_connects_the_dev_phone_to_the_operator(
    app: Flask, queued: DevPhone, console: Console
) -> None:
    console.take(queued)  # type: ignore[arg-type]  # a Console takes any call with a sid
    connected = queued.poll()

    assert connected["mode"] == "connected"
    assert connected["connected_to"] == "Olive Operator"
    assert queued.heard[-1] == flow.CONNECTING
    assert queued.events[-1] == "Connected to Olive Operator."
    # Twilio tells the Enqueue action at once that the caller was taken out of the queue.
    assert audit_data(app, "call.left_queue")[-1]["result"] == "redirected"
    assert stored_call(app, queued.sid).status == CallStatus.CONNECTED


def test_wrapping_up_ends_the_dev_phones_call(
    app: Flask, queued: DevPhone, console: Console
) -> None:
    console.take(queued)  # type: ignore[arg-type]
    queued.poll()
    console.ready_to_search()
    console.wrap_up()

    ended = queued.poll()

    assert ended["mode"] == "ended"
    assert ended["ended_because"] == "The operator ended the call."
    assert stored_call(app, queued.sid).status == CallStatus.COMPLETED
    assert [kind for kind in audit_kinds(app, queued.sid) if kind != "call.conference"][-3:] == [
        "call.wrapped_up",
        "call.operator_leg",
        "call.ended",
    ]
    assert audit_data(app, "call.operator_leg")[-1]["status"] == "completed"


def test_returning_the_call_sends_the_dev_phone_back_to_the_queue(
    app: Flask, queued: DevPhone, console: Console
) -> None:
    console.take(queued)  # type: ignore[arg-type]
    queued.poll()
    console.post("release", {})

    back = queued.poll()

    assert back["mode"] == "queued"
    assert flow.REQUEUED in queued.heard[-4:]
    assert stored_call(app, queued.sid).status == CallStatus.QUEUED
    assert audit_kinds(app, queued.sid)[-1] == "call.requeued"


def test_when_the_operators_phone_cannot_be_rung_the_caller_is_back_in_the_queue(
    app: Flask, queued: DevPhone, console: Console, phones: LocalTelephony
) -> None:
    def unreachable(*args: object) -> str:
        raise TelephonyError("busy")

    phones.dial_operator = unreachable  # type: ignore[method-assign]
    console.take(queued)  # type: ignore[arg-type]

    back = queued.poll()

    assert back["mode"] == "queued"
    # Back in the queue, and offered a call-back there again.
    assert queued.heard[-4:] == [
        flow.REQUEUED,
        "You are next in the queue.",
        "An operator will be with you shortly.",
        flow.CALL_ME_BACK,
    ]
    assert stored_call(app, queued.sid).status == CallStatus.QUEUED


def test_a_caller_who_hangs_up_ends_the_operators_leg_too(
    app: Flask, queued: DevPhone, console: Console
) -> None:
    console.take(queued)  # type: ignore[arg-type]
    queued.poll()

    queued.hang_up()

    assert audit_data(app, "call.operator_leg")[-1]["status"] == "completed"
    call = stored_call(app, queued.sid)
    assert (call.status, call.ended_at is not None) == (CallStatus.COMPLETED, True)


@pytest.fixture
def softphone_console(app: Flask, phones: LocalTelephony) -> Console:
    with app.app_context():
        make_staff(username="fern", name="Fern Operator", phone_leg="browser")
    client = app.test_client()
    assert sign_in(client, "fern").status_code == 302
    return Console(client, app)


def test_a_softphones_leg_rings_until_the_softphone_answers_and_holds_as_twilio_would(
    app: Flask, queued: DevPhone, softphone_console: Console, phones: LocalTelephony
) -> None:
    console = softphone_console
    console.take(queued)  # type: ignore[arg-type]
    assert queued.poll()["mode"] == "on_hold"  # in the conference, the softphone ringing
    assert console.client.get("/dev/softphone/leg").json == {"state": "ringing"}
    assert audit_data(app, "call.operator_leg")[-1]["status"] == "ringing"

    page = console.client.get("/console/softphone").text
    csrf = {"X-CSRFToken": page.split('name="csrf-token" content="')[1].split('"')[0]}
    answered = console.client.post("/dev/softphone/answer", headers=csrf)
    assert answered.json == {"state": "connected"}
    assert queued.poll()["connected_to"] == "Fern Operator"

    console.post("hold", {})
    queued.poll()
    assert queued.events[-1] == "The operator put you on hold."
    assert queued.heard[-1].startswith("Please hold")
    console.post("resume", {})
    queued.poll()
    assert queued.events[-1] == "The operator is back on the line."
    said = [(d["event"], d["party"]) for d in audit_data(app, "call.conference")]
    assert said == [
        ("participant-join", "caller"),
        ("conference-start", "conference"),
        ("participant-join", "operator"),
        ("participant-hold", "caller"),
        ("participant-unhold", "caller"),
    ]

    hung_up = console.client.post("/dev/softphone/hang-up", headers=csrf)
    assert hung_up.json == {"state": "idle"}
    assert audit_data(app, "call.operator_leg")[-1]["status"] == "completed"
    assert queued.poll()["mode"] != "connected"
