"""Practitioners, their registered phones, and their failed verifications."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.credentials.accounts import Credentialed
from desk.core.extensions import Model
from desk.core.types import UTCDateTime, enum_column, utcnow


class AccessStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Practitioner(Credentialed, Model):
    """Someone in the field who may phone the desk, identified by an 8-digit ID."""

    __tablename__ = "practitioners"

    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    # The ONS code of their local authority (desk.core.authorities); None only for a
    # practitioner registered before codes whose free-text authority matched no name (0011).
    local_authority: Mapped[str | None] = mapped_column(String(9))
    pin_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[AccessStatus] = mapped_column(
        enum_column(AccessStatus), default=AccessStatus.ACTIVE
    )
    vetted_on: Mapped[date]
    trained_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    phones: Mapped[list["PractitionerPhone"]] = relationship(
        back_populates="practitioner", cascade="all, delete-orphan", order_by="PractitionerPhone.id"
    )

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    def __repr__(self) -> str:
        return f"<Practitioner {self.id}>"


class PractitionerPhone(Model):
    """A number a practitioner is registered to call from, in E.164 form."""

    __tablename__ = "practitioner_phones"
    __table_args__ = (UniqueConstraint("practitioner_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"), index=True)
    number: Mapped[str] = mapped_column(String(16), index=True)

    practitioner: Mapped[Practitioner] = relationship(back_populates="phones")


class FailedVerification(Model):
    """One failed attempt from a calling number, counted to throttle that number."""

    __tablename__ = "failed_verifications"
    # The throttle asks: how many failures from this number since a given moment?
    __table_args__ = (Index("ix_failed_verifications_caller", "caller_number", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(16))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
