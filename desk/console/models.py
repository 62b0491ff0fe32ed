"""What an operator does with a call: who took it, what was confirmed, searched, read back."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.extensions import Model
from desk.core.types import UTCDateTime, utcnow
from desk.staff.models import Staff
from ivr.models import Call


def new_token() -> str:
    """An identifier for URLs that cannot be guessed or counted through."""
    return secrets.token_urlsafe(16)


class Purpose(StrEnum):
    SAFEGUARDING = "safeguarding"
    FIND_PROFESSIONALS = "find_professionals"
    NEW_TO_SERVICE = "new_to_service"
    EDUCATION = "education"
    HEALTH = "health"
    CAF = "caf"
    OTHER = "other"


PURPOSE_LABELS = {
    Purpose.SAFEGUARDING: "Concern about a child's safety or welfare",
    Purpose.FIND_PROFESSIONALS: "Find the professionals working with a child",
    Purpose.NEW_TO_SERVICE: "Child new to the caller's service or caseload",
    Purpose.EDUCATION: "Education: school place, admission or attendance",
    Purpose.HEALTH: "Health: follow-up or missed appointment",
    Purpose.CAF: "Coordinating a Common Assessment (CAF)",
    Purpose.OTHER: "Other (describe)",
}


class WrapUp(StrEnum):
    INFORMATION_GIVEN = "information_given"
    NO_MATCH = "no_match"
    TOO_MANY_MATCHES = "too_many_matches"
    SHIELDED_REFERRED = "shielded_referred"
    BROKERED_CONTACT = "brokered_contact"
    NOT_VERIFIED = "not_verified"
    CALL_DROPPED = "call_dropped"
    OTHER = "other"


WRAP_UP_LABELS = {
    WrapUp.INFORMATION_GIVEN: "Information given",
    WrapUp.NO_MATCH: "No match",
    WrapUp.TOO_MANY_MATCHES: "Too many matches",
    WrapUp.SHIELDED_REFERRED: "Shielded: referred to the local authority",
    WrapUp.BROKERED_CONTACT: "Brokered contact requested",
    WrapUp.NOT_VERIFIED: "Caller not verified",
    WrapUp.CALL_DROPPED: "Call dropped",
    WrapUp.OTHER: "Other",
}


class Handling(Model):
    """One operator's handling of one call, from taking it to its wrap-up."""

    __tablename__ = "handlings"
    __table_args__ = (
        # An operator holds at most one call at a time: the database enforces it under races.
        Index(
            "uq_handlings_open_per_operator",
            "operator_id",
            unique=True,
            postgresql_where=text("wrapped_up_at IS NULL"),
            sqlite_where=text("wrapped_up_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    operator_call_sid: Mapped[str | None] = mapped_column(String(64))
    # Set, and committed, while the desk's REST calls to Twilio for this handling (taking or
    # returning the call) are in flight; cleared with their outcome (desk/console/phone.py).
    rest_calls_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_called_back: Mapped[bool] = mapped_column(default=False)
    purpose: Mapped[str | None] = mapped_column(String(32))
    purpose_detail: Mapped[str | None] = mapped_column(String(500))
    purpose_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wrap_up: Mapped[str | None] = mapped_column(String(32))
    wrap_up_note: Mapped[str | None] = mapped_column(String(500))
    wrapped_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    operator: Mapped[Staff] = relationship()
    searches: Mapped[list["Search"]] = relationship(
        back_populates="handling", order_by="Search.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.wrapped_up_at is None

    @property
    def may_search(self) -> bool:
        """Identity confirmed and purpose recorded: the two steps before any search."""
        return self.identity_confirmed_at is not None and self.purpose_recorded_at is not None


class ListenMode(StrEnum):
    LISTEN = "listen"  # muted: hears both, heard by nobody
    COACH = "coach"  # heard by the operator only
    BARGE = "barge"  # heard by both


LISTEN_MODE_LABELS = {
    ListenMode.LISTEN: "Listening",
    ListenMode.COACH: "Coaching the operator",
    ListenMode.BARGE: "Speaking to both",
}


class ListenIn(Model):
    """A supervisor in a call's conference: from asking to join until their leg leaves."""

    __tablename__ = "listen_ins"
    __table_args__ = (
        Index(
            "uq_listen_ins_open_per_supervisor",
            "supervisor_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    call_sid: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    supervisor: Mapped[Staff] = relationship()


class Search(Model):
    """One search made for a call: its form and how many matched (the criteria are audited)."""

    __tablename__ = "searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    handling_id: Mapped[int] = mapped_column(ForeignKey("handlings.id"), index=True)
    form: Mapped[str] = mapped_column(String(32))
    match_count: Mapped[int]
    is_too_many: Mapped[bool] = mapped_column(default=False)
    searched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    handling: Mapped[Handling] = relationship(back_populates="searches")
    matches: Mapped[list["Match"]] = relationship(
        back_populates="search", order_by="Match.id", cascade="all, delete-orphan"
    )


class Match(Model):
    """A child a search found, reachable from that call's results only, by an unguessable token."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True, default=new_token)
    search_id: Mapped[int] = mapped_column(ForeignKey("searches.id"), index=True)
    # None once the child is purged (desk/records/retention.py): the match stays, anonymous.
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    search: Mapped[Search] = relationship(back_populates="matches")


class ReadBack(Model):
    """An item read back to the caller: written only after its audit row."""

    __tablename__ = "read_backs"
    __table_args__ = (UniqueConstraint("match_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(64))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BrokeredOutcome(StrEnum):
    CONTACT_MADE = "contact_made"
    PROFESSIONAL_WILL_CONTACT = "professional_will_contact"
    DECLINED = "declined"
    NOT_APPROPRIATE = "not_appropriate"


BROKERED_OUTCOME_LABELS = {
    BrokeredOutcome.CONTACT_MADE: "Contact made",
    BrokeredOutcome.PROFESSIONAL_WILL_CONTACT: "The professional will contact you",
    BrokeredOutcome.DECLINED: "Declined",
    BrokeredOutcome.NOT_APPROPRIATE: "Not appropriate",
}


class BrokeredRequest(Model):
    """A request that the local authority's ContactPoint team put the caller in touch.

    Raised by an operator (desk.console.lookup), worked by an officer of the child's authority
    (desk.authority): claimed, its contact attempts logged, closed with an outcome.
    """

    __tablename__ = "brokered_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The child's authority when the request was made: whose officers see it.
    local_authority: Mapped[str | None] = mapped_column(String(9), index=True)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The SMS telling the practitioner the outcome: "sent", "failed" or "no_mobile".
    sms_status: Mapped[str | None] = mapped_column(String(16))

    match: Mapped[Match] = relationship()
    steps: Mapped[list["BrokeredStep"]] = relationship(
        back_populates="request", order_by="BrokeredStep.id", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        """What the practitioner and the officer call the request: no child in it."""
        return f"BR{self.id:06d}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class StepKind(StrEnum):
    ATTEMPT = "attempt"
    PASSED_TO_PROFESSIONAL = "passed_to_professional"
    PASSED_TO_PRACTITIONER = "passed_to_practitioner"


STEP_LABELS = {
    StepKind.ATTEMPT: "Contact attempt",
    StepKind.PASSED_TO_PROFESSIONAL: "Practitioner's details passed to the professional",
    StepKind.PASSED_TO_PRACTITIONER: "Professional's details passed to the practitioner",
}


class BrokeredStep(Model):
    """One thing an officer did to work a request: a contact attempt, or details passed on."""

    __tablename__ = "brokered_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("brokered_requests.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[BrokeredRequest] = relationship(back_populates="steps")
