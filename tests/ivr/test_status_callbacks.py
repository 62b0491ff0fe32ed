"""Status callbacks keep a call's state right however late, often or out of order they come."""

from flask import Flask
from sqlalchemy import select

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.dev.simulator import Twilio
from ivr.models import CallStatus
from tests.factories import PHONE, PIN, current_code
from tests.stored import audit_events, stored_call


def test_a_call_ending_in_the_ivr_records_its_duration(app: Flask, twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="12"))
    call = stored_call(app, phone.sid)
    assert (call.status, call.duration_seconds) == (CallStatus.ENDED, 12)
    assert call.ended_at is not None


def test_a_caller_hanging_up_in_the_queue_is_abandoned_even_without_the_queue_callback(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, current_code())
    twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="90"))
    assert stored_call(app, phone.sid).status == CallStatus.ABANDONED


def test_the_same_status_callback_twice_is_recorded_once(app: Flask, twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    for _ in range(2):
        response = twilio.post(
            "/ivr/status", phone.params(CallStatus="completed", CallDuration="9")
        )
        assert response.status_code == 200
    assert len(audit_events(app, "call.ended")) == 1


def test_an_older_status_arriving_late_is_ignored(app: Flask, twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    twilio.post(
        "/ivr/status", phone.params(CallStatus="completed", CallDuration="30", SequenceNumber="3")
    )
    twilio.post("/ivr/status", phone.params(CallStatus="in-progress", SequenceNumber="1"))
    call = stored_call(app, phone.sid)
    assert (call.status, call.duration_seconds, call.last_sequence) == (CallStatus.ENDED, 30, 3)


def test_progress_before_completion_out_of_order_still_ends_the_call(
    app: Flask, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    twilio.post("/ivr/status", phone.params(CallStatus="in-progress", SequenceNumber="2"))
    twilio.post("/ivr/status", phone.params(CallStatus="ringing", SequenceNumber="1"))
    assert stored_call(app, phone.sid).ended_at is None
    twilio.post(
        "/ivr/status", phone.params(CallStatus="completed", CallDuration="5", SequenceNumber="3")
    )
    assert stored_call(app, phone.sid).ended_at is not None


def test_a_status_callback_for_an_unknown_call_is_accepted_and_noted(
    app: Flask, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    response = twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="3"))
    assert response.status_code == 200
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.kind == "call.status_for_unknown_call")
        )
        assert event is not None and event.data["call_sid"] == phone.sid
