"""Keypad verdicts reached at the same moment by many calls: each judged on the account as the
one before left it, through the real signed webhooks on separate connections."""

from collections.abc import Callable
from datetime import timedelta

import pyotp
from flask import Flask
from sqlalchemy import select

from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.credentials.accounts import LOCK_AFTER_FAILURES
from desk.core.extensions import db
from desk.core.types import utcnow
from desk.dev.simulator import Phone, Twilio
from ivr import flow
from tests.factories import PIN, make_practitioner
from tests.races import Kinds, replay, together
from tests.stored import audit_events, stored_practitioner

BURST = 50
WRONG_PIN = "111999"
PRACTITIONER_VERDICTS = Kinds(
    succeeded=(Event.VERIFICATION_SUCCEEDED, Event.VERIFICATION_INACTIVE),
    failed=Event.VERIFICATION_FAILED,
    locked=Event.PRACTITIONER_LOCKED,
)


def wrong_code(secret: str) -> str:
    """A 6-digit code the token would not accept now, a step either side included."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(utcnow() + timedelta(seconds=s)) for s in (-30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def caller(app: Flask, number: str) -> Phone:
    """A call from `number`, on a test client (and so a database connection) of its own."""
    phone = Twilio(app.test_client(), app.config["TWILIO_AUTH_TOKEN"]).call(number)
    phone.dial()
    return phone


def verdicts_on(app: Flask, practitioner_id: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.practitioner_id == practitioner_id,
                    AuditEvent.kind.in_(
                        [
                            *PRACTITIONER_VERDICTS.succeeded,
                            PRACTITIONER_VERDICTS.failed,
                            PRACTITIONER_VERDICTS.locked,
                        ]
                    ),
                )
                .order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return events


def test_a_burst_with_the_right_credentials_after_four_failures_never_gets_in_after_the_lock(
    committed_app: Flask,
) -> None:
    app = committed_app
    pid, secret = "43100001", pyotp.random_base32()
    with app.app_context():
        make_practitioner(practitioner_id=pid, totp_secret=secret, phones=())
    # Four failures first, from a number of their own: one short of the lock.
    warm_up = caller(app, "+447700931000")
    for _ in range(3):
        warm_up.verify(pid, WRONG_PIN, wrong_code(secret))
    caller(app, "+447700931001").verify(pid, WRONG_PIN, wrong_code(secret))
    assert stored_practitioner(app, pid).failed_attempts == LOCK_AFTER_FAILURES - 1
    right = 17

    def attempt(n: int, go: Callable[[], None]) -> Phone:
        phone = caller(app, f"+4477009{31100 + n:05d}")  # each its own number: no throttle
        phone.key(pid)
        phone.key(PIN if n == right or n % 2 else WRONG_PIN)
        go()
        # Odd: the right PIN and a wrong code; even: a wrong PIN and the right code.
        phone.key(pyotp.TOTP(secret).now() if n == right or n % 2 == 0 else wrong_code(secret))
        return phone

    phones = together(BURST, attempt)

    errors = [p for p in phones if not isinstance(p, Phone)]
    assert errors == []
    heard = [p.said_last() for p in phones if isinstance(p, Phone)]
    assert not [h for h in heard if flow.UNAVAILABLE in h], "a webhook failed"
    events = verdicts_on(app, pid)
    # Every attempt is audited, judged in turn on the account as the one before left it.
    assert len([e for e in events if e.kind != Event.PRACTITIONER_LOCKED]) == 4 + BURST
    replayed = replay(events, PRACTITIONER_VERDICTS)
    assert replayed.is_locked
    stored = stored_practitioner(app, pid)
    assert (stored.failed_attempts, stored.is_locked) == (replayed.failures, True)
    queued = [p for p in phones if isinstance(p, Phone) and p.enqueue is not None]
    assert len(queued) == replayed.successes <= 1


def test_fifteen_attempts_at_once_from_a_number_with_nine_failures_judge_exactly_one(
    committed_app: Flask,
) -> None:
    app = committed_app
    assert app.config["DESK_THROTTLE_FAILURES"] == 10
    number = "+447700932000"
    for _ in range(3):
        phone = caller(app, number)
        for _ in range(3):
            phone.verify("49999990", PIN, "000000")

    def attempt(n: int, go: Callable[[], None]) -> Phone:
        phone = caller(app, number)
        phone.key(f"4999{n:04d}")  # unknown IDs: no account row to queue them
        phone.key(PIN)
        go()
        phone.key("000000")
        return phone

    phones = together(15, attempt)

    assert [p for p in phones if not isinstance(p, Phone)] == []
    reasons = [
        event.data["reasons"]
        for phone in phones
        if isinstance(phone, Phone)
        for event in audit_events(app, Event.VERIFICATION_FAILED, call_sid=phone.sid)
    ]
    assert len(reasons) == 15
    assert len([r for r in reasons if "caller_throttled" not in r]) == 1
