"""The queue and taking a call: one operator per call, one call per operator, nothing lost."""

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from desk.dev.simulator import Twilio
from desk.staff.models import Role
from ivr.models import CallStatus
from ivr.telephony import CallerGone, LocalTelephony, TelephonyError
from tests.desk.conftest import (
    ALEX_SECRET,
    OPERATOR_PHONE,
    Console,
    flashed,
    queued_call,
)
from tests.factories import make_staff
from tests.pages import csrf_token, sign_in
from tests.stored import audit_events, stored_call


def test_the_queue_shows_who_is_waiting_and_whether_their_number_is_registered(
    app: Flask, sam: str, alex: str, twilio: Twilio, console: Console
) -> None:
    queued_call(twilio, sam)
    queued_call(twilio, alex, caller="+447700900999", secret=ALEX_SECRET)

    rows = console.client.get("/console/queue/rows").text
    assert "Sam Field" in rows and "Rochdale Council" in rows and "Social worker" in rows
    assert "Alex Moss" in rows and "Health visitor" in rows
    assert rows.count("Registered") == 1 and "Not registered: call back" in rows
    assert rows.index("Sam Field") < rows.index("Alex Moss")  # longest wait first
    assert "ID, PIN and token" in rows


def test_taking_a_call_connects_caller_and_operator_in_the_calls_conference(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = queued_call(twilio, sam)
    response = console.take(phone)
    assert response.status_code == 302 and response.location == console.page

    conference = f"desk-call-{console.public_id}"
    assert phones.actions == [
        ("connect_caller", phone.sid, conference),
        ("dial_operator", OPERATOR_PHONE, conference),
    ]
    page = console.client.get(console.page).text
    assert "Call with Sam Field" in page and "Confirm who the caller is" in page
    assert stored_call(app, phone.sid).status == CallStatus.CONNECTED
    [taken] = audit_events(app, "call.taken")
    assert (taken.operator_id, taken.practitioner_id) == (console_operator(app), sam)


def console_operator(app: Flask) -> int:
    from tests.stored import stored_staff

    return stored_staff(app, "olive").id


def test_a_second_operator_is_told_the_call_was_taken(
    app: Flask, sam: str, twilio: Twilio, console: Console, client: FlaskClient
) -> None:
    phone = queued_call(twilio, sam)
    console.take(phone)

    with app.app_context():
        make_staff(username="otto", name="Otto Other", phone_leg="+447700900002")
    other = Console(app.test_client(), app)
    sign_in(other.client, username="otto")
    response = other.take(phone)
    assert response.status_code == 302
    assert "taken by another operator" in " ".join(flashed(other.client.get("/console/")))
    assert len(audit_events(app, "call.taken")) == 1


def test_an_operator_holds_one_call_until_wrapping_it_up(
    app: Flask, sam: str, alex: str, twilio: Twilio, console: Console
) -> None:
    first = queued_call(twilio, sam)
    second = queued_call(twilio, alex, caller="+447700900777", secret=ALEX_SECRET)
    console.take(first)
    held = console.public_id
    console.take(second)
    assert "Wrap up your current call" in " ".join(
        flashed(console.client.get(f"/console/calls/{held}"))
    )
    assert stored_call(app, second.sid).status == CallStatus.QUEUED

    console.public_id = held
    console.wrap_up("call_dropped")
    console.take(second)
    assert stored_call(app, second.sid).status == CallStatus.CONNECTED


def test_when_twilio_refuses_the_call_stays_queued_and_the_operator_is_told(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = queued_call(twilio, sam)
    phones.failure = TelephonyError("Twilio refused the request (500 20500)")
    console.take(phone)
    page = console.client.get("/console/")
    assert "could not connect the call; it is still in the queue" in " ".join(flashed(page))
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED
    assert "Sam Field" in page.text  # still waiting, for anyone to take
    assert audit_events(app, "call.take_failed")[0].data["reason"] == "telephony"


def test_a_caller_who_hung_up_is_not_connected_and_leaves_the_queue(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = queued_call(twilio, sam)
    phones.failure = CallerGone("gone")
    console.take(phone)
    assert "The caller has hung up" in " ".join(flashed(console.client.get("/console/")))
    assert stored_call(app, phone.sid).status == CallStatus.ABANDONED


def test_an_operator_whose_phone_cannot_be_rung_puts_the_caller_back(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = queued_call(twilio, sam)
    original = phones.dial_operator

    def unreachable(*args: object) -> str:
        raise TelephonyError("busy")

    phones.dial_operator = unreachable  # type: ignore[method-assign]
    console.take(phone)
    phones.dial_operator = original  # type: ignore[method-assign]
    assert phones.actions[-1] == ("requeue_caller", phone.sid)
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED


def test_only_operators_use_the_console(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_staff(username="sue", name="Sue Pervisor", role=Role.SUPERVISOR)
    assert client.get("/console/").status_code == 302  # signed out: to the sign-in page
    sign_in(client, username="sue")
    assert client.get("/console/").status_code == 403


def test_the_queue_polling_by_itself_does_not_keep_an_unattended_session_alive(
    app: Flask, console: Console
) -> None:
    import time_machine

    from desk.core.types import utcnow

    start = utcnow()
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert console.client.get("/console/queue/rows").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert console.client.get("/console/queue/rows").status_code == 302


def test_a_call_can_be_returned_to_the_queue_before_any_search(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = queued_call(twilio, sam)
    console.take(phone)
    response = console.post("release", {})
    assert response.status_code == 302 and response.location == "/console/"
    assert ("requeue_caller", phone.sid) in phones.actions
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED
    assert "Sam Field" in console.client.get("/console/queue/rows").text
    assert audit_events(app, "call.released")[0].practitioner_id == sam


def test_console_forms_without_their_csrf_token_are_refused(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    phone = queued_call(twilio, sam)
    public_id = stored_call(app, phone.sid).public_id
    response = console.client.post(f"/console/calls/{public_id}/take")
    assert response.status_code == 400
    assert "expired or was not sent from the desk" in response.text
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED


def test_a_session_that_expires_mid_call_keeps_the_call_for_the_operator(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    import pyotp
    import time_machine

    from desk.core.types import utcnow
    from tests.factories import STAFF_SECRET

    phone = queued_call(twilio, sam)
    console.take(phone)
    token = csrf_token(console.client, console.page)
    later = utcnow() + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        # Idle for 31 minutes: the next step goes to sign-in and does nothing.
        refused = console.client.post(
            f"{console.page}/identity", data={"is_confirmed": "y", "csrf_token": token}
        )
        assert refused.status_code == 302 and refused.location.startswith("/sign-in")
        assert audit_events(app, "call.identity_confirmed") == []
        sign_in(console.client, code=pyotp.TOTP(STAFF_SECRET).at(later))
        # Signed in again, the operator is taken straight back to the call they hold.
        back = console.client.get("/console/")
        assert back.status_code == 302 and back.location == console.page
        console.post("identity", {"is_confirmed": "y"})
    assert stored_call(app, phone.sid).status == CallStatus.CONNECTED
    assert len(audit_events(app, "call.identity_confirmed")) == 1
