"""The desk right now, for supervisors' wallboard: the queue, today's service, the operators.

Nothing about any child, and nothing about any caller but how long they have waited: the board
is for a screen on the wall. Counted as docs/design.md 4.6 says:

- *offered* today: calls that reached the queue since midnight at the desk (DESK_TIMEZONE),
  once each however often they were put back; a *short abandon*, a caller who hung up within
  DESK_SHORT_ABANDON_SECONDS of joining the queue, is left out (a wrong number, a caller who
  changed their mind), and so are calls still waiting or ended by the desk;
- *service level*: of those, the share an operator took within DESK_SERVICE_LEVEL_SECONDS of
  the caller joining the queue, against DESK_SERVICE_LEVEL_TARGET_PERCENT;
- *abandon rate*: of those, the share who hung up in the queue.
"""

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from desk.console import states
from desk.console.models import Handling
from desk.core.extensions import db
from desk.staff.models import Staff
from ivr.models import Call, CallStatus


@dataclass(frozen=True)
class InProgress:
    """A call being handled: by whom, for how long."""

    operator: str
    seconds: int


@dataclass(frozen=True)
class Board:
    waiting: int
    longest_wait_seconds: int
    offered: int
    answered_in_time: int
    abandoned: int
    short_abandons: int
    service_level_percent: int | None
    target_percent: int
    target_seconds: int
    abandon_rate_percent: int | None
    operators: dict[str, int]
    in_progress: list[InProgress]

    @property
    def is_target_met(self) -> bool | None:
        if self.service_level_percent is None:
            return None
        return self.service_level_percent >= self.target_percent

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "is_target_met": self.is_target_met}


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    return int((later - earlier).total_seconds()) if later and earlier else None


def board(now: datetime) -> Board:
    """The wallboard's numbers at `now`."""
    config = current_app.config
    zone = ZoneInfo(config["DESK_TIMEZONE"])
    midnight = datetime.combine(now.astimezone(zone).date(), time(), zone)
    target, short = config["DESK_SERVICE_LEVEL_SECONDS"], config["DESK_SHORT_ABANDON_SECONDS"]
    rows = db.session.execute(
        select(Call.status, Call.queued_at, Call.left_queue_at, Call.ended_at, Handling.taken_at)
        .outerjoin(Handling, Handling.call_id == Call.id)
        .where(Call.queued_at >= midnight, Call.practitioner_id.is_not(None))
    ).all()
    waits: list[int] = []
    offered = in_time = abandoned = shorts = 0
    for status, queued_at, left_at, ended_at, taken_at in rows:
        if status == CallStatus.QUEUED and taken_at is None:
            waits.append(_seconds(now, queued_at) or 0)
        elif taken_at is not None:
            offered += 1
            in_time += (_seconds(taken_at, queued_at) or 0) <= target
        elif status == CallStatus.ABANDONED:
            if (_seconds(left_at or ended_at or now, queued_at) or 0) < short:
                shorts += 1
            else:
                offered, abandoned = offered + 1, abandoned + 1
    # Callers queued before midnight and still waiting count in the queue, not in today's rates.
    earlier = db.session.scalars(
        select(Call.queued_at).where(
            Call.status == CallStatus.QUEUED,
            Call.queued_at < midnight,
            Call.practitioner_id.is_not(None),
        )
    )
    waits += [_seconds(now, queued_at) or 0 for queued_at in earlier]
    open_calls = db.session.execute(
        select(Staff.id, Staff.name, Handling.taken_at)
        .join(Handling, Handling.operator_id == Staff.id)
        .where(Handling.wrapped_up_at.is_(None))
        .order_by(Handling.taken_at)
    ).all()
    on_call = {staff_id for staff_id, _, _ in open_calls}
    kept = {row.staff_id: row for row in db.session.scalars(select(states.OperatorState))}
    by_state: Counter[str] = Counter({status.value: 0 for status in states.Status})
    for operator in states.operators():
        if operator.id in on_call:
            by_state[states.Status.ON_CALL.value] += 1
        else:
            by_state[states.stored(kept.get(operator.id), now)[0].value] += 1
    return Board(
        waiting=len(waits),
        longest_wait_seconds=max(waits, default=0),
        offered=offered,
        answered_in_time=in_time,
        abandoned=abandoned,
        short_abandons=shorts,
        service_level_percent=_percent(in_time, offered),
        target_percent=config["DESK_SERVICE_LEVEL_TARGET_PERCENT"],
        target_seconds=target,
        abandon_rate_percent=_percent(abandoned, offered),
        operators=dict(by_state),
        in_progress=[
            InProgress(name, _seconds(now, taken_at) or 0) for _, name, taken_at in open_calls
        ],
    )
