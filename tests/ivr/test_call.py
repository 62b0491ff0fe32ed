"""A whole call, driven by signed webhooks exactly as Twilio sends them."""

from flask import Flask

from desk.dev.simulator import Twilio
from ivr import flow
from ivr.models import CallStatus
from tests.factories import PHONE, PIN, current_code
from tests.stored import audit_kinds, stored_call


def test_a_verified_caller_is_greeted_thanked_by_name_and_queued(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)

    greeting = phone.dial()
    assert phone.said_last() == [flow.WELCOME, flow.EMERGENCY, flow.QUESTION[flow.Field.ID]]
    gather = greeting.find("Gather")
    assert gather is not None and gather.attrib["finishOnKey"] == "#"

    phone.key("40000001")
    assert phone.said_last() == [flow.QUESTION[flow.Field.PIN]]
    phone.key(PIN)
    assert phone.said_last() == [flow.QUESTION[flow.Field.CODE]]
    phone.key(current_code())

    assert phone.said_last() == ["Thank you, Sam. Please hold for the next operator."]
    enqueue = phone.enqueue
    assert enqueue is not None and enqueue.text == "desk"
    wait = twilio.post(enqueue.attrib["waitUrl"], phone.params(QueuePosition="3", QueueSid="QU1"))
    assert wait.status_code == 200
    assert b"You are number 3 in the queue." in wait.data

    call = stored_call(app, phone.sid)
    assert call.status == CallStatus.QUEUED
    assert call.practitioner_id == "40000001"
    assert call.is_registered_number is True
    assert audit_kinds(app, phone.sid) == ["call.started", "verification.succeeded", "call.queued"]


def test_a_caller_who_hangs_up_in_the_queue_is_recorded_as_abandoned(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify("40000001", PIN, current_code())
    assert phone.enqueue is not None

    left = twilio.post(
        phone.enqueue.attrib["action"], phone.params(QueueResult="hangup", QueueTime="42")
    )
    assert left.status_code == 200
    done = twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="75"))
    assert done.status_code == 200

    call = stored_call(app, phone.sid)
    assert (call.status, call.duration_seconds) == (CallStatus.ABANDONED, 75)
    assert audit_kinds(app, phone.sid)[-2:] == ["call.abandoned", "call.ended"]


def test_a_full_queue_tells_the_caller_the_service_is_unavailable(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify("40000001", PIN, current_code())
    assert phone.enqueue is not None
    phone.follow(
        twilio.post(phone.enqueue.attrib["action"], phone.params(QueueResult="queue-full"))
    )
    assert phone.said_last() == [flow.UNAVAILABLE] and phone.is_hung_up
    assert stored_call(app, phone.sid).status == CallStatus.ENDED


def test_an_unregistered_number_is_verified_but_marked_for_the_operator(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(caller="07700 900999")
    phone.dial()
    phone.verify("40000001", PIN, current_code())
    assert phone.enqueue is not None
    call = stored_call(app, phone.sid)
    assert call.caller_number == "+447700900999"
    assert call.is_registered_number is False


def test_a_withheld_number_is_told_to_call_again_without_withholding(
    app: Flask, twilio: Twilio
) -> None:
    phone = twilio.call(caller=None)
    phone.dial()
    assert phone.said_last()[-1] == flow.WITHHELD and phone.is_hung_up
    assert audit_kinds(app, phone.sid) == ["call.started", "call.ended_by_desk"]


def test_out_of_hours_callers_hear_the_desk_is_closed(app: Flask, twilio: Twilio) -> None:
    # Open one minute a week, at midnight on Sundays: closed whenever the test runs but then.
    app.config["DESK_OPENING_HOURS"] = "Sun 00:00-00:01"
    phone = twilio.call(PHONE)
    phone.dial()
    assert phone.said_last() == [flow.WELCOME, flow.EMERGENCY, flow.CLOSED]
    assert phone.is_hung_up


def test_the_same_voice_webhook_twice_makes_one_call_and_the_same_answer(
    app: Flask, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    first = twilio.post("/ivr/voice", phone.params())
    second = twilio.post("/ivr/voice", phone.params())
    assert first.data == second.data
    assert audit_kinds(app, phone.sid) == ["call.started"]


def test_a_repeated_answer_is_taken_once(app: Flask, sam: str, twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.key("40000001")
    phone.key(PIN)
    code_action = phone.gather_action
    params = phone.params(Digits=current_code())
    first = twilio.post(code_action, params)
    again = twilio.post(code_action, params)

    assert first.data == again.data
    assert b"<Enqueue" in again.data
    assert audit_kinds(app, phone.sid).count("verification.succeeded") == 1


def test_a_replayed_earlier_answer_does_not_move_the_call_back(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    id_action = phone.gather_action
    phone.key("40000001")
    replay = twilio.post(id_action, phone.params(Digits="40000002"))
    assert flow.QUESTION[flow.Field.PIN].encode() in replay.data
    phone.key(PIN)
    phone.key(current_code())
    assert phone.enqueue is not None
