"""The one way anything is written to the audit log."""

from typing import Any

from sqlalchemy import select, text

from desk.audit.chain import GENESIS, row_hash
from desk.audit.models import AuditEvent
from desk.extensions import db
from desk.types import utcnow

# Any constant will do: it names the lock that serialises appends to the chain.
CHAIN_LOCK = 0x6D61645F61756474


def record(
    kind: str,
    *,
    call_id: int | None = None,
    practitioner_id: str | None = None,
    operator_id: int | None = None,
    supervisor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the log, chained to the last; flushed, not committed.

    Never pass a PIN, token code or password in `data`.
    """
    # The caller's own changes go to the database now, not later by autoflush while this
    # transaction holds the chain lock and every other writer waits on it.
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # Held until commit, so concurrent writers chain one after another, never in a fork.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    prev_hash = (
        db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        or GENESIS
    )
    occurred_at = utcnow()
    payload = dict(data or {})
    subjects = (call_id, practitioner_id, operator_id, supervisor_id)
    event = AuditEvent(
        occurred_at=occurred_at,
        kind=kind,
        call_id=call_id,
        practitioner_id=practitioner_id,
        operator_id=operator_id,
        supervisor_id=supervisor_id,
        data=payload,
        prev_hash=prev_hash,
        hash=row_hash(prev_hash, occurred_at, kind, subjects, payload),
    )
    db.session.add(event)
    db.session.flush()
    return event
