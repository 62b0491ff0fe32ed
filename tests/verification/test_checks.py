"""The verdict on a complete set of entries when another call changes the account meanwhile."""

from datetime import UTC, datetime

import pyotp
from flask import Flask
from sqlalchemy import update

from desk.core.extensions import db
from tests.factories import PHONE, SECRET
from tests.stored import stored_practitioner
from verification import checks
from verification.checks import Outcome
from verification.models import Practitioner


def another_call_meanwhile(practitioner_id: str, **values: object) -> None:
    """Change the stored account behind the back of the object this call loaded."""
    db.session.execute(
        update(Practitioner)
        .where(Practitioner.id == practitioner_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def test_a_verification_clears_a_failure_another_call_counted_meanwhile(
    app: Flask, sam: str
) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        practitioner = db.session.get(Practitioner, sam)
        assert practitioner is not None and practitioner.failed_attempts == 0
        another_call_meanwhile(sam, failed_attempts=Practitioner.failed_attempts + 1)

        verdict = checks.conclude(sam, True, pyotp.TOTP(SECRET).at(now), PHONE, now)
        db.session.commit()

    assert verdict.outcome == Outcome.VERIFIED
    assert stored_practitioner(app, sam).failed_attempts == 0


def test_a_code_another_call_spent_a_moment_ago_is_refused_and_counted(
    app: Flask, sam: str
) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        practitioner = db.session.get(Practitioner, sam)
        assert practitioner is not None and practitioner.totp_last_step is None
        another_call_meanwhile(sam, totp_last_step=pyotp.TOTP(SECRET).timecode(now))

        verdict = checks.conclude(sam, True, pyotp.TOTP(SECRET).at(now), PHONE, now)
        db.session.commit()

    assert (verdict.outcome, verdict.reasons) == (Outcome.REJECTED, ("wrong_or_reused_code",))
    assert stored_practitioner(app, sam).failed_attempts == 1
