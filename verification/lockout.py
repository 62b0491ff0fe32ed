"""Lockout and throttling: how many failures an account and a calling number may have."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from desk.extensions import db
from verification.models import FailedVerification, Practitioner

ATTEMPTS_PER_CALL = 3
LOCK_AFTER_FAILURES = 5


def is_throttled(caller_number: str, now: datetime) -> bool:
    """Whether this number has failed too often lately to be allowed another attempt."""
    window = timedelta(minutes=current_app.config["DESK_THROTTLE_WINDOW_MINUTES"])
    failures = db.session.scalar(
        select(func.count())
        .select_from(FailedVerification)
        .where(
            FailedVerification.caller_number == caller_number,
            FailedVerification.failed_at > now - window,
        )
    )
    return bool((failures or 0) >= current_app.config["DESK_THROTTLE_FAILURES"])


def count_failure(
    practitioner: Practitioner | None, caller_number: str | None, now: datetime
) -> bool:
    """Count a failed attempt against the account and the number; True if it locked the account."""
    if caller_number is not None:
        db.session.add(FailedVerification(caller_number=caller_number, failed_at=now))
    if practitioner is None:
        return False
    # Increment in SQL so that simultaneous calls cannot lose a failure between them.
    failures = db.session.scalar(
        update(Practitioner)
        .where(Practitioner.id == practitioner.id)
        .values(failed_attempts=Practitioner.failed_attempts + 1)
        .returning(Practitioner.failed_attempts)
    )
    if (failures or 0) < LOCK_AFTER_FAILURES:
        db.session.refresh(practitioner)
        return False
    locked = db.session.scalar(
        update(Practitioner)
        .where(Practitioner.id == practitioner.id, Practitioner.locked_at.is_(None))
        .values(locked_at=now)
        .returning(Practitioner.id)
    )
    db.session.refresh(practitioner)
    return locked is not None


def clear_failures(practitioner: Practitioner) -> None:
    """Reset the consecutive-failure count after a successful verification."""
    practitioner.failed_attempts = 0


def unlock(practitioner: Practitioner) -> None:
    """Lift a lock and forget the failures that caused it."""
    practitioner.locked_at = None
    practitioner.failed_attempts = 0
