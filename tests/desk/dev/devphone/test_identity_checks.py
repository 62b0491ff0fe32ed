"""The dev phone plays the practitioner in the later checks: it rings when the desk calls back,
and takes keys when the operator asks for a fresh code."""

from urllib.parse import quote

from flask import Flask

from ivr import flow
from tests.desk.conftest import Console, flashed, registered_choice
from tests.desk.dev.devphone.conftest import DevPhone
from tests.factories import PHONE, PIN, SECRET, fresh_code
from tests.stored import stored_call

UNREGISTERED = "+447700900999"


def connected(devphone: DevPhone, console: Console, sam: str, caller: str) -> DevPhone:
    devphone.dial(caller)
    assert devphone.verify(sam, SECRET)["mode"] == "queued"
    console.take(devphone)  # type: ignore[arg-type]  # a Console takes any call with a sid
    assert devphone.poll()["mode"] == "connected"
    return devphone


def test_the_registered_phone_rings_when_the_desk_calls_back_and_takes_the_call_over(
    app: Flask, sam: str, devphone: DevPhone, console: Console
) -> None:
    first = connected(devphone, console, sam, UNREGISTERED)
    registered = DevPhone(app.test_client())
    assert registered.client.get(f"/devphone/ringing?number={quote(PHONE)}").json == {
        "ringing": False
    }

    choice = registered_choice(console.client.get(console.page).text, PHONE)
    posted = console.post("call-back", {"phone": choice})
    assert "Calling" in " ".join(flashed(console.client.get(posted.location)))
    assert registered.client.get(f"/devphone/ringing?number={quote(PHONE)}").json == {
        "ringing": True
    }
    answered = registered.send("/devphone/answer", {"number": PHONE})
    assert answered.status_code == 201
    registered.reports.append(answered.json)  # type: ignore[arg-type]
    registered.sid = answered.json["sid"]  # type: ignore[index]
    assert registered.last["gather"]["num_digits"] == 1
    assert registered.heard[0].startswith("This is the ContactPoint mediated access desk")

    registered.relay("keys", {"digits": "1", "timed_out": False})
    registered.key(PIN)
    joined = registered.key(fresh_code())
    assert joined["mode"] == "connected" and joined["connected_to"] == "Olive Operator"
    assert registered.heard[-1] == flow.CONNECTING
    # The first leg is ended by the desk; the operator's leg stays with the new one.
    assert first.poll()["mode"] == "ended"
    line = console.client.get(f"{console.page}/line", headers={"Accept": "application/json"})
    assert line.json["caller"] == "on_line"  # type: ignore[index]
    assert line.json["operator_leg"] == "connected"  # type: ignore[index]
    assert stored_call(app, registered.sid).status.value == "connected"


def test_the_caller_keys_a_fresh_code_aside_and_comes_back_to_the_operator(
    app: Flask, sam: str, devphone: DevPhone, console: Console
) -> None:
    connected(devphone, console, sam, PHONE)
    console.post("key-again", {})
    aside = devphone.poll()
    assert aside["mode"] == "gathering"
    assert "The desk took you aside: the operator cannot hear you." in devphone.events
    line = console.client.get(f"{console.page}/line", headers={"Accept": "application/json"})
    assert line.json["caller"] == "keying"  # type: ignore[index]

    back = devphone.key(fresh_code())
    assert back["mode"] == "connected" and devphone.heard[-1] == flow.RETURNING
    line = console.client.get(f"{console.page}/line", headers={"Accept": "application/json"})
    assert line.json["caller"] == "on_line"  # type: ignore[index]
    assert line.json["operator_leg"] == "connected"  # type: ignore[index]
    assert line.json["identity"]["words"] == "Keyed again: Verified"  # type: ignore[index]


def test_a_queued_caller_chooses_a_call_back_hangs_up_and_is_rung_at_their_turn(
    app: Flask, sam: str, devphone: DevPhone, console: Console
) -> None:
    devphone.dial(PHONE)
    queued = devphone.verify(sam, SECRET)
    assert queued["mode"] == "queued" and queued["gather"]["num_digits"] == 1
    assert devphone.heard[-1] == flow.CALL_ME_BACK
    left = devphone.relay("keys", {"digits": "1", "timed_out": False})
    assert left["mode"] == "ended" and devphone.heard[-1] == flow.CALLING_YOU_BACK
    assert stored_call(app, devphone.sid).status.value == "queued"  # its place kept

    console.take(devphone)  # type: ignore[arg-type]  # a Console takes any call with a sid
    registered = DevPhone(app.test_client())
    answered = registered.send("/devphone/answer", {"number": PHONE})
    assert answered.status_code == 201
    registered.sid = answered.json["sid"]  # type: ignore[index]
    registered.relay("keys", {"digits": "1", "timed_out": False})
    registered.key(PIN)
    joined = registered.key(fresh_code())
    assert joined["mode"] == "connected" and joined["connected_to"] == "Olive Operator"
