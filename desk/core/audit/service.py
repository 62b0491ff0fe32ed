"""The one way anything is written to the audit log."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import LargeBinary, bindparam, select, text
from sqlalchemy.orm import make_transient_to_detached

from desk.core import metrics
from desk.core.audit.chain import GENESIS, canonical_data, hashed_after_prev_hash, row_hash
from desk.core.audit.events import Event
from desk.core.audit.models import AuditEvent
from desk.core.extensions import db
from desk.core.types import UTCDateTime, utcnow

# Each event is a notable one for the logs too: its kind only (the request's id and call are
# added by desk.core.logs), never its data or subjects, which the audit log alone keeps.
log = logging.getLogger("desk.audit")

# Any constant will do: it names the lock that serialises appends to the chain.
CHAIN_LOCK = 0x6D61645F61756474

# One call (migration 0007) takes the chain lock, reads the last hash, finishes this row's hash
# and inserts it, so no round trip to the application is made while other writers wait.
# The data goes in as the canonical JSON it is hashed as, so verify can hash it undecoded.
APPEND = text(
    "SELECT appended_id, appended_prev_hash, appended_hash FROM audit_events_append("
    ":lock_key, :occurred_at, :kind, :call_id, :practitioner_id, :operator_id, :supervisor_id, "
    "CAST(:data_json AS json), :hashed_after_prev_hash)"
).bindparams(
    bindparam("occurred_at", type_=UTCDateTime()),
    bindparam("hashed_after_prev_hash", type_=LargeBinary()),
)


def record(
    kind: Event,
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
    event = AuditEvent(
        occurred_at=utcnow(),
        kind=kind,
        call_id=call_id,
        practitioner_id=practitioner_id,
        operator_id=operator_id,
        supervisor_id=supervisor_id,
        data=dict(data or {}),
    )
    with appending(kind):
        if db.session.get_bind().dialect.name == "postgresql":
            _append_in_database(event)
        else:
            _append_here(event)
    return event


@contextmanager
def appending(kind: Event) -> Iterator[None]:
    """Around every append, by `record` or by a statement of a caller's own (the lookup's one
    round trip): timed and counted for the metrics, and one log line naming its kind alone."""
    with metrics.audit_append(kind):
        yield
    log.info("audit event", extra={"kind": str(kind)})


def append_parameters(
    kind: str,
    *,
    call_id: int | None = None,
    practitioner_id: str | None = None,
    operator_id: int | None = None,
    supervisor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """APPEND's parameters for one event, for a statement that appends it as one of its parts.

    PostgreSQL only. The caller sends APPEND (or a statement built on it, desk.console.lookup)
    and must have flushed its own changes first, as `record` does.
    """
    occurred_at = utcnow()
    data_json = canonical_data(dict(data or {}))
    subjects = (call_id, practitioner_id, operator_id, supervisor_id)
    return {
        "lock_key": CHAIN_LOCK,
        "occurred_at": occurred_at,
        "kind": kind,
        "call_id": call_id,
        "practitioner_id": practitioner_id,
        "operator_id": operator_id,
        "supervisor_id": supervisor_id,
        "data_json": data_json,
        "hashed_after_prev_hash": hashed_after_prev_hash(occurred_at, kind, subjects, data_json),
    }


def _append_in_database(event: AuditEvent) -> None:
    parameters = append_parameters(
        event.kind,
        call_id=event.call_id,
        practitioner_id=event.practitioner_id,
        operator_id=event.operator_id,
        supervisor_id=event.supervisor_id,
        data=event.data,
    )
    event.occurred_at = parameters["occurred_at"]
    appended = db.session.execute(APPEND, parameters).one()
    event.id, event.prev_hash, event.hash = appended
    # The row is in the table already: the session is told it holds it, not to insert it.
    make_transient_to_detached(event)
    db.session.add(event)


def _append_here(event: AuditEvent) -> None:
    # SQLite, for the demo: no function language, so the application chains the row itself.
    # Its transaction took the write lock as it began (desk.core.sqlite), so no other writer
    # appends between this read of the last hash and the insert.
    subjects = (event.call_id, event.practitioner_id, event.operator_id, event.supervisor_id)
    event.prev_hash = (
        db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        or GENESIS
    )
    event.hash = row_hash(event.prev_hash, event.occurred_at, event.kind, subjects, event.data)
    db.session.add(event)
    db.session.flush()
