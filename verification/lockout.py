"""Lockout and throttling: how many failures an account and a calling number may have."""

from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Integer, Select, bindparam, func, select, text

from desk.core.credentials import accounts
from desk.core.extensions import db
from verification.models import FailedVerification, Practitioner

ATTEMPTS_PER_CALL = 3

# The space of the two-key advisory locks that serialise each number's attempts ("thro").
# PostgreSQL keeps two-key locks apart from one-key ones (the audit chain's, the review's).
THROTTLE_LOCKS = 0x7468726F
HOLD_NUMBER = text("SELECT pg_advisory_xact_lock(:space, hashtext(:number))").bindparams(
    bindparam("space", THROTTLE_LOCKS, type_=Integer())
)


def is_throttled(caller_number: str | None, now: datetime) -> bool:
    """Whether this number has failed too often lately to be allowed another attempt.

    The number is held first, to the end of the transaction: simultaneous attempts from it
    are counted one after another, each seeing the failures of those before it. Taken after
    the account's row and before the audit chain (desk/core/credentials/accounts.py).
    """
    if caller_number is None:
        return False
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(HOLD_NUMBER, {"number": caller_number})
    window = timedelta(minutes=current_app.config["DESK_THROTTLE_WINDOW_MINUTES"])
    failures = db.session.execute(
        _failures_since(), {"number": caller_number, "since": now - window}
    ).scalar()
    return bool((failures or 0) >= current_app.config["DESK_THROTTLE_FAILURES"])


@cache
def _failures_since() -> Select[int]:
    """How many failures a number has had since a moment, built once: its values are bound."""
    failed = FailedVerification
    return (
        select(func.count())
        .select_from(failed)
        .where(
            failed.caller_number == bindparam("number", type_=failed.caller_number.type),
            failed.failed_at > bindparam("since", type_=failed.failed_at.type),
        )
    )


def count_failure(
    practitioner: Practitioner | None, caller_number: str | None, now: datetime
) -> bool:
    """Count a failed attempt against the account (None: against none, by the same statement)
    and the number; True if it locked the account."""
    if caller_number is not None:
        db.session.add(FailedVerification(caller_number=caller_number, failed_at=now))
    return accounts.count_failure(Practitioner, practitioner, now) is not None
