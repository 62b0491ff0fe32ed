"""A first call: the activation code where the PIN goes, the token code, a PIN chosen twice."""

from datetime import timedelta

from flask import Flask

from desk.core.audit.actors import Actor
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Phone, Twilio
from ivr import flow
from ivr.flow import Field
from tests.factories import PHONE, PIN, current_code
from tests.stored import audit_data, audit_events, stored_practitioner
from verification import administration, pins
from verification.models import Practitioner

CHOSEN = "804215"
BY = Actor("tests")


def reset(app: Flask, practitioner_id: str, days: int = 0) -> str:
    """Issue a new activation code (voiding the PIN), as an administrator would."""
    with app.app_context():
        practitioner = db.session.get(Practitioner, practitioner_id)
        assert practitioner is not None
        issued = administration.issue_activation(
            practitioner, utcnow() - timedelta(days=days), by=BY, delivery="shown"
        )
        db.session.commit()
        return issued.code


def activate(phone: Phone, practitioner_id: str, code: str) -> None:
    phone.dial()
    phone.verify(practitioner_id, code, current_code())


def test_a_practitioner_chooses_a_pin_by_keypad_and_is_queued(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    code = reset(app, sam)
    assert stored_practitioner(app, sam).pin_hash is None
    phone = twilio.call(PHONE)
    activate(phone, sam, code)
    assert phone.said_last()[-1] == flow.QUESTION[Field.NEW_PIN]
    phone.key(CHOSEN)
    assert phone.said_last() == [flow.QUESTION[Field.CONFIRM_PIN]]
    phone.key(CHOSEN)
    assert phone.said_last()[0] == flow.PIN_SET
    assert phone.enqueue is not None

    practitioner = stored_practitioner(app, sam)
    with app.app_context():
        assert pins.check_pin(practitioner.pin_hash, CHOSEN)
    assert practitioner.activation_hash is None
    assert [d["by"] for d in audit_data(app, "practitioner.activated")] == ["keypad"]
    # Nothing the caller keyed is in the log.
    assert all(CHOSEN not in str(e.data) and code not in str(e.data) for e in audit_events(app))

    # The code is spent; the chosen PIN now works on the next call.
    again = twilio.call(PHONE)
    again.dial()
    again.verify(sam, code, current_code())
    assert again.said_last()[0] == flow.TRY_AGAIN
    assert again.said_last()[-1] == flow.QUESTION[Field.ID]


def test_the_old_pin_is_void_after_a_reset(app: Flask, sam: str, twilio: Twilio) -> None:
    reset(app, sam)
    phone = twilio.call(PHONE)
    phone.dial()
    phone.verify(sam, PIN, current_code())
    assert phone.said_last() == [flow.TRY_AGAIN, flow.QUESTION[Field.ID]]
    assert audit_data(app, "verification.failed")[0]["reasons"] == ["wrong_pin"]


def test_a_wrong_or_expired_code_sounds_like_any_other_failure(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    code = reset(app, sam)
    wrong = twilio.call(PHONE)
    activate(wrong, sam, "1" * 15 + ("2" if code[-1] != "2" else "3"))
    unknown = twilio.call(PHONE)
    unknown.dial()
    unknown.verify("49999999", code, current_code())
    pin_caller = twilio.call(PHONE)
    pin_caller.dial()
    pin_caller.verify(sam, "111999", current_code())
    heard = {tuple(p.said_last()) for p in (wrong, unknown, pin_caller)}
    assert heard == {(flow.TRY_AGAIN, flow.QUESTION[Field.ID])}
    # Each counted against the account as a failure, as a wrong PIN is.
    assert stored_practitioner(app, sam).failed_attempts == 2

    expired = reset(app, sam, days=app.config["DESK_ACTIVATION_DAYS"])
    late = twilio.call(PHONE)
    activate(late, sam, expired)
    assert late.said_last() == [flow.TRY_AGAIN, flow.QUESTION[Field.ID]]


def test_a_trivial_pin_is_refused_and_a_mismatch_chosen_again(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    phone = twilio.call(PHONE)
    activate(phone, sam, reset(app, sam))
    phone.key("123456")
    assert phone.said_last() == [flow.TOO_EASY, flow.QUESTION[Field.NEW_PIN]]
    phone.key(CHOSEN)
    phone.key("804216")
    assert phone.said_last() == [flow.NOT_THE_SAME, flow.QUESTION[Field.NEW_PIN]]
    assert stored_practitioner(app, sam).pin_hash is None
    phone.key(CHOSEN)
    phone.key("804217")
    assert phone.said_last() == [flow.PIN_NOT_SET]
    assert phone.is_hung_up
    assert stored_practitioner(app, sam).pin_hash is None
    assert audit_data(app, "call.ended_by_desk")[-1]["reason"] == "pin_not_set"
