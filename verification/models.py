"""Practitioners, their registered phones, their hardware tokens and their failed verifications."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text, true
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
    # None until the practitioner chooses a PIN by keypad with an activation code, and again
    # after a PIN reset: the PIN step then checks the dummy hash and never matches.
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    # The one-time activation code, as an HMAC-SHA256 under a key of the desk's
    # (verification/activation.py), and when it stops working. Cleared once a PIN is chosen.
    activation_hash: Mapped[str | None] = mapped_column(String(64))
    activation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # False while the practitioner holds no working token (none yet, or lost or retired): the
    # sealed secret is then a random one nobody has, and the code step never matches.
    has_token: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Time-steps a hardware token's clock is known to run ahead (+) or behind (-), found by a
    # resynchronisation from two consecutive codes (verification/tokens.py).
    totp_drift: Mapped[int] = mapped_column(default=0, server_default="0")
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


class TokenStatus(StrEnum):
    IN_STOCK = "in_stock"
    ASSIGNED = "assigned"
    LOST = "lost"
    RETIRED = "retired"


class HardwareToken(Model):
    """A vendor's TOTP token, imported from its PSKC seed file and known by its serial."""

    __tablename__ = "hardware_tokens"
    # At most one token assigned to a practitioner at a time, whoever assigns it.
    __table_args__ = (
        Index(
            "uq_hardware_tokens_assigned",
            "practitioner_id",
            unique=True,
            postgresql_where=text("status = 'assigned'"),
            sqlite_where=text("status = 'assigned'"),
        ),
    )

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The seed, sealed with the desk's TOTP key like every token secret (never in clear).
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[TokenStatus] = mapped_column(
        enum_column(TokenStatus), default=TokenStatus.IN_STOCK
    )
    # One token per practitioner at a time; the token keeps whom it was last assigned to.
    practitioner_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<HardwareToken {self.serial} {self.status}>"


class FailedVerification(Model):
    """One failed attempt from a calling number, counted to throttle that number."""

    __tablename__ = "failed_verifications"
    # The throttle asks: how many failures from this number since a given moment?
    __table_args__ = (Index("ix_failed_verifications_caller", "caller_number", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(16))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
