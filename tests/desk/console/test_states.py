"""Operators' states, and taking the next caller: who may take, and what the desk then does."""

import re
from datetime import timedelta

from flask import Flask

from desk.console import states
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Twilio
from desk.staff.models import Staff
from ivr.models import CallStatus
from tests.desk.conftest import ALEX_SECRET, Console, flashed, queued_call
from tests.pages import submit
from tests.stored import audit_events, stored_call, stored_staff


def _choose(console: Console, state: str) -> None:
    response = submit(console.client, "/console/", {"state": state}, "/console/state")
    assert response.status_code == 302, response.text


def _state_changes(app: Flask) -> list[tuple[str, str, str]]:
    return [
        (e.data["from"], e.data["to"], e.data["reason"])
        for e in audit_events(app, "operator.state_changed")
    ]


def test_an_operator_starts_away_and_must_be_available_to_take_next(
    app: Flask, sam: str, alex: str, twilio: Twilio, console: Console
) -> None:
    first = queued_call(twilio, sam)
    queued_call(twilio, alex, caller="+447700900777", secret=ALEX_SECRET)
    rows = console.client.get("/console/queue/rows").text
    assert re.search(r"<strong>2</strong> waiting, longest\s+<strong>0:0\d</strong>", rows)
    assert "You are: <strong>Away</strong>" in rows and "Take next" not in rows

    refused = submit(console.client, "/console/", {}, "/console/take-next")
    assert "You are away: set yourself available" in flashed(console.client.get("/console/"))[0]
    assert refused.status_code == 302

    _choose(console, "available")
    assert "Take next" in console.client.get("/console/queue/rows").text
    taken = submit(console.client, "/console/", {}, "/console/take-next")
    # The longest-waiting caller, Sam, not Alex who called after.
    assert taken.location == f"/console/calls/{stored_call(app, first.sid).public_id}"
    assert stored_call(app, first.sid).status == CallStatus.CONNECTED
    assert _state_changes(app) == [("away", "available", "chosen")]


def test_after_a_wrap_up_the_operator_is_in_after_call_work_until_ready_or_the_timer_ends(
    app: Flask, sam: str, alex: str, twilio: Twilio, console: Console
) -> None:
    app.config["DESK_WRAP_UP_MAX_SECONDS"] = 90
    _choose(console, "available")
    console.take(queued_call(twilio, sam))
    with app.app_context():
        olive = db.session.get(Staff, stored_staff(app, "olive").id)
        assert olive is not None
        assert states.current(olive, utcnow()) == states.Status.ON_CALL
    console.wrap_up()
    rows = console.client.get("/console/queue/rows").text
    assert "You are: <strong>After-call work</strong>" in rows
    assert re.search(r"\(1:(29|30) left\)", rows) and ">Ready</button>" in rows

    # The timer runs out: the scheduled job records it, and the operator is available.
    later = utcnow() + timedelta(seconds=91)
    with app.app_context():
        assert states.settle_all(later) == 1
        assert states.settle_all(later) == 0
        db.session.commit()
        olive = db.session.get(Staff, stored_staff(app, "olive").id)
        assert olive is not None
        assert states.current(olive, later) == states.Status.AVAILABLE
    assert _state_changes(app) == [
        ("away", "available", "chosen"),
        ("available", "after_call_work", "wrapped_up"),
        ("after_call_work", "available", "wrap_up_timer"),
    ]
    [acw] = [
        e for e in audit_events(app, "operator.state_changed") if e.data.get("wrap_up_seconds")
    ]
    assert acw.data["wrap_up_seconds"] == 90

    # Ready early, the next time round.
    console.take(queued_call(twilio, alex, caller="+447700900777", secret=ALEX_SECRET))
    console.wrap_up()
    _choose(console, "available")
    assert _state_changes(app)[-2:] == [
        ("available", "after_call_work", "wrapped_up"),
        ("after_call_work", "available", "chosen"),
    ]


def test_an_operator_who_misses_the_ring_goes_away(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    _choose(console, "available")
    console.take(queued_call(twilio, sam))
    status = twilio.post(
        f"/ivr/operator-status?call={console.public_id}", {"CallStatus": "no-answer"}
    )
    assert status.status_code == 200
    assert _state_changes(app)[-1] == ("available", "away", "missed_ring")
    # Wrapping up the missed call does not make them available again: they were not there.
    console.wrap_up("call_dropped")
    assert "You are: <strong>Away</strong>" in console.client.get("/console/queue/rows").text


def test_an_operator_cannot_go_away_with_a_call_in_hand_or_choose_a_made_up_state(
    app: Flask, sam: str, twilio: Twilio, console: Console
) -> None:
    bogus = submit(console.client, "/console/", {"state": "on_call"}, "/console/state")
    assert bogus.status_code == 302
    assert flashed(console.client.get("/console/")) == ["Choose available or away."]
    _choose(console, "available")
    console.take(queued_call(twilio, sam))
    submit(console.client, console.page, {"state": "away"}, "/console/state")
    assert "Wrap up your current call first." in console.client.get(console.page).text
    assert _state_changes(app) == [("away", "available", "chosen")]


def test_take_next_with_nobody_waiting_says_so(app: Flask, console: Console) -> None:
    _choose(console, "available")
    submit(console.client, "/console/", {}, "/console/take-next")
    assert flashed(console.client.get("/console/")) == ["No one is waiting."]
