"""Twilio refusing at each point of taking, returning and wrapping up a call.

Whatever fails, the desk and Twilio agree afterwards: the call's status and its handling, what
the local adapter was asked (its actions, and each call's standing order), and the audit log,
which has the intent and then the outcome.
"""

import logging
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from desk.console import taking
from desk.console.models import Handling
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Phone, Twilio
from ivr.models import CallStatus
from ivr.telephony import CallerGone, LocalTelephony, TelephonyError
from tests.desk.conftest import Console, flashed, queued_call
from tests.stored import audit_events, stored_call

TAKE_REFUSED = "The phone system could not connect the call; it is still in the queue. Try again."


def handling_of(app: Flask, phone: Phone) -> Handling | None:
    with app.app_context():
        found = db.session.scalar(
            select(Handling).where(Handling.call_id == stored_call(app, phone.sid).id)
        )
        if found is not None:
            db.session.expunge(found)
        return found


def console_kinds(app: Flask, phone: Phone) -> list[str]:
    """The audit kinds of the operator's steps on this call, in order."""
    return [
        e.kind
        for e in audit_events(app, call_sid=phone.sid)
        if e.kind.startswith(("call.take", "call.release", "call.wrapped"))
    ]


def in_conference(phones: LocalTelephony, phone: Phone) -> bool:
    """Whether Twilio's standing order for the caller is to join the call's conference."""
    order = phones.orders.get(phone.sid)
    return order is not None and "/ivr/conference/caller?" in (order.url or "")


def refuse(
    monkeypatch: pytest.MonkeyPatch, phones: LocalTelephony, request: str, error: Exception
) -> None:
    """Make every `request` of this kind fail as Twilio would, until the test ends."""

    def refused(*args: object) -> str:
        raise error

    monkeypatch.setattr(phones, request, refused)


@pytest.fixture
def phone(sam: str, twilio: Twilio) -> Phone:
    return queued_call(twilio, sam)


def test_a_refused_connect_leaves_the_caller_queued_and_no_claim(
    app: Flask, phone: Phone, console: Console, phones: LocalTelephony
) -> None:
    phones.failure = TelephonyError("Twilio refused the request (500 20500)")
    console.take(phone)

    assert flashed(console.client.get("/console/")) == [TAKE_REFUSED]
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED
    assert handling_of(app, phone) is None
    assert (phones.actions, phones.orders) == ([], {})
    assert console_kinds(app, phone) == ["call.taken", "call.take_failed"]
    [failed] = audit_events(app, "call.take_failed")
    assert failed.data == {
        "reason": "telephony",
        "refused": "connect_caller",
        "compensation": "left_in_queue",
    }
    # Nothing is left half-taken: the operator takes it again at once.
    console.take(phone)
    assert stored_call(app, phone.sid).status == CallStatus.CONNECTED


def test_a_caller_gone_before_being_connected_is_marked_abandoned(
    app: Flask, phone: Phone, console: Console, phones: LocalTelephony
) -> None:
    phones.failure = CallerGone("Twilio 20404: the caller has left the line")
    console.take(phone)

    queue = console.client.get("/console/")
    assert queue.status_code == 200  # the operator holds no call
    assert flashed(queue) == ["The caller has hung up, so the call could not be connected."]
    assert stored_call(app, phone.sid).status == CallStatus.ABANDONED
    assert "Sam Field" not in console.client.get("/console/queue/rows").text
    assert handling_of(app, phone) is None
    assert (phones.actions, phones.orders) == ([], {})
    assert console_kinds(app, phone) == ["call.taken", "call.take_failed"]
    assert audit_events(app, "call.take_failed")[0].data == {
        "reason": "caller_gone",
        "refused": "connect_caller",
        "compensation": "marked_abandoned",
    }


def test_a_refused_dial_puts_the_moved_caller_back_and_undoes_the_claim(
    app: Flask,
    phone: Phone,
    console: Console,
    phones: LocalTelephony,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refuse(monkeypatch, phones, "dial_operator", TelephonyError("busy"))
    console.take(phone)

    assert flashed(console.client.get("/console/")) == [TAKE_REFUSED]
    assert [action[0] for action in phones.actions] == ["connect_caller", "requeue_caller"]
    order = phones.orders[phone.sid]
    assert order.url is not None and order.url.endswith("/ivr/requeue")
    assert phones.rung == {}
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED
    assert handling_of(app, phone) is None
    assert console_kinds(app, phone) == ["call.taken", "call.take_failed"]
    assert audit_events(app, "call.take_failed")[0].data == {
        "reason": "telephony",
        "refused": "dial_operator",
        "compensation": "requeued",
    }


def test_a_caller_gone_before_being_put_back_is_marked_abandoned(
    app: Flask,
    phone: Phone,
    console: Console,
    phones: LocalTelephony,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refuse(monkeypatch, phones, "dial_operator", TelephonyError("busy"))
    refuse(monkeypatch, phones, "requeue_caller", CallerGone("gone"))
    console.take(phone)

    assert "The caller has hung up" in " ".join(flashed(console.client.get("/console/")))
    assert stored_call(app, phone.sid).status == CallStatus.ABANDONED
    assert handling_of(app, phone) is None
    assert audit_events(app, "call.take_failed")[0].data["compensation"] == "marked_abandoned"


def test_a_caller_who_can_be_neither_connected_nor_put_back_stays_with_the_operator(
    app: Flask,
    phone: Phone,
    console: Console,
    phones: LocalTelephony,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refuse(monkeypatch, phones, "dial_operator", TelephonyError("busy"))
    refuse(monkeypatch, phones, "requeue_caller", TelephonyError("Twilio could not be reached"))
    console.take(phone)

    # The caller waits in the call's conference, and the call is the operator's to deal with.
    landed = console.client.get("/console/")
    assert landed.status_code == 302 and landed.location == console.page
    assert flashed(console.client.get(console.page)) == [
        "Your phone could not be rung, and the caller could not be put back in the queue: "
        "return the call to the queue to try again, or wrap it up."
    ]
    assert in_conference(phones, phone)
    assert stored_call(app, phone.sid).status == CallStatus.CONNECTED
    held = handling_of(app, phone)
    assert held is not None and held.operator_call_sid is None and held.rest_calls_since is None
    assert audit_events(app, "call.take_failed")[0].data["compensation"] == "kept_by_operator"

    monkeypatch.undo()  # Twilio answers again: returning the call now puts the caller back
    console.post("release", {})
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED
    assert console_kinds(app, phone) == ["call.taken", "call.take_failed", "call.released"]


def test_a_refused_requeue_at_release_leaves_the_call_with_the_operator(
    app: Flask, phone: Phone, console: Console, phones: LocalTelephony
) -> None:
    console.take(phone)
    asked = list(phones.actions)
    phones.failure = TelephonyError("Twilio refused the request (500 20500)")
    response = console.post("release", {})

    assert response.status_code == 302 and response.location == console.page
    assert flashed(console.client.get(console.page)) == [
        "The phone system could not return the call; try again."
    ]
    assert phones.actions == asked  # nothing more was done: no requeue, no hang-up
    assert in_conference(phones, phone)  # still where the take put them
    assert stored_call(app, phone.sid).status == CallStatus.CONNECTED
    held = handling_of(app, phone)
    assert held is not None and held.is_open and held.rest_calls_since is None
    assert "Sam Field" not in console.client.get("/console/queue/rows").text
    assert console_kinds(app, phone) == ["call.taken", "call.release_failed"]
    assert audit_events(app, "call.release_failed")[0].data == {"reason": "telephony"}

    console.post("release", {})  # tried again, it goes
    assert stored_call(app, phone.sid).status == CallStatus.QUEUED
    assert handling_of(app, phone) is None
    assert console_kinds(app, phone)[-1] == "call.released"


def test_a_caller_gone_at_release_is_left_with_the_operator_to_wrap_up(
    app: Flask, phone: Phone, console: Console, phones: LocalTelephony
) -> None:
    console.take(phone)
    phones.failure = CallerGone("Twilio 21220: the caller has left the line")
    console.post("release", {})

    assert flashed(console.client.get(console.page)) == [
        "The caller has hung up: wrap up the call."
    ]
    assert stored_call(app, phone.sid).status == CallStatus.CONNECTED
    assert audit_events(app, "call.release_failed")[0].data == {"reason": "caller_gone"}
    console.wrap_up("call_dropped")
    assert stored_call(app, phone.sid).status == CallStatus.COMPLETED


def test_hang_up_failures_at_wrap_up_are_logged_and_the_call_is_wrapped_up_all_the_same(
    app: Flask,
    phone: Phone,
    console: Console,
    phones: LocalTelephony,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    console.take(phone)
    operator_leg = next(iter(phones.rung.values())).sid
    # The caller's leg has already gone; the operator's cannot be reached.
    phones.failure = CallerGone("Twilio 21220: the caller has left the line")
    original = phones.hang_up

    def unreachable(call_sid: str) -> None:
        if call_sid == operator_leg:
            raise TelephonyError("Twilio could not be reached")
        original(call_sid)

    monkeypatch.setattr(phones, "hang_up", unreachable)
    with caplog.at_level(logging.INFO):
        response = console.wrap_up("information_given")

    assert response.status_code == 302 and response.location == "/console/"
    assert flashed(console.client.get("/console/")) == [
        "Call wrapped up. You can take the next call."
    ]
    assert stored_call(app, phone.sid).status == CallStatus.COMPLETED
    held = handling_of(app, phone)
    assert held is not None and held.wrap_up == "information_given" and not held.is_open
    assert console_kinds(app, phone) == ["call.taken", "call.wrapped_up"]
    assert "already gone" in caplog.text and "would not hang up" in caplog.text
    assert [action for action in phones.actions if action[0] == "hang_up"] == []


def test_a_take_whose_outcome_was_never_recorded_holds_the_call_until_its_mark_is_stale(
    app: Flask, phone: Phone, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    def died(*args: object) -> None:
        raise RuntimeError("the worker was killed")

    monkeypatch.setattr(taking, "finish_take", died)
    with pytest.raises(RuntimeError):
        console.take(phone)
    monkeypatch.undo()

    # The claim was committed before Twilio was called: the call is the operator's, marked.
    assert stored_call(app, phone.sid).status == CallStatus.CONNECTED
    assert console.client.get(console.page).status_code == 200
    console.post("identity", {"is_confirmed": "y"})
    assert "still busy with this call" in " ".join(flashed(console.client.get(console.page)))
    assert audit_events(app, "call.identity_confirmed") == []

    with time_machine.travel(utcnow() + timedelta(seconds=31), tick=False):
        console.post("identity", {"is_confirmed": "y"})
        assert len(audit_events(app, "call.identity_confirmed")) == 1
        console.wrap_up("call_dropped")
    assert stored_call(app, phone.sid).status == CallStatus.COMPLETED
