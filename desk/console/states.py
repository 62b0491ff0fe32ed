"""Operators' states: available, on a call, after-call work, away.

*On a call* is not stored: it is having a handling open (desk/console/handling.py), which the
database already keeps exact under races. The other three are kept here, one row an operator:

- *available*: takes calls (only an available operator may *take next*);
- *after-call work*: from a wrap-up until the operator says they are ready, for at most
  DESK_WRAP_UP_MAX_SECONDS, then available again (Genesys' time-boxed after-call work);
- *away*: chosen by the operator; also where the desk puts one whose phone rang a call in and
  was not answered, so that no more calls are sent to an empty desk. An operator who has never
  chosen is away until they say they are available.

Every change is audited (`operator.state_changed`, with from, to and why); the timer's end
is audited at the moment it ended, by whichever comes first: the operator's own console, the
scheduled jobs, or their next step.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, mapped_column

from desk.console import signals
from desk.console.handling import open_handling
from desk.console.models import Handling
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.extensions import Model, db
from desk.core.refusals import Refused
from desk.core.types import UTCDateTime, enum_column
from desk.staff.models import Role, Staff
from ivr import signals as ivr_signals
from ivr.models import Call


class Status(StrEnum):
    AVAILABLE = "available"
    ON_CALL = "on_call"
    AFTER_CALL_WORK = "after_call_work"
    AWAY = "away"

    @property
    def label(self) -> str:
        return {
            "available": "Available",
            "on_call": "On a call",
            "after_call_work": "After-call work",
            "away": "Away",
        }[self.value]


# The operator's leg's CallStatus values that mean the phone rang and nobody answered it.
MISSED_RING = {"no-answer", "busy", "failed"}
# What an operator may choose for themselves on the console.
CHOSEN = (Status.AVAILABLE, Status.AWAY)


class OperatorState(Model):
    """An operator's state, when they are not on a call; since when; and the wrap-up timer."""

    __tablename__ = "operator_states"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    status: Mapped[Status] = mapped_column(enum_column(Status, length=20))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    # After-call work ends by itself then.
    wrap_up_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _row(staff_id: int, lock: bool = False) -> OperatorState | None:
    query = select(OperatorState).where(OperatorState.staff_id == staff_id)
    return db.session.scalar(query.with_for_update() if lock else query)


def stored(row: OperatorState | None, now: datetime) -> tuple[Status, datetime | None]:
    """The state kept for an operator off a call, with the timer's end applied; since when."""
    if row is None:
        return Status.AWAY, None
    if row.status == Status.AFTER_CALL_WORK and row.wrap_up_until and row.wrap_up_until <= now:
        return Status.AVAILABLE, row.wrap_up_until
    return row.status, row.since


def current(operator: Staff, now: datetime) -> Status:
    """The operator's state now."""
    if open_handling(operator) is not None:
        return Status.ON_CALL
    return stored(_row(operator.id), now)[0]


def wrap_up_seconds_left(operator: Staff, now: datetime) -> int | None:
    """How long the operator's after-call work has left, if they are in it."""
    row = _row(operator.id)
    if row is None or stored(row, now)[0] != Status.AFTER_CALL_WORK or not row.wrap_up_until:
        return None
    return max(0, int((row.wrap_up_until - now).total_seconds()))


def _change(
    staff_id: int,
    status: Status,
    now: datetime,
    reason: str,
    until: datetime | None = None,
    was: Status | None = None,
) -> None:
    """Keep a new state and audit the change (nothing, if it is no change)."""
    if was is None:
        settle(staff_id, now)  # a timer that ran out is audited first, as the change it was
    row = _row(staff_id, lock=True)
    was = was or stored(row, now)[0]
    if was == status and until is None:
        return
    if row is None:
        row = OperatorState(staff_id=staff_id)
        db.session.add(row)
    row.status, row.since, row.wrap_up_until = status, now, until
    data: dict[str, object] = {"from": was.value, "to": status.value, "reason": reason}
    if until is not None:
        data["wrap_up_seconds"] = int((until - now).total_seconds())
    record(Event.OPERATOR_STATE_CHANGED, operator_id=staff_id, data=data)


def choose(operator: Staff, status: Status, now: datetime) -> None:
    """The operator sets their own state: available (also: ready after after-call work) or away."""
    if status not in CHOSEN:
        raise Refused("Choose available or away.")
    if open_handling(operator) is not None:
        raise Refused("Wrap up your current call first.")
    settle(operator.id, now)
    _change(operator.id, status, now, "chosen")


def may_take_next(operator: Staff, now: datetime) -> None:
    """Refused unless the operator is available (after-call work ends early by taking)."""
    if current(operator, now) == Status.AWAY:
        raise Refused("You are away: set yourself available to take the next caller.")


def settle(staff_id: int, now: datetime) -> bool:
    """Record the end of an operator's after-call work, if its timer has run out."""
    row = _row(staff_id)
    if row is None or row.status != Status.AFTER_CALL_WORK:
        return False
    status, since = stored(row, now)
    if status != Status.AVAILABLE or since is None:
        return False
    _change(staff_id, Status.AVAILABLE, since, "wrap_up_timer", was=Status.AFTER_CALL_WORK)
    return True


def settle_all(now: datetime) -> int:
    """Settle every operator whose after-call work has run out (a scheduled job); how many."""
    ids = db.session.scalars(
        select(OperatorState.staff_id).where(
            OperatorState.status == Status.AFTER_CALL_WORK, OperatorState.wrap_up_until <= now
        )
    )
    return sum(settle(staff_id, now) for staff_id in list(ids))


def after_wrap_up(sender: object, *, handling: Handling, now: datetime) -> None:
    """A call wrapped up: after-call work begins, unless the operator went away during it."""
    row = _row(handling.operator_id)
    if row is not None and row.status == Status.AWAY and row.since >= handling.taken_at:
        return
    seconds = current_app.config["DESK_WRAP_UP_MAX_SECONDS"]
    if seconds <= 0:
        _change(handling.operator_id, Status.AVAILABLE, now, "wrapped_up")
        return
    until = now + timedelta(seconds=seconds)
    _change(handling.operator_id, Status.AFTER_CALL_WORK, now, "wrapped_up", until)


def operator_leg_ended(sender: object, *, call: Call, status: str, now: datetime) -> None:
    """The operator's phone was rung for a call: not answered, they go away."""
    if status not in MISSED_RING:
        return
    handling = db.session.scalar(select(Handling).where(Handling.call_id == call.id))
    if handling is not None and handling.wrapped_up_at is None:
        _change(handling.operator_id, Status.AWAY, now, "missed_ring")


def operators() -> list[Staff]:
    """Every active operator, by name."""
    return list(
        db.session.scalars(
            select(Staff).where(Staff.role == Role.OPERATOR, Staff.is_active).order_by(Staff.name)
        )
    )


def connect() -> None:
    """Hear of wrap-ups (the console's signal) and operators' legs (the IVR's); once a process."""
    signals.call_wrapped_up.connect(after_wrap_up)
    ivr_signals.operator_leg_status.connect(operator_leg_ended)
