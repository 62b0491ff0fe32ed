"""The call flow as a pure state machine: (state, input) -> step. No HTTP, no database.

A caller keys an ID, a PIN and a token code, each ended with #. An entry of the wrong shape
is asked for again (3 times at most); a complete set goes to the verifier, whose outcome the
flow is told through `decide`. Every failure sounds the same, whatever failed.

On a first call (or after a PIN reset) the caller keys their 16-digit activation code where
the PIN goes. Verified that way, with their token code, they choose a PIN, keyed twice; the
flow is told through `chosen` whether the second keying matched the first.

Two later checks of who is on the line run through the same questions and the same `decide`:
the desk's call-back to a registered number (`called_back`: press 1, so that a voicemail
cannot go on, then the PIN and a fresh token code; verified, the leg joins the call's
conference), and the keypad re-check during a call (`rechecking`: the caller's leg taken out
of the conference, a fresh code, or the PIN and a code, then back to the conference whatever
the outcome, which only the operator is shown).
"""

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from verification import pins
from verification.activation import is_code_shaped
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
TOO_EASY = "That PIN would be too easy to guess. Please choose another."
NOT_THE_SAME = "The two PINs you keyed were not the same. Let's choose again."
PIN_NOT_SET = "Your PIN has not been set. Please call again to choose one. Goodbye."
PIN_SET = "Thank you. Your PIN is set: key it with your ID and token code each time you call."
UNAVAILABLE = (
    "Sorry, the service is unavailable. Please try again later. "
    "If a child is in immediate danger, hang up and dial 999. Goodbye."
)


class Field(StrEnum):
    """A credential the caller keys in."""

    ID = "id"
    PIN = "pin"
    CODE = "code"
    # Keyed where the PIN goes: a 16-digit activation code (never asked for by name).
    ACTIVATION = "activation"
    NEW_PIN = "new_pin"
    CONFIRM_PIN = "confirm_pin"
    # The one key that says a person, not a voicemail, answered the desk's call-back.
    PRESS = "press"


QUESTION = {
    Field.ID: "Please key your 8 digit practitioner ID, followed by the hash key.",
    Field.PIN: (
        "Please key your PIN, followed by the hash key. "
        "If you have an activation code, key it instead."
    ),
    Field.CODE: "Please key the 6 digit code shown on your token, followed by the hash key.",
    Field.NEW_PIN: (
        "Please choose a PIN of 6 to 12 digits, and key it followed by the hash key. "
        "Keep it to yourself: nobody at the desk will ever ask for it."
    ),
    Field.CONFIRM_PIN: "Please key the same PIN again, followed by the hash key.",
    Field.PRESS: "To continue, press 1.",
}
HINT = {
    Field.ID: "A practitioner ID has 8 digits.",
    Field.PIN: "A PIN has at least 6 digits.",
    Field.CODE: "The code on your token has 6 digits.",
    Field.NEW_PIN: "A PIN has 6 to 12 digits.",
    Field.CONFIRM_PIN: "A PIN has 6 to 12 digits.",
    Field.PRESS: "Please press the 1 key.",
}
SHAPE = {
    Field.ID: re.compile(r"\d{8}"),
    Field.PIN: re.compile(r"\d{6,12}"),
    Field.CODE: re.compile(r"\d{6}"),
    Field.NEW_PIN: re.compile(r"\d{6,12}"),
    Field.CONFIRM_PIN: re.compile(r"\d{6,12}"),
    Field.PRESS: re.compile(r"1"),
}


class Stage(StrEnum):
    ASK_ID = "ask_id"
    ASK_PIN = "ask_pin"
    ASK_CODE = "ask_code"
    CHECKING = "checking"
    ASK_NEW_PIN = "ask_new_pin"
    CONFIRM_PIN = "confirm_pin"
    SETTING_PIN = "setting_pin"
    QUEUED = "queued"
    ENDED = "ended"
    # The desk's call-back to a registered number.
    CALL_BACK_PRESS = "call_back_press"
    CALL_BACK_PIN = "call_back_pin"
    CALL_BACK_CODE = "call_back_code"
    CALL_BACK_CHECK = "call_back_check"
    # The caller keying a code again during the call, out of its conference.
    RECHECK_PIN = "recheck_pin"
    RECHECK_CODE = "recheck_code"
    RECHECK_CHECK = "recheck_check"
    # Back in (or, for a call-back, into) the call's conference.
    REJOINED = "rejoined"
    # Waiting in the queue, offered a call-back instead of holding.
    QUEUED_OFFER = "queued_offer"


ASKS = {
    Stage.ASK_ID: Field.ID,
    Stage.ASK_PIN: Field.PIN,
    Stage.ASK_CODE: Field.CODE,
    Stage.ASK_NEW_PIN: Field.NEW_PIN,
    Stage.CONFIRM_PIN: Field.CONFIRM_PIN,
    Stage.CALL_BACK_PRESS: Field.PRESS,
    Stage.CALL_BACK_PIN: Field.PIN,
    Stage.CALL_BACK_CODE: Field.CODE,
    Stage.RECHECK_PIN: Field.PIN,
    Stage.RECHECK_CODE: Field.CODE,
    Stage.QUEUED_OFFER: Field.PRESS,
}
# The stages of the later checks, each followed by the next; their PIN is a PIN, never an
# activation code, so the question does not offer one.
RECHECKS = {
    Stage.CALL_BACK_PRESS: Stage.CALL_BACK_PIN,
    Stage.CALL_BACK_PIN: Stage.CALL_BACK_CODE,
    Stage.CALL_BACK_CODE: Stage.CALL_BACK_CHECK,
    Stage.RECHECK_PIN: Stage.RECHECK_CODE,
    Stage.RECHECK_CODE: Stage.RECHECK_CHECK,
}
JUST_THE_PIN = "Please key your PIN, followed by the hash key."
CHECKS = {Stage.CHECKING, Stage.CALL_BACK_CHECK, Stage.RECHECK_CHECK}
CALLING_BACK = {Stage.CALL_BACK_PRESS, Stage.CALL_BACK_PIN, Stage.CALL_BACK_CODE}
RECHECKING = {Stage.RECHECK_PIN, Stage.RECHECK_CODE}
RETURNING = "Thank you. Returning you to the operator."
KEY_AGAIN = "The operator has asked you to key your details again. Nobody at the desk hears them."
CALL_BACK_GAVE_UP = "We did not receive your details. Goodbye."
CALL_ME_BACK = (
    "To be called back on your registered number when your turn comes, instead of holding, press 1."
)
CALLING_YOU_BACK = (
    "Thank you. You keep your place in the queue: when your turn comes, the desk will call "
    "you back on your registered number, and ask for your PIN and a fresh code. Goodbye."
)
CHOOSING = {Stage.ASK_NEW_PIN, Stage.CONFIRM_PIN, Stage.SETTING_PIN}
AFTER = {
    Field.ID: Stage.ASK_PIN,
    Field.PIN: Stage.ASK_CODE,
    Field.ACTIVATION: Stage.ASK_CODE,
    Field.CODE: Stage.CHECKING,
    Field.NEW_PIN: Stage.CONFIRM_PIN,
    Field.CONFIRM_PIN: Stage.SETTING_PIN,
}


@dataclass(frozen=True)
class State:
    """Where a call is: the stage, which attempt at verification, retries of this question,
    and whether this attempt keyed an activation code in place of a PIN."""

    stage: Stage = Stage.ASK_ID
    attempt: int = 1
    retries: int = 0
    is_activating: bool = False

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
    # Join (or rejoin) the call's conference, after saying the lines.
    is_conferenced: bool = False
    # Leave the queue (to be called back), keeping the call's place at the desk.
    is_leaving_queue: bool = False

    @property
    def gathers(self) -> Field | None:
        """The credential asked for, when the step waits for keys."""
        if self.is_hung_up or self.is_enqueued or self.is_conferenced or self.is_leaving_queue:
            return None
        return self.state.asks


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
    if state.stage in RECHECKS:
        if SHAPE[field].fullmatch(digits) is None:
            return _again(state, HINT[field] if digits else NOTHING_HEARD)
        following = State(RECHECKS[state.stage], state.attempt)
        if following.asks is None:
            return Step(following, accepted=field)
        return Step(following, (question(following.stage),), accepted=field)
    if field == Field.PIN and is_code_shaped(digits):
        field = Field.ACTIVATION
    elif SHAPE[field].fullmatch(digits) is None:
        return _again(state, HINT[field] if digits else NOTHING_HEARD)
    elif field == Field.NEW_PIN and pins.is_guessable(digits):
        return _again(state, TOO_EASY)
    # Choosing a PIN is one question asked in two keyings: its retries carry on through both.
    retries = state.retries if field in (Field.NEW_PIN, Field.CONFIRM_PIN) else 0
    is_activating = field == Field.ACTIVATION or state.is_activating
    following = State(AFTER[field], state.attempt, retries, is_activating)
    if following.asks is None:
        return Step(following, accepted=field)
    return Step(following, (QUESTION[following.asks],), accepted=field)


def _again(state: State, reason: str) -> Step:
    """Ask the current question again after `reason`, or give up after the last retry."""
    field = state.asks
    assert field is not None
    retries = state.retries + 1
    if retries >= RETRIES_PER_QUESTION and state.stage in RECHECKING:
        return _rejoin(state)
    if retries >= RETRIES_PER_QUESTION and state.stage in CALLING_BACK:
        ended = State(Stage.ENDED, state.attempt, retries)
        return Step(ended, (CALL_BACK_GAVE_UP,), is_hung_up=True)
    if retries >= RETRIES_PER_QUESTION:
        gave_up = PIN_NOT_SET if state.stage in CHOOSING else GAVE_UP
        return Step(
            State(Stage.ENDED, state.attempt, retries, state.is_activating),
            (gave_up,),
            is_hung_up=True,
        )
    return Step(replace(state, retries=retries), (reason, question(state.stage)))


def question(stage: Stage) -> str:
    """What is asked at a stage that asks for keys."""
    field = ASKS[stage]
    if field == Field.PIN and stage in RECHECKS:
        return JUST_THE_PIN
    return QUESTION[field]


def _rejoin(state: State) -> Step:
    """Back to the call's conference: the caller hears the same whatever the outcome."""
    return Step(State(Stage.REJOINED, state.attempt), (RETURNING,), is_conferenced=True)


def decide(state: State, outcome: Outcome, first_name: str = "") -> Step:
    """The verifier's outcome for a complete set of entries."""
    if state.stage not in CHECKS:
        raise ValueError(f"nothing to decide at stage {state.stage}")
    if state.stage == Stage.RECHECK_CHECK:
        # One attempt: the operator, who alone is told the outcome, may ask again.
        return _rejoin(state)
    if state.stage == Stage.CALL_BACK_CHECK:
        return _called_back(state, outcome)
    if outcome == Outcome.VERIFIED and state.is_activating:
        choose = State(Stage.ASK_NEW_PIN, state.attempt, is_activating=True)
        return Step(choose, (f"Thank you, {first_name}.", QUESTION[Field.NEW_PIN]))
    if outcome == Outcome.VERIFIED:
        thanks = f"Thank you, {first_name}. Please hold for the next operator."
        return Step(State(Stage.QUEUED, state.attempt), (thanks,), is_enqueued=True)
    if outcome == Outcome.INACTIVE:
        return Step(State(Stage.ENDED, state.attempt), (NOT_ACTIVE,), is_hung_up=True)
    if state.attempt >= ATTEMPTS_PER_CALL:
        return Step(State(Stage.ENDED, state.attempt), (NOT_VERIFIED,), is_hung_up=True)
    return Step(State(Stage.ASK_ID, state.attempt + 1), (TRY_AGAIN, QUESTION[Field.ID]))


def _called_back(state: State, outcome: Outcome) -> Step:
    """The outcome of the PIN and code keyed on the desk's call-back."""
    if outcome == Outcome.VERIFIED:
        return Step(State(Stage.REJOINED, state.attempt), (CONNECTING,), is_conferenced=True)
    if outcome == Outcome.INACTIVE:
        return Step(State(Stage.ENDED, state.attempt), (NOT_ACTIVE,), is_hung_up=True)
    if state.attempt >= ATTEMPTS_PER_CALL:
        return Step(State(Stage.ENDED, state.attempt), (NOT_VERIFIED,), is_hung_up=True)
    again = State(Stage.CALL_BACK_PIN, state.attempt + 1)
    return Step(again, (TRY_AGAIN, JUST_THE_PIN))


def called_back(name: str) -> Step:
    """What whoever answers the desk's call-back hears first: who is calling, and press 1."""
    calling = f"This is the ContactPoint mediated access desk, calling back for {name}."
    return Step(State(Stage.CALL_BACK_PRESS), (calling, QUESTION[Field.PRESS]))


def rechecking(is_pin_asked: bool) -> Step:
    """What a caller taken out of the conference to key their details again hears first."""
    stage = Stage.RECHECK_PIN if is_pin_asked else Stage.RECHECK_CODE
    return Step(State(stage), (KEY_AGAIN, question(stage)))


def chosen(state: State, is_same: bool) -> Step:
    """Whether the second keying of the chosen PIN matched the first: set, or choose again."""
    if state.stage != Stage.SETTING_PIN:
        raise ValueError(f"no PIN is being set at stage {state.stage}")
    if is_same:
        wait = "Please hold for the next operator."
        return Step(State(Stage.QUEUED, state.attempt), (PIN_SET, wait), is_enqueued=True)
    again = State(Stage.ASK_NEW_PIN, state.attempt, state.retries, is_activating=True)
    return _again(again, NOT_THE_SAME)


def waiting(position: int, can_call_back: bool = False) -> Step:
    """What a caller in the queue hears each time round; a caller on a registered number is
    offered a call-back instead of holding (their keys end the pause)."""
    where = (
        "You are next in the queue."
        if position <= 1
        else f"You are number {position} in the queue."
    )
    lines = (where, "An operator will be with you shortly.")
    if can_call_back:
        return Step(State(Stage.QUEUED_OFFER), (*lines, CALL_ME_BACK), pause_seconds=20)
    return Step(State(Stage.QUEUED), lines, pause_seconds=20)


def offered(digits: str) -> Step:
    """A queued caller's answer to the call-back offer: 1 leaves the queue, keeping the place;
    anything else (or nothing) goes on waiting."""
    if digits == "1":
        return Step(State(Stage.QUEUED), is_leaving_queue=True)
    return Step(State(Stage.QUEUED))


def calling_you_back() -> Step:
    """What a caller who chose a call-back hears as they leave the queue."""
    return Step(State(Stage.QUEUED), (CALLING_YOU_BACK,), is_hung_up=True)


def requeued() -> Step:
    """What a caller hears when the operator could not be connected after all."""
    return Step(State(Stage.QUEUED), (REQUEUED,), is_enqueued=True)


def unavailable() -> Step:
    """What a caller hears when the desk cannot go on with the call."""
    return Step(State(Stage.ENDED), (UNAVAILABLE,), is_hung_up=True)
