"""Asking the caller to key their code again: their leg leaves the conference for the desk's
questions and comes back; the operator sees only verified, not verified or locked."""

import json
import logging

import pytest
from flask import Flask
from sqlalchemy import select, text

from desk.core.extensions import db
from desk.dev.simulator import Phone, Twilio
from ivr import flow
from ivr.telephony import LocalTelephony, TelephonyError
from tests.desk.conftest import Console, flashed, queued_call
from tests.factories import PIN, fresh_code
from tests.stored import audit_data, stored_call, stored_practitioner


def line(console: Console) -> dict[str, object]:
    answer = console.client.get(f"{console.page}/line", headers={"Accept": "application/json"})
    return dict(json.loads(answer.data))


def in_conference(twilio: Twilio, console: Console, phone: Phone) -> None:
    """Twilio reports the caller joining the call's conference."""
    twilio.post(
        f"/ivr/conference/events?call={console.public_id}",
        phone.params(
            StatusCallbackEvent="participant-join",
            ParticipantLabel="caller",
            ConferenceSid="CF" + "2" * 32,
        ),
    )


def taken(twilio: Twilio, sam: str, console: Console) -> Phone:
    phone = queued_call(twilio, sam)
    console.take(phone)
    in_conference(twilio, console, phone)
    return phone


def ask(console: Console, phones: LocalTelephony, phone: Phone, twilio: Twilio) -> None:
    """The operator presses the button; the caller's leg follows the desk's redirect."""
    console.post("key-again", {})
    order = phones.take_order(phone.sid)
    assert order is not None and order.url is not None
    phone.follow(twilio.post(order.url, phone.params()))
    # A redirected participant leaves the conference, as Twilio reports.
    twilio.post(
        f"/ivr/conference/events?call={console.public_id}",
        phone.params(StatusCallbackEvent="participant-leave", ParticipantLabel="caller"),
    )


def test_the_caller_keys_a_fresh_code_aside_and_the_operator_sees_verified_only(
    app: Flask,
    sam: str,
    twilio: Twilio,
    console: Console,
    phones: LocalTelephony,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    phone = taken(twilio, sam, console)
    ask(console, phones, phone, twilio)
    assert ("redirect_caller", phone.sid) in phones.actions
    assert phone.said_last() == [flow.KEY_AGAIN, flow.QUESTION[flow.Field.CODE]]
    state = line(console)
    # Away keying, not hung up: the steps stay, and nothing says what is keyed.
    assert state["is_over"] is False and state["caller"] == "keying"
    assert state["identity"] == {
        "kind": "keypad",
        "status": "keying",
        "words": "Keyed again: Checking…",
    }

    code = fresh_code()
    phone.key(code)
    conference = phone.last.find("Dial/Conference") if phone.last is not None else None
    assert conference is not None and conference.text == f"desk-call-{console.public_id}"
    assert phone.said_last() == [flow.RETURNING]
    in_conference(twilio, console, phone)
    assert line(console)["identity"]["words"] == "Keyed again: Verified"  # type: ignore[index]
    assert line(console)["caller"] == "on_line"

    # The digits are nowhere: not on the operator's page, in the log, or in the database.
    page = console.client.get(console.page).text
    assert "Keyed again: Verified" in page
    assert code not in page and code not in caplog.text
    with app.app_context():
        for table in ("rechecks", "calls", "audit_events"):
            dumped = db.session.execute(text(f"SELECT CAST({table} AS text) FROM {table}"))  # noqa: S608
            assert not [row for (row,) in dumped if code in row], table
    [checked] = audit_data(app, "call.recheck_checked")
    assert checked == {"kind": "keypad", "attempt": 1, "outcome": "verified", "reasons": []}


def test_a_wrong_code_is_not_verified_counted_and_sounds_the_same(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = taken(twilio, sam, console)
    before = stored_practitioner(app, sam).failed_attempts
    ask(console, phones, phone, twilio)
    phone.key("000000")
    assert phone.said_last() == [flow.RETURNING]
    assert line(console)["identity"]["words"] == "Keyed again: Not verified"  # type: ignore[index]
    assert stored_practitioner(app, sam).failed_attempts == before + 1
    [checked] = audit_data(app, "call.recheck_checked")
    assert checked["reasons"] == ["wrong_or_reused_code"]


def test_the_pin_and_a_code_when_so_configured(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    app.config["DESK_RECHECK_ASKS"] = "pin_and_code"
    phone = taken(twilio, sam, console)
    ask(console, phones, phone, twilio)
    assert phone.said_last() == [flow.KEY_AGAIN, flow.JUST_THE_PIN]
    phone.key("999999")
    phone.key(fresh_code())
    assert line(console)["identity"]["words"] == "Keyed again: Not verified"  # type: ignore[index]
    [checked] = audit_data(app, "call.recheck_checked")
    assert checked["reasons"] == ["wrong_pin"]
    ask(console, phones, phone, twilio)
    phone.key(PIN)
    phone.key(fresh_code())
    assert line(console)["identity"]["words"].endswith("Verified")  # type: ignore[index]


def test_a_caller_who_hangs_up_while_keying_has_hung_up(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = taken(twilio, sam, console)
    ask(console, phones, phone, twilio)
    twilio.post("/ivr/status", phone.params(CallStatus="completed", CallDuration="60"))
    state = line(console)
    assert state["is_over"] is True
    assert state["identity"]["words"] == "Keyed again: Not verified"  # type: ignore[index]
    assert stored_call(app, phone.sid).ended_at is not None


def test_one_check_at_a_time_and_a_refusal_by_twilio_is_said(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    phone = taken(twilio, sam, console)
    phones.failure = TelephonyError("refused")
    response = console.post("key-again", {})
    assert "could not take the caller aside" in " ".join(
        flashed(console.client.get(response.location))
    )
    ask(console, phones, phone, twilio)
    again = console.post("key-again", {})
    assert "already under way" in " ".join(flashed(console.client.get(again.location)))


@pytest.mark.usefixtures("index")
def test_a_shielded_record_opens_only_after_a_fresh_code_when_the_rule_says(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    app.config["DESK_RECHECK_BEFORE_SHIELDED"] = True
    phone = taken(twilio, sam, console)
    console.ready_to_search()
    console.search(family_name="Brennan", date_of_birth="2016-06-01")  # Noah: shielded
    [link] = console.result_links()
    refused = console.client.get(link)
    assert refused.status_code == 302
    assert "ask the caller to key their code" in " ".join(
        flashed(console.client.get(refused.location))
    )
    ask(console, phones, phone, twilio)
    phone.key(fresh_code())
    opened = console.client.get(link)
    assert opened.status_code == 200 and "shielded" in opened.text.lower()


def test_a_record_after_the_set_time_on_the_line_needs_a_fresh_code(
    app: Flask, sam: str, twilio: Twilio, console: Console, phones: LocalTelephony
) -> None:
    app.config["DESK_RECHECK_AFTER_MINUTES"] = 10
    taken(twilio, sam, console)
    with app.app_context():
        db.session.execute(text("UPDATE handlings SET taken_at = taken_at - interval '11 minutes'"))
        db.session.commit()
    from desk.console import rechecking
    from desk.console.models import Handling
    from desk.core.refusals import Refused
    from desk.core.types import utcnow

    with app.app_context():
        handling = db.session.scalar(select(Handling))
        assert handling is not None
        with pytest.raises(Refused, match="over 10 minutes"):
            rechecking.refuse_unless_rechecked(handling, is_shielded=False, now=utcnow())
        app.config["DESK_RECHECK_AFTER_MINUTES"] = 0
        rechecking.refuse_unless_rechecked(handling, is_shielded=False, now=utcnow())
