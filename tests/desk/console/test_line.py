"""The line: what Twilio reports of the conference reaches the operator's page and the record;
hold and mute are REST calls to the conference; a caller who hangs up ends the steps."""

from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk.dev.simulator import Phone, Twilio
from desk.staff.models import Role
from ivr.telephony import LocalTelephony
from tests.desk.conftest import Console, flashed, queued_call
from tests.factories import make_staff
from tests.pages import sign_in
from tests.stored import audit_events, stored_call, stored_staff

CONFERENCE = "CF" + "1" * 32
KEY_SECRET = "an-api-key-secret-of-32-bytes-ok"


def conference_event(
    twilio: Twilio, console: Console, phone: Phone, event: str, **extra: str
) -> None:
    params = {
        **phone.params(),
        "ConferenceSid": CONFERENCE,
        "FriendlyName": f"desk-call-{console.public_id}",
        "StatusCallbackEvent": event,
        **extra,
    }
    response = twilio.post(f"/ivr/conference/events?call={console.public_id}", params)
    assert response.status_code == 200


def operator_event(twilio: Twilio, console: Console, phone: Phone, event: str) -> None:
    conference_event(
        twilio, console, phone, event, CallSid="CL" + "0" * 31 + "1", ParticipantLabel="operator"
    )


def line(console: Console) -> dict[str, Any]:
    response = console.client.get(f"{console.page}/line")
    assert response.status_code == 200
    data: dict[str, Any] = response.get_json()
    return data


def connected(twilio: Twilio, console: Console, sam: str) -> Phone:
    """A taken call with the caller and the operator both in its conference."""
    phone = queued_call(twilio, sam)
    console.take(phone)
    conference_event(twilio, console, phone, "participant-join", ParticipantLabel="caller")
    operator_event(twilio, console, phone, "participant-join")
    return phone


def test_the_page_follows_the_line_as_twilio_reports_it(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    phone = queued_call(twilio, sam)
    console.take(phone)
    shown = line(console)
    assert (shown["caller"], shown["operator_leg"]) == ("connecting", "calling")
    assert shown["caller_name"] == "Sam Field" and shown["listeners"] == []

    status_url = f"/ivr/operator-status?call={console.public_id}"
    twilio.post(status_url, {**phone.params(), "CallSid": "CL1", "CallStatus": "ringing"})
    assert line(console)["operator_leg_words"] == "Your phone is ringing"

    conference_event(twilio, console, phone, "participant-join", ParticipantLabel="caller")
    operator_event(twilio, console, phone, "participant-join")
    shown = line(console)
    assert (shown["caller_words"], shown["operator_leg_words"]) == (
        "Caller on the line",
        "Connected",
    )
    conference_event(twilio, console, phone, "participant-hold", ParticipantLabel="caller")
    assert line(console)["caller_words"] == "Caller on hold"
    operator_event(twilio, console, phone, "participant-mute")
    assert line(console)["is_muted"] is True
    conference_event(twilio, console, phone, "participant-leave", ParticipantLabel="caller")
    shown = line(console)
    assert (shown["caller_words"], shown["is_over"]) == ("The caller has hung up", True)

    # Each party's times are on the record, for the supervisor's timeline.
    kept = [
        (e.data["event"], e.data["party"])
        for e in audit_events(app, "call.conference", call_sid=phone.sid)
    ]
    assert kept == [
        ("participant-join", "caller"),
        ("participant-join", "operator"),
        ("participant-hold", "caller"),
        ("participant-mute", "operator"),
        ("participant-leave", "caller"),
    ]
    assert stored_call(app, phone.sid).conference_sid == CONFERENCE


def test_hold_and_mute_are_rest_calls_to_the_calls_conference(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = connected(twilio, console, sam)
    operator_leg = "CL" + "0" * 31 + "1"
    for action in ("hold", "resume", "mute", "unmute"):
        response = console.post(action, {})
        assert response.status_code == 302 and response.location == console.page
    assert phones.actions[-4:] == [
        ("hold", CONFERENCE, phone.sid),
        ("resume", CONFERENCE, phone.sid),
        ("mute", CONFERENCE, operator_leg),
        ("unmute", CONFERENCE, operator_leg),
    ]
    [held, _resumed, _muted, _unmuted] = phones.take_changes(CONFERENCE)
    assert held.hold_url == "http://localhost/ivr/conference/hold"
    assert [e.data for e in audit_events(app, "call.hold_requested")] == [
        {"hold": True},
        {"hold": False},
    ]
    # What the caller hears on hold.
    heard = twilio.post("/ivr/conference/hold", phone.params())
    assert b"Please hold" in heard.data


def test_holding_a_caller_not_yet_in_the_conference_is_refused(
    sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    console.take(queued_call(twilio, sam))
    response = console.post("hold", {})
    assert "The caller is not in the call's conference yet." in flashed(
        console.client.get(response.location)
    )
    assert not any(action[0] == "hold" for action in phones.actions)


def test_when_the_caller_hangs_up_the_steps_are_withdrawn_and_refused(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    phone = connected(twilio, console, sam)
    conference_event(twilio, console, phone, "participant-leave", ParticipantLabel="caller")
    page = console.client.get(console.page).text
    assert "The caller has hung up. Wrap up the call." in page
    assert "<div data-while-live hidden>" in page

    response = console.post("identity", {"is_confirmed": "y"})
    assert "The caller has hung up: wrap up the call." in flashed(
        console.client.get(response.location)
    )
    assert audit_events(app, "call.identity_confirmed") == []
    assert console.wrap_up("call_dropped").status_code == 302
    assert len(audit_events(app, "call.wrapped_up")) == 1


def test_the_softphone_token_is_for_signed_in_operators_and_supervisors_only(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(
        DESK_TELEPHONY="twilio",
        TWILIO_API_KEY_SID="SK" + "2" * 32,
        TWILIO_API_KEY_SECRET=KEY_SECRET,
    )
    with app.app_context():
        make_staff(phone_leg="browser")
        make_staff(username="ada", name="Ada Admin", role=Role.ADMIN)
    anonymous = client.get("/console/softphone/token")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.location

    sign_in(client, "ada")
    assert client.get("/console/softphone/token").status_code == 403

    olive = app.test_client()
    sign_in(olive)
    answered = olive.get("/console/softphone/token")
    assert answered.status_code == 200
    claims = jwt.decode(answered.get_json()["token"], KEY_SECRET, algorithms=["HS256"])
    staff = stored_staff(app, "olive")
    assert claims["grants"]["identity"] == staff.softphone_identity
    assert claims["grants"]["voice"] == {"incoming": {"allow": True}}
    assert claims["iss"] == "SK" + "2" * 32 and claims["exp"] - claims["nbf"] <= 600
    assert "Olive" not in answered.text and "operator" not in answered.text


def test_a_local_desk_has_no_softphone_token(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_staff(phone_leg="browser")
    sign_in(client)
    assert client.get("/console/softphone/token").status_code == 404


@pytest.fixture
def sue(app: Flask) -> FlaskClient:
    with app.app_context():
        make_staff(username="sue", name="Sue Pervisor", role=Role.SUPERVISOR, phone_leg="browser")
    supervisor = app.test_client()
    sign_in(supervisor, "sue")
    return supervisor


def join(supervisor: FlaskClient, console: Console, mode: str) -> list[str]:
    from tests.pages import submit

    response = submit(
        supervisor, "/console/live", {"mode": mode}, f"/console/live/{console.public_id}/join"
    )
    return flashed(supervisor.get(response.location))


def test_a_supervisor_listening_in_is_shown_to_the_operator_and_audited(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony, sue: FlaskClient
) -> None:
    phone = connected(twilio, console, sam)
    assert "Sam Field" in sue.get("/console/live").text
    assert "Listening" in join(sue, console, "listen")[0]

    target = f"client:{stored_staff(app, 'sue').softphone_identity}"
    assert phones.actions[-1] == ("add_listener", CONFERENCE, target, "")
    [added] = phones.added[CONFERENCE]
    assert added.listener.muted is True and added.listener.coaching is None
    # The operator sees them from the moment they ask to join, before their leg answers.
    assert line(console)["listeners"] == [
        {
            "name": "Sue Pervisor",
            "mode": "listen",
            "words": "Sue Pervisor is joining the call (Listening)",
        }
    ]
    conference_event(
        twilio, console, phone, "participant-join", CallSid=added.sid, ParticipantLabel="supervisor"
    )
    assert line(console)["listeners"][0]["words"] == "Sue Pervisor: Listening"
    [started] = audit_events(app, "call.listen_in_started")
    assert started.supervisor_id == stored_staff(app, "sue").id
    assert started.data == {"mode": "listen", "disclosure": True}

    from tests.pages import submit

    submit(sue, "/console/live", {}, "/console/live/leave")
    assert phones.actions[-1] == ("hang_up", added.sid)
    assert line(console)["listeners"] == []
    [ended] = audit_events(app, "call.listen_in_ended")
    assert ended.data == {"mode": "listen", "reason": "left"}


def test_a_coaching_supervisor_is_heard_by_the_operator_alone(
    sam: str, twilio: Twilio, console: Console, phones: LocalTelephony, sue: FlaskClient
) -> None:
    connected(twilio, console, sam)
    join(sue, console, "coach")
    [added] = phones.added[CONFERENCE]
    assert (added.listener.muted, added.listener.coaching) == (False, "CL" + "0" * 31 + "1")


def test_a_supervisors_leg_that_ends_ends_the_listen_in(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony, sue: FlaskClient
) -> None:
    phone = connected(twilio, console, sam)
    join(sue, console, "barge")
    [added] = phones.added[CONFERENCE]
    twilio.post(
        f"/ivr/listener-status?call={console.public_id}",
        {**phone.params(), "CallSid": added.sid, "CallStatus": "no-answer"},
    )
    assert line(console)["listeners"] == []
    assert audit_events(app, "call.listen_in_ended")[0].data["reason"] == "leg_ended"


def test_a_supervisor_cannot_listen_before_the_operator_is_connected(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony, sue: FlaskClient
) -> None:
    console.take(queued_call(twilio, sam))
    assert join(sue, console, "listen") == ["The operator is not connected to the caller yet."]
    assert audit_events(app, "call.listen_in_started") == []
