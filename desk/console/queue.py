"""The calls waiting for an operator, as the queue page shows them."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from desk.core.extensions import db
from ivr.models import Call, CallStatus
from verification.models import Practitioner


@dataclass(frozen=True)
class Waiting:
    """One caller in the queue."""

    call: Call
    practitioner: Practitioner
    waited_seconds: int


def waiting_calls(now: datetime) -> list[Waiting]:
    """Verified callers waiting, longest wait first."""
    calls = db.session.scalars(
        select(Call)
        .where(Call.status == CallStatus.QUEUED, Call.practitioner_id.is_not(None))
        .options(selectinload(Call.practitioner).selectinload(Practitioner.phones))
        .order_by(Call.queued_at)
    )
    return [
        Waiting(call, call.practitioner, int((now - (call.queued_at or now)).total_seconds()))
        for call in calls
        if call.practitioner is not None
    ]
