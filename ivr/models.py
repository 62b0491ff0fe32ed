"""A phone call to the desk, its state kept here so that any worker can answer its next webhook."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.extensions import Model
from desk.core.types import UTCDateTime, enum_column, utcnow
from ivr.flow import Stage, State
from verification.models import Practitioner


class CallStatus(StrEnum):
    IN_IVR = "in_ivr"
    QUEUED = "queued"
    CONNECTED = "connected"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    ENDED = "ended"


FINISHED = {CallStatus.COMPLETED, CallStatus.ABANDONED, CallStatus.ENDED}


class Call(Model):
    """One inbound call, keyed by Twilio's CallSid."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    # For the console's URLs: unguessable, unlike the id, and not Twilio's CallSid.
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: secrets.token_urlsafe(16)
    )
    # Learnt from the wait URL; lets an operator's take move this caller out of the queue.
    queue_sid: Mapped[str | None] = mapped_column(String(64))
    caller_number: Mapped[str | None] = mapped_column(String(16), index=True)
    status: Mapped[CallStatus] = mapped_column(
        enum_column(CallStatus), default=CallStatus.IN_IVR, index=True
    )

    # The flow's state between webhooks.
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.ASK_ID)
    attempt: Mapped[int] = mapped_column(default=1)
    retries: Mapped[int] = mapped_column(default=0)
    # Bumped with every reply; an answer carrying an older turn is a repeat and gets last_twiml.
    turn: Mapped[int] = mapped_column(default=0)
    last_twiml: Mapped[str] = mapped_column(Text, default="")

    # The ID keyed this attempt, when it names a practitioner, and whether the PIN matched it.
    # The PIN itself is never kept: only this outcome of checking it.
    claimed_practitioner_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    is_pin_correct: Mapped[bool] = mapped_column(default=False)
    # On a first call: this attempt keyed an activation code in place of a PIN; and, between
    # the two keyings of the PIN the caller chooses, the argon2 hash of the first (the PIN
    # itself is never kept), which becomes their PIN hash if the second matches it.
    is_activating: Mapped[bool] = mapped_column(default=False, server_default=false())
    chosen_pin_hash: Mapped[str | None] = mapped_column(String(200))

    practitioner_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"), index=True)
    is_registered_number: Mapped[bool | None]

    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    left_queue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queue_result: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None]
    # Twilio's SequenceNumber of the last status callback applied; older ones are ignored.
    last_sequence: Mapped[int | None]
    # The line as Twilio reports it (ivr/line.py): the conference's SID, which the participant
    # REST calls need; when the caller joined and left it, and whether they are on hold; the
    # operator's leg: its call progress, when it joined, whether the desk muted it.
    conference_sid: Mapped[str | None] = mapped_column(String(64))
    caller_in_conference_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caller_left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_caller_on_hold: Mapped[bool] = mapped_column(default=False, server_default="false")
    operator_leg_status: Mapped[str | None] = mapped_column(String(16))
    operator_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_operator_muted: Mapped[bool] = mapped_column(default=False, server_default="false")
    # The caller chose, while queued, to be called back on their registered number: they
    # hung up, and the call keeps its place in the queue (ivr/virtual_hold.py).
    is_callback_requested: Mapped[bool] = mapped_column(default=False, server_default="false")

    claimed_practitioner: Mapped[Practitioner | None] = relationship(
        foreign_keys=[claimed_practitioner_id]
    )
    practitioner: Mapped[Practitioner | None] = relationship(foreign_keys=[practitioner_id])

    @property
    def flow_state(self) -> State:
        return State(self.stage, self.attempt, self.retries, self.is_activating)

    @flow_state.setter
    def flow_state(self, state: State) -> None:
        self.stage, self.attempt, self.retries = state.stage, state.attempt, state.retries
        self.is_activating = state.is_activating

    def __repr__(self) -> str:
        return f"<Call {self.id} {self.status}>"


class RecheckKind(StrEnum):
    CALL_BACK = "call_back"  # the desk rings a registered number and the answerer keys again
    KEYPAD = "keypad"  # the caller's own leg is taken out of the conference to key again


class RecheckStatus(StrEnum):
    ASKED = "asked"  # committed; the REST call not made yet, or under way
    KEYING = "keying"  # the leg is with the desk's questions
    VERIFIED = "verified"
    NOT_VERIFIED = "not_verified"
    LOCKED = "locked"


RECHECK_OVER = {RecheckStatus.VERIFIED, RecheckStatus.NOT_VERIFIED, RecheckStatus.LOCKED}


class Recheck(Model):
    """A check of who is on a call after the first: a call-back or a keypad re-check.

    Like a call, it keeps its flow's state between webhooks, and of what was keyed only
    whether the PIN matched; the operator is shown its status alone.
    """

    __tablename__ = "rechecks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # For the webhook URLs: unguessable, and not Twilio's CallSid.
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: secrets.token_urlsafe(16)
    )
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    kind: Mapped[RecheckKind] = mapped_column(enum_column(RecheckKind))
    status: Mapped[RecheckStatus] = mapped_column(
        enum_column(RecheckStatus), default=RecheckStatus.ASKED
    )
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # A call-back: the registered number rung, its leg, and once it is the caller's, the first.
    number: Mapped[str | None] = mapped_column(String(16))
    leg_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    replaced_sid: Mapped[str | None] = mapped_column(String(64), index=True)

    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.CALL_BACK_PRESS)
    attempt: Mapped[int] = mapped_column(default=1)
    retries: Mapped[int] = mapped_column(default=0)
    turn: Mapped[int] = mapped_column(default=0)
    last_twiml: Mapped[str] = mapped_column(Text, default="")
    is_pin_correct: Mapped[bool] = mapped_column(default=False)

    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()

    @property
    def flow_state(self) -> State:
        return State(self.stage, self.attempt, self.retries)

    @flow_state.setter
    def flow_state(self, state: State) -> None:
        self.stage, self.attempt, self.retries = state.stage, state.attempt, state.retries

    @property
    def is_over(self) -> bool:
        return self.status in RECHECK_OVER
