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


def hashed_after_prev_hash(
    occurred_at: datetime,
    kind: str,
    subjects: tuple[int | None, str | None, int | None, int | None],
    data: dict[str, Any],
) -> bytes:
    """What row_hash hashes after the previous hash, so the database can finish the hash once
    it knows the last row: row_hash(prev, ...) is SHA-256 of `["` + prev + `",` + these bytes.
    """
    # The previous hash is hex, so it encodes as itself in quotes: only it and its comma and
    # the array's opening bracket come before what this encodes (less its own bracket).
    return CANONICAL_JSON.encode([occurred_at.isoformat(), kind, list(subjects), data])[1:].encode()


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
    # Plain rows from the table, not ORM objects or columns, streamed from a server-side cursor:
    # the log runs to millions of rows, and the ORM's per-row cost is twice what the check is.
    columns = AuditEvent.__table__.c
    rows = db.session.execute(
        select(
            columns.id,
            columns.occurred_at,
            columns.kind,
            columns.call_id,
            columns.practitioner_id,
            columns.operator_id,
            columns.supervisor_id,
            columns.data,
            columns.prev_hash,
            columns.hash,
        )
        .order_by(columns.id)
        .execution_options(yield_per=batch)
    )
    expected_prev = GENESIS
    for (
        event_id,
        occurred_at,
        kind,
        call_id,
        practitioner_id,
        operator_id,
        supervisor_id,
        data,
        prev_hash,
        stored_hash,
    ) in rows:
        if prev_hash != expected_prev:
            yield Break(
                event_id, "does not follow the row before it (a row was removed or altered)"
            )
            return
        subjects = (call_id, practitioner_id, operator_id, supervisor_id)
        if row_hash(prev_hash, occurred_at, kind, subjects, data) != stored_hash:
            yield Break(event_id, "its content does not match its hash (the row was altered)")
            return
        expected_prev = stored_hash
        yield None
