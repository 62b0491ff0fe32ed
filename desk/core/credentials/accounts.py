"""An account that proves itself with a secret and a token code: its failures, lock and codes.

Staff and practitioners are both such accounts (`Credentialed`). Holding, spending, counting
and locking below are the one mechanism both use.

A verdict on an account (a keypad verification, a staff sign-in) takes its locks in this order
and no other, each held to the end of its transaction:

1. the account's row, by `hold` (SELECT … FOR UPDATE). This comes first, before anything else
   the verdict reads or writes, any audit append included;
2. the calling number's throttle (verification/lockout.py, an advisory lock per number);
3. the audit chain's lock, taken by each `desk.core.audit.service.record`, last.

An IVR webhook holds its call's row (ivr/calls.py `find`) before all three. Every attempt on an
account is therefore judged on what the one before it left. Its failure count, lock and the
spending of its code are decided on the row it holds, and no two attempts wait on each other
in a circle.

Every statement here runs whether or not the account exists: for an unknown one (None) it
matches no row. So an unknown account costs the same statements as a known or locked one.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Integer, LargeBinary, bindparam, case, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningUpdate

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


A = TypeVar("A", bound=Credentialed)


def _key(model: type[Credentialed], account: Credentialed | None) -> Any:
    # A bound NULL, not `IS NULL`: the statement's text is the same whether or not there is an
    # account, and `id = NULL` matches no row.
    return bindparam("account_id", account.id if account else None, type_=model.id.type)


def hold(model: type[A], column: InstrumentedAttribute[Any], value: Any) -> A | None:
    """The account whose `column` is `value`, its row locked to the end of the transaction and
    read afresh; None, after the same statement, when there is none."""
    return db.session.scalar(
        select(model)
        .where(column == bindparam("held", value, type_=column.type))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def spend_code(model: type[A], account: A | None, step: int | None) -> bool:
    """Spend a code's time-step and clear the failures, in one statement; False if there is no
    account (pass None for a wrong attempt), no step, the account is locked, or the step is
    not after the last one spent."""
    spent = db.session.execute(
        _spending(model), {"account_id": account.id if account else None, "step": step}
    ).scalar()
    if spent is None:
        return False
    assert account is not None
    # The row is held (`hold`): these two columns are all that changed in it, so the session
    # is told their values rather than reading the whole row back.
    set_committed_value(account, "totp_last_step", step)
    set_committed_value(account, "failed_attempts", 0)
    return True


# `spend_code`'s statement for each kind of account, built once (a class is not `Hashable`
# to mypy, so no functools.cache).
_SPENDING: dict[type[Credentialed], ReturningUpdate[tuple[Any]]] = {}


def _spending(model: type[Credentialed]) -> ReturningUpdate[tuple[Any]]:
    """`spend_code`'s statement for this kind of account: its values are all bound."""
    if model not in _SPENDING:
        _SPENDING[model] = _spending_statement(model)
    return _SPENDING[model]


def _spending_statement(model: type[Credentialed]) -> ReturningUpdate[tuple[Any]]:
    # A bound NULL for no account, as in `_key`: the same text whether or not there is one.
    step = bindparam("step", type_=Integer())
    return (
        update(model)
        .where(
            model.id == bindparam("account_id", type_=model.id.type),
            model.locked_at.is_(None),
            func.coalesce(model.totp_last_step, -1) < step,
        )
        .values(totp_last_step=step, failed_attempts=0)
        .returning(model.id)
        # No account is evaluated against the statement: the one it spends is updated above.
        .execution_options(synchronize_session=False)
    )


def count_failure(model: type[A], account: A | None, now: datetime) -> int | None:
    """Count a failure against the account and lock it at the limit, in one statement; the
    failure count if this one locked it, else None (and None, after the same statement, for
    no account)."""
    was_locked = account is not None and account.is_locked
    counted = db.session.scalar(
        update(model)
        .where(model.id == _key(model, account))
        .values(
            failed_attempts=model.failed_attempts + 1,
            # The row as it was: the failure that brings the count to the limit locks it.
            locked_at=case(
                (
                    model.locked_at.is_(None) & (model.failed_attempts + 1 >= LOCK_AFTER_FAILURES),
                    bindparam("now", now, type_=UTCDateTime()),
                ),
                else_=model.locked_at,
            ),
        )
        .returning(model),
        execution_options={"populate_existing": True},
    )
    if counted is None or was_locked or not counted.is_locked:
        return None
    return int(counted.failed_attempts)


def unlock(account: Credentialed) -> None:
    """Lift a lock and forget the failures that caused it."""
    account.locked_at = None
    account.failed_attempts = 0
