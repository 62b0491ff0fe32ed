"""Every way keypad verification can fail sounds the same, and ends as docs/design.md says."""

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from desk.core.audit.actors import Actor
from desk.core.audit.models import AuditEvent
from desk.core.audit.service import append_parameters
from desk.core.extensions import db
from desk.dev.simulator import Phone, Twilio
from ivr import calls, flow
from ivr.flow import Field, Stage
from tests.factories import PHONE, PIN, current_code, make_practitioner
from tests.stored import audit_data, audit_kinds, stored_call, stored_practitioner
from verification import administration
from verification.models import Practitioner

WRONG_PIN = "111999"


def failed_attempt(phone: Phone, practitioner_id: str, pin: str, code: str) -> list[str]:
    """Key one set of credentials and return everything the caller heard for it."""
    before = len(phone.heard)
    phone.verify(practitioner_id, pin, code)
    return phone.heard[before:]


def failure_reasons(app: Flask) -> list[list[str]]:
    return [data["reasons"] for data in audit_data(app, "verification.failed")]


def test_an_unknown_id_and_a_wrong_pin_sound_the_same_word_for_word(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    unknown = twilio.call(PHONE)
    unknown.dial()
    wrong_pin = twilio.call(PHONE)
    wrong_pin.dial()

    heard_unknown = failed_attempt(unknown, "49999999", PIN, current_code())
    heard_wrong_pin = failed_attempt(wrong_pin, sam, WRONG_PIN, current_code())

    assert heard_unknown == heard_wrong_pin
    assert heard_unknown[-2:] == [flow.TRY_AGAIN, flow.QUESTION[Field.ID]]
    assert unknown.last is not None and wrong_pin.last is not None
    assert [e.tag for e in unknown.last.iter()] == [e.tag for e in wrong_pin.last.iter()]
    assert failure_reasons(app) == [
        ["unknown_id"],
        ["wrong_pin"],
    ]


@pytest.mark.parametrize(
    ("setup", "entries", "reasons"),
    [
        ("none", ("49999999", PIN, "code"), ["unknown_id"]),
        ("none", ("40000001", WRONG_PIN, "code"), ["wrong_pin"]),
        ("none", ("40000001", PIN, "000000"), ["wrong_or_reused_code"]),
        ("locked", ("40000001", PIN, "code"), ["locked"]),
    ],
)
def test_each_failure_hears_the_same_retry(
    app: Flask,
    sam: str,
    twilio: Twilio,
    setup: str,
    entries: tuple[str, str, str],
    reasons: list[str],
) -> None:
    if setup == "locked":
        with app.app_context():
            db.session.get(Practitioner, sam).locked_at = db.func.now()  # type: ignore[union-attr]
            db.session.commit()
    phone = twilio.call(PHONE)
    phone.dial()
    practitioner_id, pin, code = entries
    heard = failed_attempt(phone, practitioner_id, pin, current_code() if code == "code" else code)
    assert heard == [
        flow.QUESTION[Field.PIN],
        flow.QUESTION[Field.CODE],
        flow.TRY_AGAIN,
        flow.QUESTION[Field.ID],
    ]
    assert failure_reasons(app) == [reasons]


def test_a_token_code_is_accepted_once(app: Flask, sam: str, twilio: Twilio) -> None:
    code = current_code()
    first = twilio.call(PHONE)
    first.dial()
    first.verify(sam, PIN, code)
    assert first.enqueue is not None

    second = twilio.call(PHONE)
    second.dial()
    heard = failed_attempt(second, sam, PIN, code)
    assert heard[-2:] == [flow.TRY_AGAIN, flow.QUESTION[Field.ID]]
    assert failure_reasons(app) == [["wrong_or_reused_code"]]


def test_a_verdict_whose_append_fails_keeps_nothing_and_the_caller_hears_the_safe_message(
    app: Flask, sam: str, twilio: Twilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The call's UPDATE and its audit appends go in one pipeline: one failing undoes them all."""
    phone = twilio.call(PHONE)
    phone.dial()
    phone.key(sam)
    phone.key(PIN)
    kinds_before = audit_kinds(app, phone.sid)

    def unreadable(kind: str, **subjects: Any) -> dict[str, Any]:
        return {**append_parameters(kind, **subjects), "data_json": "not json"}

    monkeypatch.setattr(calls, "append_parameters", unreadable)
    phone.key(current_code())

    assert phone.said_last() == [flow.UNAVAILABLE]
    assert stored_call(app, phone.sid).flow_state.stage == Stage.ASK_CODE
    assert stored_practitioner(app, sam).totp_last_step is None  # the code is not spent
    assert audit_kinds(app, phone.sid) == kinds_before


def test_three_failed_attempts_end_the_call(app: Flask, sam: str, twilio: Twilio) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    for _ in range(3):
        phone.verify(sam, WRONG_PIN, current_code())
    assert phone.said_last() == [flow.NOT_VERIFIED]
    assert phone.is_hung_up
    assert len(failure_reasons(app)) == 3


def test_a_right_answer_on_the_third_attempt_still_gets_through(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, WRONG_PIN, current_code())
    phone.verify("49999999", PIN, current_code())
    phone.verify(sam, PIN, current_code())
    assert phone.enqueue is not None
    assert stored_practitioner(app, sam).failed_attempts == 0


def test_five_consecutive_failures_lock_the_account_across_calls(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    first = twilio.call(PHONE)
    first.dial()
    for _ in range(3):
        first.verify(sam, WRONG_PIN, current_code())
    second = twilio.call("+447700900555")
    second.dial()
    for _ in range(2):
        second.verify(sam, WRONG_PIN, current_code())
    assert stored_practitioner(app, sam).is_locked

    # The right credentials now sound exactly like wrong ones.
    third = twilio.call(PHONE)
    third.dial()
    heard = failed_attempt(third, sam, PIN, current_code())
    assert heard[-2:] == [flow.TRY_AGAIN, flow.QUESTION[Field.ID]]
    with app.app_context():
        kinds = list(db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))
    assert kinds.count("practitioner.locked") == 1

    with app.app_context():
        practitioner = db.session.get_one(Practitioner, sam)
        administration.unlock(practitioner, "Checked with the caller", by=Actor("tests"))
        db.session.commit()
    fourth = twilio.call(PHONE)
    fourth.dial()
    fourth.verify(sam, PIN, current_code())
    assert fourth.enqueue is not None


def test_a_calling_number_that_fails_too_often_is_throttled(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    app.config["DESK_THROTTLE_FAILURES"] = 3
    with app.app_context():
        make_practitioner(practitioner_id="40000002", name="Alex Other", phones=())
    guesser = "+447700900666"
    for _ in range(3):
        phone = twilio.call(guesser)
        phone.dial()
        phone.verify("40000002", WRONG_PIN, current_code())

    throttled = twilio.call(guesser)
    throttled.dial()
    heard = failed_attempt(throttled, sam, PIN, current_code())
    assert heard[-2:] == [flow.TRY_AGAIN, flow.QUESTION[Field.ID]]
    assert failure_reasons(app)[-1] == ["caller_throttled"]
    # Sam is not blamed for the number's failures, and gets through from another phone.
    assert stored_practitioner(app, sam).failed_attempts == 0
    elsewhere = twilio.call(PHONE)
    elsewhere.dial()
    elsewhere.verify(sam, PIN, current_code())
    assert elsewhere.enqueue is not None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "suspended"}, "suspended"),
        ({"vetted_on": date.today() - timedelta(days=3 * 366)}, "vetting_expired"),
        ({"trained_on": None}, "untrained"),
    ],
)
def test_verified_practitioners_without_active_access_are_told_so(
    app: Flask, sam: str, twilio: Twilio, change: dict[str, object], reason: str
) -> None:
    with app.app_context():
        found = db.session.get(Practitioner, sam)
        for name, value in change.items():
            setattr(found, name, value)
        db.session.commit()
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, current_code())
    assert phone.said_last() == [flow.NOT_ACTIVE]
    assert phone.is_hung_up
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.kind == "verification.inactive")
        )
        assert event is not None and event.data["reasons"] == [reason]


@pytest.mark.parametrize(
    "entry",
    ["", "*", "abc", "0", "4" * 64, "4000000", PIN],
    ids=["timeout", "star", "letters", "zero", "64 digits", "7 digits", "a PIN"],
)
def test_a_badly_shaped_id_is_asked_for_again_and_three_end_the_call(
    app: Flask, twilio: Twilio, entry: str
) -> None:
    phone = twilio.call(PHONE)
    phone.dial()
    phone.key(entry)
    assert phone.said_last()[-1] == flow.QUESTION[Field.ID]
    phone.key(entry)
    phone.key(entry)
    assert phone.said_last() == [flow.GAVE_UP]
    assert phone.is_hung_up
    assert failure_reasons(app) == []
