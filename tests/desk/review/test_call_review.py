"""A real call, made through the IVR's webhooks and the console, as a supervisor reviews it."""

import html
import re

import pytest
from flask import Flask

from desk.core.extensions import db
from desk.dev.simulator import Twilio
from desk.records.models import Child
from tests.desk.conftest import ALEX_SECRET, Console, called_back
from tests.desk.review.conftest import Reviewer, child_details, child_details_in
from tests.factories import PIN, current_code
from tests.pages import submit
from tests.stored import audit_events, stored_call

UNREGISTERED = "+447700900999"

pytestmark = pytest.mark.usefixtures("index")


def a_busy_call(twilio: Twilio, console: Console, alex: str) -> str:
    """Alex, from an unregistered phone and with one wrong PIN, asks about three children."""
    phone = twilio.call(UNREGISTERED)
    phone.dial()
    phone.verify(alex, "000000", current_code(ALEX_SECRET))
    phone.verify(alex, PIN, current_code(ALEX_SECRET))
    phone.wait(position=1)
    console.take(phone)
    leg = called_back(console, "+447700900777", ALEX_SECRET)
    console.post("identity", {"is_confirmed": "y"})
    console.post("purpose", {"purpose": "other", "detail": "Checking who to invite to a meeting"})
    console.search(family_name="O'Neill")  # refused: a name is not enough
    console.search(family_name="O'Neill", date_of_birth="2015-03-14")
    amelia, _ = console.open_only_result()
    console.read_back(amelia, "child.address")
    console.read_back(amelia, "caf.lead")
    console.search(family_name="Taylor", date_of_birth="2017-01-01")  # too many
    console.search(family_name="Brennan", date_of_birth="2016-06-01")
    noah, _ = console.open_only_result()
    submit(console.client, noah, {"reason": "Invite to a strategy meeting"}, f"{noah}/brokered")
    console.wrap_up("brokered_contact")
    # The call-back's leg is the call now: its end is the call's.
    twilio.post("/ivr/status", leg.params(CallStatus="completed", CallDuration="431"))
    return console.public_id


def page_text(response_text: str) -> str:
    """What the page says, as a reader sees it."""
    main = re.split(r"<main[^>]*>", response_text, maxsplit=1)[1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_the_timeline_tells_the_call_step_by_step(
    app: Flask, twilio: Twilio, console: Console, alex: str, reviewer: Reviewer
) -> None:
    public_id = a_busy_call(twilio, console, alex)
    response = reviewer.call(public_id)
    assert response.status_code == 200
    text = page_text(response.text)

    steps = [
        "Call arrived",
        "Attention: Keypad verification failed (attempt 1) wrong PIN",
        "Verified by keypad (attempt 2) Not a registered number.",
        "Joined the queue",
        "Taken by Olive Operator",
        "Olive Operator asked the desk to call back on a registered number +447700900777",
        "Call-back: verified (attempt 1)",
        "Identity confirmed by call-back",
        "Caller's identity confirmed after calling back on a registered number",
        "Purpose: Other Checking who to invite to a meeting",
        "Search refused A name is not enough",
        "Search by family name and date of birth 1 match",
        "Record A opened",
        "Record A: read back the child's address",
        "Record A: read back the CAF lead contact",
        "Search by family name and date of birth too many matches: none listed",
        "Record B opened shielded",
        "Record B: brokered contact requested",
        "Wrapped up: Brokered contact requested by Olive Operator",
        "Call ended (completed) lasted 7 min 11 s",
    ]
    positions = [text.find(step) for step in steps]
    assert -1 not in positions, [s for s, p in zip(steps, positions, strict=True) if p == -1]
    assert positions == sorted(positions), "the steps are out of order"

    for flag in ("Shielded record", "Unregistered number", "Failed verification", "Purpose: other"):
        assert flag in text
    assert "Many searches" in text  # three made and one refused: above the default of 3
    assert "Alex Moss" in text and "Bury NHS Trust" in text and UNREGISTERED in text


def test_the_timeline_never_says_who_was_looked_up_or_how(
    app: Flask, twilio: Twilio, console: Console, alex: str, reviewer: Reviewer
) -> None:
    public_id = a_busy_call(twilio, console, alex)
    shown = html.unescape(reviewer.call(public_id).text)
    assert child_details_in(shown, child_details(app)) == []
    # Nor what the operator typed to search, nor the keys of the items read back.
    assert "O'Neill" not in shown and "2015-03-14" not in shown and "child.address" not in shown
    # ...all of which the audit log does keep, so the test would notice them leaking.
    with app.app_context():
        amelia = db.session.query(Child).filter_by(source_id="amelia").one().contactpoint_id
    assert any(amelia in e.data.get("matched", []) for e in audit_events(app, "search.made"))


def test_a_call_still_with_its_operator_is_listed_but_cannot_be_signed_off(
    app: Flask, twilio: Twilio, console: Console, alex: str, reviewer: Reviewer
) -> None:
    from tests.desk.conftest import queued_call

    phone = queued_call(twilio, alex, secret=ALEX_SECRET)
    console.take(phone)
    listed = reviewer.calls().text
    assert console.public_id in listed and "In progress" in listed
    page = reviewer.call(console.public_id).text
    assert "still with its operator" in page and "Sign off this call" not in page
    refused = reviewer.sign_off(console.public_id, "Looks fine")
    assert refused.status_code == 302
    assert "still with its operator" in reviewer.call(console.public_id).text
    assert audit_events(app, "review.signed_off") == []
    assert stored_call(app, phone.sid).practitioner_id == alex


def test_every_kind_of_event_about_a_call_has_words_on_the_timeline() -> None:
    from desk.core.audit.events import Event
    from desk.review.timeline import DESCRIPTIONS, NOT_SHOWN

    about_calls = [
        kind
        for kind in Event
        if kind.value.split(".")[0] in {"call", "verification", "search", "record"}
        or kind
        in {
            Event.PRACTITIONER_LOCKED,
            Event.PRACTITIONER_ACTIVATED,
            Event.REVIEW_SIGNED_OFF,
            Event.REVIEW_SIGN_OFF_REFUSED,
        }
    ]
    # Recorded without a call to put it on: Twilio spoke of a call the desk does not know.
    about_calls.remove(Event.CALL_STATUS_FOR_UNKNOWN_CALL)
    assert len(about_calls) > 20
    assert [k for k in about_calls if k not in DESCRIPTIONS and k not in NOT_SHOWN] == []
