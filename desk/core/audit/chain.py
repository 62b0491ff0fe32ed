"""The hash chain: how a row's hash is made, and how the whole log is checked."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, select

from desk.core.audit.models import AuditEvent
from desk.core.extensions import db

GENESIS = "0" * 64

# What json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) makes, without
# building an encoder per row: verify hashes millions of them.
CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

# Whom a row names: its call, practitioner, operator and supervisor.
Subjects = tuple[int | None, str | None, int | None, int | None]


def row_hash(
    prev_hash: str, occurred_at: datetime, kind: str, subjects: Subjects, data: dict[str, Any]
) -> str:
    """SHA-256 over a row's content and the previous row's hash."""
    canonical = CANONICAL_JSON.encode(
        [prev_hash, occurred_at.isoformat(), kind, list(subjects), data]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def canonical_data(data: dict[str, Any]) -> str:
    """A row's data as row_hash encodes it, which is how the log stores it."""
    return CANONICAL_JSON.encode(data)


def hashed_after_prev_hash(
    occurred_at: datetime, kind: str, subjects: Subjects, data_json: str
) -> bytes:
    """What row_hash hashes after the previous hash, given the data's canonical JSON, so that
    the database can finish the hash once it knows the last row: row_hash(prev, ...) is
    SHA-256 of `["` + prev + `",` + these bytes.
    """
    # A hex hash encodes as itself in quotes, so only `["`, it and `",` come before these.
    head = CANONICAL_JSON.encode([occurred_at.isoformat(), kind, list(subjects)])
    return f"{head[1:-1]},{data_json}]".encode()


def stored_row_holds(
    stored_hash: str,
    prev_hash: str,
    occurred_at: datetime,
    kind: str,
    subjects: Subjects,
    data_json: str,
) -> bool:
    """Whether a stored row's hash is row_hash of its content, its data given as stored JSON."""
    # The desk stores data in canonical JSON, which is hashed as it is, undecoded; data stored
    # in another layout (older rows; SQLite) is decoded and encoded canonically by row_hash.
    head = CANONICAL_JSON.encode([prev_hash, occurred_at.isoformat(), kind, list(subjects)])
    if hashlib.sha256(f"{head[:-1]},{data_json}]".encode()).hexdigest() == stored_hash:
        return True
    return row_hash(prev_hash, occurred_at, kind, subjects, json.loads(data_json)) == stored_hash


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
    # Plain rows from the table, streamed from a server-side cursor: the log runs to millions
    # of rows, and the ORM, even selecting columns, doubles what each costs to fetch. The data
    # comes as the JSON text stored, to be hashed without decoding it where it can be.
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
            cast(columns.data, Text),
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
        data_json,
        prev_hash,
        stored_hash,
    ) in rows:
        if prev_hash != expected_prev:
            yield Break(
                event_id, "does not follow the row before it (a row was removed or altered)"
            )
            return
        subjects = (call_id, practitioner_id, operator_id, supervisor_id)
        if not stored_row_holds(stored_hash, prev_hash, occurred_at, kind, subjects, data_json):
            yield Break(event_id, "its content does not match its hash (the row was altered)")
            return
        expected_prev = stored_hash
        yield None
