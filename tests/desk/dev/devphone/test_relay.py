"""The dev phone's relay: calls through the real IVR with signed webhooks, one call per tab."""

import json

from flask import Flask

from desk.app import create_app
from desk.dev.devphone.switchboard import Switchboard
from desk.dev.simulator import QUEUE_SID
from ivr import flow
from ivr.models import CallStatus
from tests.conftest import TEST_CONFIG
from tests.desk.dev.devphone.conftest import Clock, DevPhone
from tests.factories import PIN, SECRET, current_code, make_practitioner
from tests.stored import audit_events, audit_kinds, stored_call

THANKS = "Thank you, Sam. Please hold for the next operator."
SHORTLY = "An operator will be with you shortly."


def test_a_call_goes_through_the_real_ivr_into_the_queue(
    app: Flask, sam: str, devphone: DevPhone
) -> None:
    greeting = devphone.dial()
    assert greeting["mode"] == "gathering"
    assert greeting["gather"]["finish_on_key"] == "#"
    assert greeting["gather"]["timeout"] == 10
    assert devphone.heard == [flow.WELCOME, flow.EMERGENCY, flow.QUESTION[flow.Field.ID]]

    queued = devphone.verify(sam, SECRET)

    assert queued["mode"] == "queued"
    assert devphone.heard[-4:] == [THANKS, "You are next in the queue.", SHORTLY, flow.CALL_ME_BACK]
    assert audit_kinds(app, devphone.sid) == [
        "call.started",
        "verification.succeeded",
        "call.queued",
    ]
    call = stored_call(app, devphone.sid)
    assert (call.status, call.caller_number) == (CallStatus.QUEUED, "+447700900123")
    assert call.queue_sid == QUEUE_SID  # the wait URL was requested, as Twilio does at once
    # What was keyed reaches the verifier only: the page is told how many keys, never which.
    assert PIN not in json.dumps(devphone.reports)


def test_wrong_details_hear_the_retry_words(app: Flask, sam: str, devphone: DevPhone) -> None:
    devphone.dial()
    devphone.key(sam)
    devphone.key("000000")
    retry = devphone.key(current_code())

    assert retry["mode"] == "gathering"
    assert devphone.heard[-2:] == [flow.TRY_AGAIN, flow.QUESTION[flow.Field.ID]]
    assert audit_kinds(app, devphone.sid) == ["call.started", "verification.failed"]


def test_a_gather_that_times_out_with_nothing_keyed_is_asked_again(
    sam: str, devphone: DevPhone
) -> None:
    devphone.dial()
    devphone.wait_out()
    assert devphone.heard[-2:] == [flow.NOTHING_HEARD, flow.QUESTION[flow.Field.ID]]
    assert "You keyed nothing." in devphone.events


def test_keys_left_to_time_out_are_still_sent(sam: str, devphone: DevPhone) -> None:
    devphone.dial()
    devphone.wait_out(sam)
    assert devphone.heard[-1] == flow.QUESTION[flow.Field.PIN]


def test_a_withheld_number_is_told_to_call_again_and_hung_up_on(
    app: Flask, devphone: DevPhone
) -> None:
    ended = devphone.dial(caller=None)
    assert ended["mode"] == "ended"
    assert devphone.heard[-1] == flow.WITHHELD
    assert ended["ended_because"] == "The desk hung up."
    # The status callback follows the hang-up, as Twilio sends it.
    assert audit_kinds(app, devphone.sid)[-2:] == ["call.ended_by_desk", "call.ended"]


def test_two_dev_phones_are_two_calls_each_with_its_own_number(
    app: Flask, sam: str, devphone: DevPhone
) -> None:
    with app.app_context():
        make_practitioner(
            practitioner_id="40000002",
            name="Alex Moss",
            phones=("+447700900777",),
            totp_secret="KRSXG5CTMVRXEZLUKN2XAZLS",
        )
    other = DevPhone(app.test_client())
    devphone.dial()
    other.dial(caller="+447700900777")
    devphone.verify(sam, SECRET)
    other.verify("40000002", "KRSXG5CTMVRXEZLUKN2XAZLS")

    assert devphone.sid != other.sid
    assert "You are next in the queue." in devphone.heard
    assert "You are number 2 in the queue." in other.heard
    numbers = {stored_call(app, p.sid).caller_number for p in (devphone, other)}
    assert numbers == {"+447700900123", "+447700900777"}
    assert [e.call_id for e in audit_events(app, "call.queued")] == [
        stored_call(app, p.sid).id for p in (devphone, other)
    ]


def test_the_wait_url_is_asked_again_while_the_caller_waits(
    sam: str, devphone: DevPhone, clock: Clock
) -> None:
    devphone.dial()
    devphone.verify(sam, SECRET)
    devphone.poll()
    assert devphone.heard.count("You are next in the queue.") == 1  # still in its pause

    clock.now += 40  # the 20 seconds the offer waits for a key, and the words before it
    devphone.poll()
    assert devphone.heard.count("You are next in the queue.") == 2


def test_hanging_up_in_the_queue_abandons_the_call(
    app: Flask, sam: str, devphone: DevPhone
) -> None:
    devphone.dial()
    devphone.verify(sam, SECRET)
    ended = devphone.hang_up()
    assert (ended["mode"], ended["ended_because"]) == ("ended", "You hung up.")
    assert stored_call(app, devphone.sid).status == CallStatus.ABANDONED
    assert audit_kinds(app, devphone.sid)[-2:] == ["call.abandoned", "call.ended"]


def test_a_closing_page_hangs_up_with_a_beacon_carrying_the_token_in_its_form(
    app: Flask, sam: str, devphone: DevPhone, board: Switchboard
) -> None:
    # navigator.sendBeacon cannot set a header: the page's token travels as a form field.
    devphone.dial()
    devphone.verify(sam, SECRET)
    hang_up = f"/devphone/calls/{devphone.sid}/hang-up"
    forged = devphone.client.post(hang_up, data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert stored_call(app, devphone.sid).status == CallStatus.QUEUED

    beacon = devphone.client.post(hang_up, data={"csrf_token": devphone.token})
    assert beacon.status_code == 200
    assert board.calls[devphone.sid].mode.value == "ended"
    assert stored_call(app, devphone.sid).status == CallStatus.ABANDONED


def test_a_page_gone_quiet_is_hung_up_when_the_next_call_is_made(
    app: Flask, sam: str, devphone: DevPhone, board: Switchboard, clock: Clock
) -> None:
    devphone.dial()
    devphone.verify(sam, SECRET)
    clock.now += 3600
    DevPhone(app.test_client()).dial()
    assert stored_call(app, devphone.sid).status == CallStatus.ABANDONED


def test_relay_posts_need_the_pages_csrf_token(devphone: DevPhone, board: Switchboard) -> None:
    client = devphone.client
    assert client.post("/devphone/calls", json={"caller": None}).status_code == 400
    forged = client.post("/devphone/calls", json={}, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    assert board.calls == {}

    devphone.dial()
    keys = client.post(f"/devphone/calls/{devphone.sid}/keys", json={"digits": "1"})
    assert keys.status_code == 400
    assert client.post(f"/devphone/calls/{devphone.sid}/hang-up").status_code == 400
    assert devphone.poll()["mode"] == "gathering"  # the call was not touched


def test_the_relay_refuses_what_a_phone_cannot_send(devphone: DevPhone) -> None:
    assert devphone.send("/devphone/calls", {"caller": "<script>"}).status_code == 400
    devphone.dial()
    keys = devphone.send(f"/devphone/calls/{devphone.sid}/keys", {"digits": "12a"})
    assert keys.status_code == 400
    assert devphone.send("/devphone/calls/CAnosuchcall/poll").status_code == 404


def test_the_dev_phone_exists_only_with_local_telephony(database_uri: str) -> None:
    twilio_desk = create_app(
        {**TEST_CONFIG, "DESK_TELEPHONY": "twilio", "SQLALCHEMY_DATABASE_URI": database_uri}
    )
    client = twilio_desk.test_client()
    assert client.get("/devphone").status_code == 404
    assert "/devphone" not in client.get("/").text
    assert "devphone.dial" not in {rule.endpoint for rule in twilio_desk.url_map.iter_rules()}


def test_the_page_needs_no_sign_in_and_has_no_inline_script(devphone: DevPhone) -> None:
    assert 'href="/devphone"' in devphone.client.get("/").text  # the front page points to it
    page = devphone.client.get("/devphone").text
    assert "<script src=" in page
    assert "<script>" not in page and " onclick=" not in page
    assert 'name="csrf-token"' in page


def test_without_an_auth_token_the_desk_refuses_the_dev_phone_too(
    app: Flask, devphone: DevPhone
) -> None:
    app.config["TWILIO_AUTH_TOKEN"] = None
    ended = devphone.dial()
    assert ended["mode"] == "ended"
    assert ended["ended_because"].startswith("The desk answered HTTP 403, not TwiML")
