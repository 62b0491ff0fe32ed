"""The call flow as a pure state machine: (state, input) -> step. No HTTP, no database.

A caller keys an ID, a PIN and a token code, each ended with #. An entry of the wrong shape
is asked for again (3 times at most); a complete set goes to the verifier, whose outcome the
flow is told through `decide`. Every failure sounds the same, whatever failed.
"""

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from verification.checks import Outcome
from verification.lockout import ATTEMPTS_PER_CALL

RETRIES_PER_QUESTION = 3

WELCOME = "Welcome to the ContactPoint mediated access desk."
EMERGENCY = "If a child is in immediate danger, hang up now and dial 999."
CLOSED = "The desk is closed at the moment. Please call again during opening hours. Goodbye."
WITHHELD = (
    "This desk cannot take calls from a withheld number. "
    "Please call again without withholding your number. Goodbye."
)
NOTHING_HEARD = "Sorry, we did not receive any digits."
GAVE_UP = "We did not receive your details. Please call again when you have them to hand. Goodbye."
TRY_AGAIN = "Sorry, we could not verify those details. Let's try again."
NOT_VERIFIED = (
    "Sorry, we could not verify your details. "
    "Please contact your local ContactPoint team for help. Goodbye."
)
NOT_ACTIVE = (
    "Thank you. Your access to ContactPoint is not active. "
    "Please contact your local ContactPoint team. Goodbye."
)
CONNECTING = "Connecting you to an operator now."
REQUEUED = "Sorry, we could not connect you to the operator. You are back in the queue."
UNAVAILABLE = (
    "Sorry, the service is unavailable. Please try again later. "
    "If a child is in immediate danger, hang up and dial 999. Goodbye."
)


class Field(StrEnum):
    """A credential the caller keys in."""

    ID = "id"
    PIN = "pin"
    CODE = "code"


QUESTION = {
    Field.ID: "Please key your 8 digit practitioner ID, followed by the hash key.",
    Field.PIN: "Please key your PIN, followed by the hash key.",
    Field.CODE: "Please key the 6 digit code shown on your token, followed by the hash key.",
}
HINT = {
    Field.ID: "A practitioner ID has 8 digits.",
    Field.PIN: "A PIN has at least 6 digits.",
    Field.CODE: "The code on your token has 6 digits.",
}
SHAPE = {
    Field.ID: re.compile(r"\d{8}"),
    Field.PIN: re.compile(r"\d{6,12}"),
    Field.CODE: re.compile(r"\d{6}"),
}


class Stage(StrEnum):
    ASK_ID = "ask_id"
    ASK_PIN = "ask_pin"
    ASK_CODE = "ask_code"
    CHECKING = "checking"
    QUEUED = "queued"
    ENDED = "ended"


ASKS = {Stage.ASK_ID: Field.ID, Stage.ASK_PIN: Field.PIN, Stage.ASK_CODE: Field.CODE}
AFTER = {Field.ID: Stage.ASK_PIN, Field.PIN: Stage.ASK_CODE, Field.CODE: Stage.CHECKING}


@dataclass(frozen=True)
class State:
    """Where a call is: the stage, which attempt at verification, and retries of this question."""

    stage: Stage = Stage.ASK_ID
    attempt: int = 1
    retries: int = 0

    @property
    def asks(self) -> Field | None:
        return ASKS.get(self.stage)


@dataclass(frozen=True)
class Step:
    """What the desk does next: say these lines, then gather, enqueue or hang up."""

    state: State
    say: tuple[str, ...] = ()
    accepted: Field | None = None
    is_enqueued: bool = False
    is_hung_up: bool = False
    pause_seconds: int = 0

    @property
    def gathers(self) -> Field | None:
        """The credential asked for, when the step waits for keys."""
        return None if self.is_hung_up or self.is_enqueued else self.state.asks


def start(is_open: bool, is_number_withheld: bool) -> Step:
    """The first thing a caller hears."""
    ended = State(Stage.ENDED)
    if not is_open:
        return Step(ended, (WELCOME, EMERGENCY, CLOSED), is_hung_up=True)
    if is_number_withheld:
        return Step(ended, (WELCOME, EMERGENCY, WITHHELD), is_hung_up=True)
    return Step(State(), (WELCOME, EMERGENCY, QUESTION[Field.ID]))


def answer(state: State, digits: str) -> Step:
    """The caller keyed `digits` (empty on a timeout) in answer to the current question."""
    field = state.asks
    if field is None:
        raise ValueError(f"no question is asked at stage {state.stage}")
    if SHAPE[field].fullmatch(digits) is None:
        retries = state.retries + 1
        if retries >= RETRIES_PER_QUESTION:
            return Step(State(Stage.ENDED, state.attempt, retries), (GAVE_UP,), is_hung_up=True)
        hint = HINT[field] if digits else NOTHING_HEARD
        return Step(replace(state, retries=retries), (hint, QUESTION[field]))
    following = State(AFTER[field], state.attempt)
    if following.asks is None:
        return Step(following, accepted=field)
    return Step(following, (QUESTION[following.asks],), accepted=field)


def decide(state: State, outcome: Outcome, first_name: str = "") -> Step:
    """The verifier's outcome for a complete set of entries."""
    if state.stage != Stage.CHECKING:
        raise ValueError(f"nothing to decide at stage {state.stage}")
    if outcome == Outcome.VERIFIED:
        thanks = f"Thank you, {first_name}. Please hold for the next operator."
        return Step(State(Stage.QUEUED, state.attempt), (thanks,), is_enqueued=True)
    if outcome == Outcome.INACTIVE:
        return Step(State(Stage.ENDED, state.attempt), (NOT_ACTIVE,), is_hung_up=True)
    if state.attempt >= ATTEMPTS_PER_CALL:
        return Step(State(Stage.ENDED, state.attempt), (NOT_VERIFIED,), is_hung_up=True)
    return Step(State(Stage.ASK_ID, state.attempt + 1), (TRY_AGAIN, QUESTION[Field.ID]))


def waiting(position: int) -> Step:
    """What a caller in the queue hears each time round."""
    where = (
        "You are next in the queue."
        if position <= 1
        else f"You are number {position} in the queue."
    )
    return Step(
        State(Stage.QUEUED), (where, "An operator will be with you shortly."), pause_seconds=20
    )


def requeued() -> Step:
    """What a caller hears when the operator could not be connected after all."""
    return Step(State(Stage.QUEUED), (REQUEUED,), is_enqueued=True)


def unavailable() -> Step:
    """What a caller hears when the desk cannot go on with the call."""
    return Step(State(Stage.ENDED), (UNAVAILABLE,), is_hung_up=True)
