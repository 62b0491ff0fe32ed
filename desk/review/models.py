"""What the desk made of each mediated call (its flags), and a supervisor's sign-off of it."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.extensions import Model
from desk.core.types import UTCDateTime
from desk.staff.models import Staff
from ivr.models import Call


class Review(Model):
    """One mediated call, assessed once its operator wrapped it up, and signed off at most once.

    The flags are kept, not recomputed, so that the list can be filtered and counted by them at
    the desk's scale; each says which rule and threshold raised it.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flag_count: Mapped[int] = mapped_column(default=0, index=True)
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    comment: Mapped[str | None] = mapped_column(Text)

    call: Mapped[Call] = relationship()
    signed_off_by: Mapped[Staff | None] = relationship()
    flags: Mapped[list["Flag"]] = relationship(
        back_populates="review", order_by="Flag.id", cascade="all, delete-orphan"
    )

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None


class Flag(Model):
    """Why a call needs a look: the rule that raised it, and what it saw."""

    __tablename__ = "review_flags"
    __table_args__ = (UniqueConstraint("review_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(String(200))

    review: Mapped[Review] = relationship(back_populates="flags")
