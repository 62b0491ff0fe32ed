"""Virtual hold: a queued caller presses 1 to be called back, hangs up, keeps their place, and
when an operator takes the call the desk rings the operator, then calls the practitioner."""

import json
import xml.etree.ElementTree as ET

from flask import Flask

from desk.dev.simulator import QUEUE_SID, Phone, Twilio
from ivr import flow
from ivr.models import CallStatus
from ivr.telephony import LocalTelephony
from tests.desk.conftest import (
    ALEX_SECRET,
    OPERATOR_PHONE,
    Console,
    flashed,
    queued_call,
    registered_choice,
)
from tests.factories import PHONE, PIN, fresh_code
from tests.stored import audit_data, stored_call


def offer(twilio: Twilio, phone: Phone) -> ET.Element:
    """The wait URL's TwiML, as Twilio fetches it for the caller at the front."""
    params = phone.params(QueuePosition="1", QueueSid=QUEUE_SID)
    return ET.fromstring(twilio.post("/ivr/wait", params).data)  # noqa: S314 - the desk's own


def choose_call_back(twilio: Twilio, phone: Phone) -> list[str]:
    """Press 1 at the offer, leave the queue as Twilio does, hang up: what the caller heard."""
    gather = offer(twilio, phone).find("Gather")
    assert gather is not None
    left = ET.fromstring(twilio.post(gather.attrib["action"], phone.params(Digits="1")).data)  # noqa: S314
    assert left.find("Leave") is not None
    enqueue = phone.enqueue
    assert enqueue is not None
    said = phone.follow(
        twilio.post(enqueue.attrib["action"], phone.params(QueueResult="leave", QueueTime="30"))
    )
    assert said.find("Hangup") is not None
    twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="45"))
    return phone.said_last()


def test_the_queue_offers_a_call_back_only_on_a_registered_number(
    app: Flask, sam: str, alex: str, twilio: Twilio
) -> None:
    registered = queued_call(twilio, sam)
    gather = offer(twilio, registered).find("Gather")
    assert gather is not None and gather.attrib["numDigits"] == "1"
    assert gather.attrib["timeout"] == "20" and "actionOnEmptyResult" not in gather.attrib
    assert [s.text for s in gather.iter("Say")][-1] == flow.CALL_ME_BACK
    # Any other key, or none, and the wait goes on.
    waited = twilio.post(gather.attrib["action"], registered.params(Digits="5"))
    assert ET.fromstring(waited.data).find("Leave") is None  # noqa: S314

    elsewhere = queued_call(twilio, alex, caller="+447700900999", secret=ALEX_SECRET)
    assert offer(twilio, elsewhere).find("Gather") is None


def test_a_caller_who_chooses_a_call_back_keeps_their_place_and_is_rung_back(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = queued_call(twilio, sam)
    assert choose_call_back(twilio, phone) == [flow.CALLING_YOU_BACK]
    call = stored_call(app, phone.sid)
    assert call.status == CallStatus.QUEUED and call.is_callback_requested
    rows = console.client.get("/console/queue/rows").text
    assert "Sam Field" in rows and "Hung up to be called back" in rows  # still in the queue
    assert audit_data(app, "call.callback_requested") == [{}]

    console.take(phone)
    conference = f"desk-call-{console.public_id}"
    # The operator is rung first, then the practitioner; nobody moves a caller who has gone.
    assert phones.actions == [("dial_operator", OPERATOR_PHONE, conference), ("call_back", PHONE)]
    line = json.loads(console.client.get(f"{console.page}/line").data)
    assert line["caller"] == "calling_back" and line["is_over"] is False

    ringing = phones.take_ringing(PHONE)
    assert ringing is not None
    leg = Phone(twilio, PHONE, sid=ringing.sid)
    leg.follow(twilio.post(ringing.answer_url, leg.params(Direction="outbound-api")))
    leg.key("1")
    leg.key(PIN)
    joined = leg.key(fresh_code())
    assert joined.find("Dial/Conference") is not None
    assert stored_call(app, leg.sid).status == CallStatus.CONNECTED
    console.post("identity", {"is_confirmed": "y"})
    assert audit_data(app, "call.identity_confirmed") == [{"is_called_back": True}]


def test_unanswered_call_backs_are_retried_then_recorded_as_abandoned(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    app.config["DESK_CALLBACK_ATTEMPTS"] = 2
    phone = queued_call(twilio, sam)
    choose_call_back(twilio, phone)
    console.take(phone)
    for attempt in range(2):
        ringing = phones.take_ringing(PHONE)
        assert ringing is not None, attempt
        unanswered = Phone(twilio, PHONE, sid=ringing.sid)
        twilio.post(ringing.status_url, unanswered.params(CallStatus="no-answer"))
        if attempt == 0:
            choice = registered_choice(console.client.get(console.page).text, PHONE)
            console.post("call-back", {"phone": choice})
    assert stored_call(app, phone.sid).status == CallStatus.ABANDONED
    [abandoned] = audit_data(app, "call.abandoned")
    assert abandoned == {"result": "callback_unanswered", "attempts": 2}
    choice = registered_choice(console.client.get(console.page).text, PHONE)
    refused = console.post("call-back", {"phone": choice})
    assert "as often as it may" in " ".join(flashed(console.client.get(refused.location)))
    assert phones.take_ringing(PHONE) is None
