"""The hash chain: how a row's hash is made, and how the whole log is checked."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from desk.audit.models import AuditEvent
from desk.extensions import db

GENESIS = "0" * 64

# What json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) makes, without
# building an encoder per row: verify hashes millions of them.
CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(
    prev_hash: str,
    occurred_at: datetime,
    kind: str,
    subjects: tuple[int | None, str | None, int | None, int | None],
    data: dict[str, Any],
) -> str:
    """SHA-256 over a row's content and the previous row's hash."""
    canonical = CANONICAL_JSON.encode(
        [prev_hash, occurred_at.isoformat(), kind, list(subjects), data]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def hash_of(event: AuditEvent) -> str:
    """The hash a stored row should carry, recomputed from its content."""
    subjects = (event.call_id, event.practitioner_id, event.operator_id, event.supervisor_id)
    return row_hash(event.prev_hash, event.occurred_at, event.kind, subjects, event.data)


@dataclass(frozen=True)
class Break:
    """The first row at which the chain no longer holds."""

    event_id: int
    reason: str


def count() -> int:
    """How many rows the log holds."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def walk(batch: int = 5000) -> Iterator[Break | None]:
    """Check every row in order; yield None per good row, a Break at the first bad one."""
    expected_prev = GENESIS
    rows = db.session.execute(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)
    ).scalars()
    for event in rows:
        if event.prev_hash != expected_prev:
            yield Break(
                event.id, "does not follow the row before it (a row was removed or altered)"
            )
            return
        if hash_of(event) != event.hash:
            yield Break(event.id, "its content does not match its hash (the row was altered)")
            return
        expected_prev = event.hash
        yield None
