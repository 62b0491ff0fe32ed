"""Sign-ins posted at the same moment, each on a connection of its own: judged one at a time on
the account as the one before left it, never a 500, every one audited."""

from collections.abc import Callable

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import or_, select
from werkzeug.test import TestResponse

from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.credentials.accounts import LOCK_AFTER_FAILURES
from desk.core.credentials.hashing import Hasher
from desk.core.extensions import db
from desk.staff import passwords
from tests.desk.staff.test_sign_in import NOT_RECOGNISED, wrong_code
from tests.factories import STAFF_PASSWORD, make_staff
from tests.pages import csrf_token, sign_in
from tests.races import Kinds, replay, together
from tests.stored import stored_staff

WRONG_PASSWORD = "plum-kettle-harbour-8"
STAFF_VERDICTS = Kinds(
    succeeded=(Event.STAFF_SIGNED_IN,),
    failed=Event.STAFF_SIGN_IN_FAILED,
    locked=Event.STAFF_LOCKED,
)


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes: what races here is the verdict, not argon2 (a quarter of a second
    of a core at the real cost, times 50)."""
    cheap = Hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_hasher", cheap)


def staff_with_a_token(app: Flask, username: str) -> tuple[int, str]:
    secret = pyotp.random_base32()
    with app.app_context():
        return make_staff(username=username, name=username.title(), totp_secret=secret).id, secret


def sign_in_at_once(
    app: Flask, username: str, password: str, code: Callable[[], str]
) -> Callable[[int, Callable[[], None]], TestResponse]:
    """An attempt for `together`: the sign-in page fetched, then the form posted on `go`."""

    def attempt(n: int, go: Callable[[], None]) -> TestResponse:
        client = app.test_client()
        token = csrf_token(client, "/sign-in")
        go()
        details = {"username": username, "password": password, "code": code()}
        return client.post("/sign-in", data={**details, "csrf_token": token})

    return attempt


def verdicts_on(app: Flask, staff_id: int) -> list[AuditEvent]:
    with app.app_context():
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(
                    or_(AuditEvent.operator_id == staff_id, AuditEvent.supervisor_id == staff_id),
                    AuditEvent.kind.in_(
                        [*STAFF_VERDICTS.succeeded, STAFF_VERDICTS.failed, STAFF_VERDICTS.locked]
                    ),
                )
                .order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return events


def outcome(response: TestResponse | BaseException) -> str:
    if isinstance(response, BaseException):
        return f"error: {response!r}"
    if response.status_code == 302 and response.location == "/":
        return "signed in"
    if response.status_code == 200 and NOT_RECOGNISED in response.text:
        return "not recognised"
    return f"HTTP {response.status_code}"


def test_a_burst_with_the_right_details_after_four_failures_never_signs_in_after_the_lock(
    committed_app: Flask,
) -> None:
    app = committed_app
    staff_id, secret = staff_with_a_token(app, "burst-olive")
    for _ in range(LOCK_AFTER_FAILURES - 1):
        sign_in(app.test_client(), "burst-olive", WRONG_PASSWORD, pyotp.TOTP(secret).now())
    right = 23

    def attempt(n: int, go: Callable[[], None]) -> TestResponse:
        # Odd: the right password and a wrong code; even: a wrong password and the right code.
        password = STAFF_PASSWORD if n == right or n % 2 else WRONG_PASSWORD
        code = (lambda: pyotp.TOTP(secret).now()) if n == right or n % 2 == 0 else None
        return sign_in_at_once(app, "burst-olive", password, code or (lambda: wrong_code(secret)))(
            n, go
        )

    outcomes = [outcome(r) for r in together(50, attempt)]

    assert set(outcomes) <= {"signed in", "not recognised"}, outcomes
    events = verdicts_on(app, staff_id)
    assert len([e for e in events if e.kind != Event.STAFF_LOCKED]) == 4 + 50
    replayed = replay(events, STAFF_VERDICTS)
    assert replayed.is_locked and outcomes.count("signed in") == replayed.successes <= 1
    stored = stored_staff(app, "burst-olive")
    assert (stored.failed_attempts, stored.is_locked) == (replayed.failures, True)


def test_right_and_wrong_sign_ins_at_once_neither_deadlock_nor_lose_a_count(
    committed_app: Flask,
) -> None:
    app = committed_app
    people = [staff_with_a_token(app, f"mixed-{n}") for n in range(6)]

    def attempt(n: int, go: Callable[[], None]) -> TestResponse:
        # Each account: one sign-in with the right details, three with a wrong password.
        staff, (_, secret) = n // 4, people[n // 4]
        password = STAFF_PASSWORD if n % 4 == 0 else WRONG_PASSWORD
        return sign_in_at_once(app, f"mixed-{staff}", password, pyotp.TOTP(secret).now)(n, go)

    outcomes = [outcome(r) for r in together(24, attempt)]

    assert set(outcomes) <= {"signed in", "not recognised"}, outcomes
    assert outcomes.count("signed in") == 6
    for n, (staff_id, _) in enumerate(people):
        events = verdicts_on(app, staff_id)
        assert len(events) == 4  # every attempt audited
        replayed = replay(events, STAFF_VERDICTS)
        assert replayed.successes == 1 and not replayed.is_locked
        assert stored_staff(app, f"mixed-{n}").failed_attempts == replayed.failures
