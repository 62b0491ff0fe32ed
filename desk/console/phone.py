"""The console's REST calls to Twilio, made only once the intent is committed.

Taking, returning and wrapping up a call each go in three steps, and the view runs them:

1. **Intent.** A service records what is to happen and returns the REST calls still to make (a
   `PhoneWork`); the view commits. From here no transaction is open and no row is locked.
2. **REST calls.** The view runs the work (`run`, below), which touches no database and
   returns how it went; however slow Twilio is, nobody waits for a lock.
3. **Outcome.** A service records how it went, undoing the intent where Twilio refused, and the
   view commits again.

- **Take** (desk/console/taking.py). Intent: the call CONNECTED with a handling for the operator,
  and `call.taken`; nobody else can take the call, and the operator can take no other. REST
  calls: move the caller into the call's conference, ring the operator, and, if their phone
  cannot be rung, put the caller back in the queue. Outcome: the operator's leg is stored; or
  the claim is undone and `call.take_failed` says what failed and what was done about it (the
  caller hung up: abandoned; never moved: still queued; moved and put back: queued). A caller
  who could be neither connected nor put back stays with the operator, who is told.
- **Return** (`release`, desk/console/handling.py). Intent: the handling marked, the call still
  claimed. REST calls: send the caller back to the queue, then hang up the operator's leg (a
  failure there is logged: the conference ends as the caller leaves it). Outcome: the call
  queued, the handling gone, `call.released`; or the call still the operator's,
  `call.release_failed`, and they are told. Never half: never queued at the desk while Twilio
  still has the caller in the operator's conference.
- **Wrap-up** (desk/console/handling.py). Intent: the wrap-up, the call COMPLETED and
  `call.wrapped_up`. REST calls: hang up the caller's leg and the operator's; a leg that is
  already gone, or a refusal, is logged, never fatal. No outcome to record.

While a take or a return is in flight its handling carries `rest_calls_since`, and the call's
other steps wait (desk/console/handling.py `active_handling`), so that undoing a claim never
takes a search with it.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from flask import current_app

from ivr.telephony import CallerGone, Leg, Telephony, TelephonyError

Outcome = TypeVar("Outcome", covariant=True)


class PhoneWork(Protocol[Outcome]):
    """REST calls a service left to be made once its intent is committed."""

    def run(self, adapter: Telephony) -> Outcome:
        """Make the calls, touching no database; how they went."""


class Caller(StrEnum):
    """Where the desk's REST calls left the caller."""

    WITH_OPERATOR = "with_operator"  # in the call's conference, the operator's phone rung
    GONE = "gone"  # hung up
    IN_QUEUE = "in_queue"  # never moved out of the queue
    REQUEUED = "requeued"  # sent back to the queue
    ALONE = "alone"  # in the call's conference, the operator's phone not rung


@dataclass(frozen=True)
class Connection:
    """How connecting a claimed call went."""

    caller: Caller
    refused: str | None = None  # the REST call Twilio refused, if one was
    operator_call_sid: str | None = None
    call_back_sid: str | None = None  # a queued callback's: the leg ringing the practitioner


@dataclass(frozen=True)
class RingBack:
    """A committed call-back's REST call: ring the registered number from the desk's."""

    recheck_id: int
    to: str
    answer_url: str
    status_url: str

    def run(self, adapter: Telephony) -> str | None:
        """The new leg's CallSid, or None if Twilio refused."""
        try:
            return adapter.call_back(self.to, self.answer_url, self.status_url)
        except TelephonyError:
            current_app.logger.warning("Twilio would not place a call-back")
            return None


@dataclass(frozen=True)
class Connect:
    """A committed claim's REST calls: the caller into the conference, then the operator."""

    handling_id: int
    call_id: int
    leg: Leg
    operator_leg: str
    queue_url: str
    # A queued callback: the caller hung up to be called back, so the operator is rung first,
    # then the practitioner (ivr/virtual_hold.py).
    ring: RingBack | None = None

    def run(self, adapter: Telephony) -> Connection:
        if self.ring is not None:
            return self._ring_both(adapter, self.ring)
        # The caller first: a caller who has gone is found before the operator's phone rings.
        try:
            adapter.connect_caller(self.leg)
        except CallerGone:
            return Connection(Caller.GONE, "connect_caller")
        except TelephonyError:
            current_app.logger.warning("Twilio would not move a taken caller out of the queue")
            return Connection(Caller.IN_QUEUE, "connect_caller")
        try:
            sid = adapter.dial_operator(self.leg, self.operator_leg)
        except TelephonyError:
            current_app.logger.warning("Twilio could not ring the operator's phone")
        else:
            return Connection(Caller.WITH_OPERATOR, operator_call_sid=sid)
        try:
            adapter.requeue_caller(self.leg, self.queue_url)
        except CallerGone:
            return Connection(Caller.GONE, "dial_operator")
        except TelephonyError:
            current_app.logger.exception(
                "Could not put caller back in the queue after a failed take"
            )
            return Connection(Caller.ALONE, "dial_operator")
        return Connection(Caller.REQUEUED, "dial_operator")

    def _ring_both(self, adapter: Telephony, ring: RingBack) -> Connection:
        try:
            sid = adapter.dial_operator(self.leg, self.operator_leg)
        except TelephonyError:
            current_app.logger.warning("Twilio could not ring the operator for a callback")
            return Connection(Caller.IN_QUEUE, "dial_operator")
        leg = ring.run(adapter)
        refused = None if leg else "call_back"
        return Connection(Caller.WITH_OPERATOR, refused, operator_call_sid=sid, call_back_sid=leg)


@dataclass(frozen=True)
class PutBack:
    """A committed return's REST calls: the caller back to the queue, the operator's leg ended."""

    handling_id: int
    call_id: int
    leg: Leg
    queue_url: str
    operator_call_sid: str | None

    def run(self, adapter: Telephony) -> Caller:
        try:
            adapter.requeue_caller(self.leg, self.queue_url)
        except CallerGone:
            return Caller.GONE
        except TelephonyError:
            current_app.logger.warning("Twilio would not put a returned caller back in the queue")
            return Caller.WITH_OPERATOR
        if self.operator_call_sid:
            hang_up(adapter, self.operator_call_sid)
        return Caller.REQUEUED


@dataclass(frozen=True)
class HangUp:
    """A committed wrap-up's REST calls: end each leg still up."""

    call_sids: tuple[str, ...]

    def run(self, adapter: Telephony) -> None:
        for call_sid in self.call_sids:
            hang_up(adapter, call_sid)


def hang_up(adapter: Telephony, call_sid: str) -> None:
    """End a leg; one already gone, or a refusal, is logged and stops nothing."""
    try:
        adapter.hang_up(call_sid)
    except CallerGone:
        current_app.logger.info("A leg was already gone when the desk hung it up")
    except TelephonyError:
        current_app.logger.warning("Twilio would not hang up a leg", exc_info=True)
