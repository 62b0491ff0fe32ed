"""Failures on call-backs and keypad re-checks count towards the lockout like any other, even
when they arrive at the same moment as the IVR's own: through real signed webhooks, each on a
connection of its own."""

from collections.abc import Callable

import pyotp
from flask import Flask
from sqlalchemy import func, select

from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.dev.simulator import Phone, Twilio
from ivr import flow
from ivr.flow import Stage
from ivr.models import Call, CallStatus, Recheck, RecheckKind, RecheckStatus
from tests.factories import PIN, make_practitioner
from tests.races import together
from tests.stored import stored_practitioner
from tests.verification.test_concurrent_verdicts import WRONG_PIN, wrong_code

BURST = 12


def keying_rechecks(app: Flask, practitioner_id: str, count: int) -> list[tuple[str, str]]:
    """`count` rechecks on one connected call, each at its code question: (public id, leg)."""
    with app.app_context():
        call = Call(
            sid="CA" + practitioner_id * 4,
            caller_number="+447700934000",
            status=CallStatus.CONNECTED,
            practitioner_id=practitioner_id,
            turn=5,
        )
        db.session.add(call)
        made = []
        for n in range(count):
            recheck = Recheck(
                call=call,
                kind=RecheckKind.CALL_BACK if n % 2 else RecheckKind.KEYPAD,
                status=RecheckStatus.KEYING,
                number=f"+4477009{34100 + n:05d}",  # each its own number: no throttle
                leg_sid=f"CB{practitioner_id}{n:024d}" if n % 2 else None,
                stage=Stage.CALL_BACK_CODE if n % 2 else Stage.RECHECK_CODE,
                turn=3,
                is_pin_correct=True,
            )
            db.session.add(recheck)
            made.append(recheck)
        db.session.commit()
        return [(r.public_id, r.leg_sid or call.sid) for r in made]


def test_failures_from_rechecks_and_the_ivr_at_once_are_each_counted_and_lock_once(
    committed_app: Flask,
) -> None:
    app = committed_app
    pid, secret = "45000090", pyotp.random_base32()
    with app.app_context():
        make_practitioner(practitioner_id=pid, totp_secret=secret, phones=())
    rechecks = keying_rechecks(app, pid, BURST)

    def attempt(n: int, go: Callable[[], None]) -> list[str]:
        twilio = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
        if n < BURST:
            public_id, leg_sid = rechecks[n]
            leg = Phone(twilio, "+447700934999", sid=leg_sid)
            go()
            answer = f"/ivr/recheck/{public_id}/answer?turn=3"
            leg.follow(twilio.post(answer, leg.params(Digits=wrong_code(secret))))
            return leg.said_last()
        phone = twilio.call(f"+4477009{35100 + n:05d}")
        phone.dial()
        phone.key(pid)
        phone.key(WRONG_PIN if n % 2 else PIN)
        go()
        phone.key(wrong_code(secret))
        return phone.said_last()

    heard = together(2 * BURST, attempt)

    assert [h for h in heard if not isinstance(h, list)] == []
    assert not [h for h in heard if isinstance(h, list) and flow.UNAVAILABLE in h]
    with app.app_context():
        kinds = dict(
            db.session.execute(
                select(AuditEvent.kind, func.count())
                .where(AuditEvent.practitioner_id == pid)
                .group_by(AuditEvent.kind)
            ).all()
        )
    # Every failure counted, from whichever side; the account locked exactly once.
    assert kinds[Event.CALL_RECHECK_CHECKED] == BURST
    assert kinds[Event.VERIFICATION_FAILED] == BURST
    assert kinds[Event.PRACTITIONER_LOCKED] == 1
    stored = stored_practitioner(app, pid)
    assert stored.is_locked and stored.failed_attempts == 2 * BURST
