"""Lockout and throttling: how many failures an account and a calling number may have."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from desk.core.credentials import accounts
from desk.core.extensions import db
from verification.models import FailedVerification, Practitioner

ATTEMPTS_PER_CALL = 3


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
    return accounts.count_failure(practitioner, now) is not None
