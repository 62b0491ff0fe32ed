"""Joining a taken call: the caller and the operator meet in a conference named for the call."""

import xml.etree.ElementTree as ET

from flask import Flask

from desk.dev.simulator import QUEUE_SID, Phone, Twilio
from ivr import flow
from tests.factories import PHONE, PIN, current_code
from tests.stored import audit_kinds, stored_call


def queued_caller(twilio: Twilio, sam: str) -> Phone:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, current_code())
    phone.wait(position=1)
    return phone


def twiml(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - the desk's own TwiML


def test_the_wait_url_tells_the_desk_which_queue_the_caller_is_in(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = queued_caller(twilio, sam)
    assert stored_call(app, phone.sid).queue_sid == QUEUE_SID


def test_the_caller_hears_they_are_connected_and_joins_the_conference(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = queued_caller(twilio, sam)
    call = stored_call(app, phone.sid)
    response = twilio.post(f"/ivr/conference/caller?call={call.public_id}", phone.params())
    root = twiml(response.data)
    assert [s.text for s in root.iter("Say")] == [flow.CONNECTING]
    conference = root.find("Dial/Conference")
    assert conference is not None and conference.text == f"desk-call-{call.public_id}"
    assert conference.attrib["startConferenceOnEnter"] == "false"
    # Set as they join, since it cannot be changed while they are on hold: the caller can be
    # moved out of the conference and back without ending it.
    assert conference.attrib["endConferenceOnExit"] == "false"
    assert conference.attrib["participantLabel"] == "caller"
    assert conference.attrib["statusCallback"] == (
        f"http://localhost/ivr/conference/events?call={call.public_id}"
    )
    assert conference.attrib["statusCallbackEvent"] == "start end join leave mute hold"


def test_the_operator_hears_a_whisper_with_the_callers_name(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = queued_caller(twilio, sam)
    call = stored_call(app, phone.sid)
    operator_leg = Phone(twilio, "+447700900001")
    response = twilio.post(f"/ivr/conference/operator?call={call.public_id}", operator_leg.params())
    root = twiml(response.data)
    assert [s.text for s in root.iter("Say")] == [
        "Caller: Sam Field, Social worker, Rochdale Council.",
        "Registered number.",
    ]
    conference = root.find("Dial/Conference")
    assert conference is not None and conference.attrib["startConferenceOnEnter"] == "true"
    assert conference.attrib["endConferenceOnExit"] == "true"
    assert conference.attrib["participantLabel"] == "operator"


def test_conference_urls_for_an_unknown_call_say_the_service_is_unavailable(twilio: Twilio) -> None:
    response = twilio.post("/ivr/conference/caller?call=made-up", Phone(twilio, PHONE).params())
    assert flow.UNAVAILABLE.encode() in response.data


def test_a_caller_sent_back_to_the_queue_hears_so_and_is_queued_again(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = queued_caller(twilio, sam)
    phone.follow(twilio.post("/ivr/requeue", phone.params()))
    assert phone.said_last() == [flow.REQUEUED]
    assert phone.enqueue is not None
    assert stored_call(app, phone.sid).status == "queued"
    assert audit_kinds(app, phone.sid)[-1] == "call.requeued"
