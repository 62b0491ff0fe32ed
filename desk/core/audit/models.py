"""The audit table. Rows are only ever added: the database refuses UPDATE and DELETE."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.extensions import Model
from desk.core.types import UTCDateTime

# BIGINT on PostgreSQL for 11 million children's worth of events; SQLite needs INTEGER for rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Model):
    """One thing that happened, against whom, chained to the row before it by a SHA-256 hash.

    The subjects are plain identifiers, not foreign keys: the log outlives what it names.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    call_id: Mapped[int | None] = mapped_column(index=True)
    practitioner_id: Mapped[str | None] = mapped_column(String(8), index=True)
    operator_id: Mapped[int | None] = mapped_column(index=True)
    supervisor_id: Mapped[int | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.kind}>"
