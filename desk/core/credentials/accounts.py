"""An account that proves itself with a secret and a token code: its failures, lock and codes.

Staff and practitioners are both such accounts (`Credentialed`); the counting, locking and
code spending below are the one mechanism both use.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary, update
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.extensions import db
from desk.core.types import UTCDateTime

# Consecutive failures after which an account is locked until someone unlocks it.
LOCK_AFTER_FAILURES = 5


class Credentialed:
    """The columns of an account with a sealed token secret and a failure count (a mixin)."""

    if TYPE_CHECKING:
        id: Any  # each account's own primary key
    totp_secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # The time-step of the last code accepted: no code at or before it is accepted again.
    totp_last_step: Mapped[int | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


def count_failure(account: Credentialed, now: datetime) -> int | None:
    """Count a failure against the account; the failure count if this one locked it, else None."""
    model = type(account)
    # Increment in SQL so that simultaneous attempts cannot lose a failure between them.
    failures = db.session.scalar(
        update(model)
        .where(model.id == account.id)
        .values(failed_attempts=model.failed_attempts + 1)
        .returning(model.failed_attempts)
    )
    locked = None
    if (failures or 0) >= LOCK_AFTER_FAILURES:
        locked = db.session.scalar(
            update(model)
            .where(model.id == account.id, model.locked_at.is_(None))
            .values(locked_at=now)
            .returning(model.id)
        )
    db.session.refresh(account)
    return failures if locked is not None else None


def clear_failures(account: Credentialed) -> None:
    """Reset the consecutive-failure count after a success."""
    account.failed_attempts = 0


def unlock(account: Credentialed) -> None:
    """Lift a lock and forget the failures that caused it."""
    account.locked_at = None
    account.failed_attempts = 0


def spend_code(account: Credentialed, step: int | None) -> bool:
    """Mark a code's time-step used; False if there is none, or another attempt spent it first."""
    if step is None:
        return False
    model = type(account)
    # The row comes back whole and refreshes the account, as another attempt may have counted
    # a failure meanwhile that this success must clear: one statement, not an UPDATE and a SELECT.
    spent = db.session.scalar(
        update(model)
        .where(
            model.id == account.id,
            (model.totp_last_step.is_(None)) | (model.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .returning(model),
        execution_options={"populate_existing": True},
    )
    return spent is not None
