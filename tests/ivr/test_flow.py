"""The call flow as a table: (state, input) -> (next state, what the caller hears)."""

import pytest

from ivr import flow
from ivr.flow import Field, Stage, State
from verification.checks import Outcome

ID, PIN, CODE = "40000001", "739182", "123456"


@pytest.mark.parametrize(
    ("is_open", "is_withheld", "stage", "last_words", "is_hung_up"),
    [
        (True, False, Stage.ASK_ID, flow.QUESTION[Field.ID], False),
        (False, False, Stage.ENDED, flow.CLOSED, True),
        (True, True, Stage.ENDED, flow.WITHHELD, True),
        (False, True, Stage.ENDED, flow.CLOSED, True),
    ],
)
def test_start(
    is_open: bool, is_withheld: bool, stage: Stage, last_words: str, is_hung_up: bool
) -> None:
    step = flow.start(is_open, is_withheld)
    assert step.say[:2] == (flow.WELCOME, flow.EMERGENCY)
    assert step.say[-1] == last_words
    assert step.state.stage == stage
    assert step.is_hung_up == is_hung_up


ask_id, ask_pin, ask_code = State(Stage.ASK_ID), State(Stage.ASK_PIN), State(Stage.ASK_CODE)


@pytest.mark.parametrize(
    ("state", "digits", "next_state", "heard", "accepted"),
    [
        # Well-shaped answers move on.
        (ask_id, ID, ask_pin, (flow.QUESTION[Field.PIN],), Field.ID),
        (ask_pin, PIN, ask_code, (flow.QUESTION[Field.CODE],), Field.PIN),
        (ask_pin, "739182739182", ask_code, (flow.QUESTION[Field.CODE],), Field.PIN),
        (ask_code, CODE, State(Stage.CHECKING), (), Field.CODE),
        # Nothing keyed before the timeout.
        (
            ask_id,
            "",
            State(Stage.ASK_ID, 1, 1),
            (flow.NOTHING_HEARD, flow.QUESTION[Field.ID]),
            None,
        ),
        # Wrong shapes are asked again, with a hint that gives nothing away.
        (
            ask_id,
            "*",
            State(Stage.ASK_ID, 1, 1),
            (flow.HINT[Field.ID], flow.QUESTION[Field.ID]),
            None,
        ),
        (
            ask_id,
            "abcdefgh",
            State(Stage.ASK_ID, 1, 1),
            (flow.HINT[Field.ID], flow.QUESTION[Field.ID]),
            None,
        ),
        (
            ask_id,
            "0",
            State(Stage.ASK_ID, 1, 1),
            (flow.HINT[Field.ID], flow.QUESTION[Field.ID]),
            None,
        ),
        (
            ask_id,
            "4" * 64,
            State(Stage.ASK_ID, 1, 1),
            (flow.HINT[Field.ID], flow.QUESTION[Field.ID]),
            None,
        ),
        (
            ask_id,
            "4000000",
            State(Stage.ASK_ID, 1, 1),
            (flow.HINT[Field.ID], flow.QUESTION[Field.ID]),
            None,
        ),
        (
            ask_id,
            PIN,
            State(Stage.ASK_ID, 1, 1),
            (flow.HINT[Field.ID], flow.QUESTION[Field.ID]),
            None,
        ),
        (
            ask_id,
            "4000*001",
            State(Stage.ASK_ID, 1, 1),
            (flow.HINT[Field.ID], flow.QUESTION[Field.ID]),
            None,
        ),
        (
            ask_pin,
            "12345",
            State(Stage.ASK_PIN, 1, 1),
            (flow.HINT[Field.PIN], flow.QUESTION[Field.PIN]),
            None,
        ),
        (
            ask_pin,
            "1" * 13,
            State(Stage.ASK_PIN, 1, 1),
            (flow.HINT[Field.PIN], flow.QUESTION[Field.PIN]),
            None,
        ),
        (
            ask_code,
            "1234567",
            State(Stage.ASK_CODE, 1, 1),
            (flow.HINT[Field.CODE], flow.QUESTION[Field.CODE]),
            None,
        ),
        (
            ask_code,
            "12 456",
            State(Stage.ASK_CODE, 1, 1),
            (flow.HINT[Field.CODE], flow.QUESTION[Field.CODE]),
            None,
        ),
        # A good answer resets the count of retries; the attempt number is kept.
        (
            State(Stage.ASK_PIN, 2, 2),
            PIN,
            State(Stage.ASK_CODE, 2, 0),
            (flow.QUESTION[Field.CODE],),
            Field.PIN,
        ),
        # The third unusable answer to one question ends the call.
        (State(Stage.ASK_ID, 1, 2), "", State(Stage.ENDED, 1, 3), (flow.GAVE_UP,), None),
        (State(Stage.ASK_CODE, 3, 2), "1", State(Stage.ENDED, 3, 3), (flow.GAVE_UP,), None),
    ],
)
def test_answer(
    state: State, digits: str, next_state: State, heard: tuple[str, ...], accepted: Field | None
) -> None:
    step = flow.answer(state, digits)
    assert step.state == next_state
    assert step.say == heard
    assert step.accepted == accepted
    assert step.is_hung_up == (next_state.stage == Stage.ENDED)


checking = State(Stage.CHECKING)


@pytest.mark.parametrize(
    ("state", "outcome", "next_state", "heard", "is_enqueued", "is_hung_up"),
    [
        (
            checking,
            Outcome.VERIFIED,
            State(Stage.QUEUED),
            ("Thank you, Sam. Please hold for the next operator.",),
            True,
            False,
        ),
        (
            State(Stage.CHECKING, 3),
            Outcome.VERIFIED,
            State(Stage.QUEUED, 3),
            ("Thank you, Sam. Please hold for the next operator.",),
            True,
            False,
        ),
        (
            checking,
            Outcome.REJECTED,
            State(Stage.ASK_ID, 2),
            (flow.TRY_AGAIN, flow.QUESTION[Field.ID]),
            False,
            False,
        ),
        (
            State(Stage.CHECKING, 2),
            Outcome.REJECTED,
            State(Stage.ASK_ID, 3),
            (flow.TRY_AGAIN, flow.QUESTION[Field.ID]),
            False,
            False,
        ),
        (
            State(Stage.CHECKING, 3),
            Outcome.REJECTED,
            State(Stage.ENDED, 3),
            (flow.NOT_VERIFIED,),
            False,
            True,
        ),
        (checking, Outcome.INACTIVE, State(Stage.ENDED), (flow.NOT_ACTIVE,), False, True),
    ],
)
def test_decide(
    state: State,
    outcome: Outcome,
    next_state: State,
    heard: tuple[str, ...],
    is_enqueued: bool,
    is_hung_up: bool,
) -> None:
    step = flow.decide(state, outcome, "Sam")
    assert (step.state, step.say, step.is_enqueued, step.is_hung_up) == (
        next_state,
        heard,
        is_enqueued,
        is_hung_up,
    )


def test_a_step_gathers_only_while_a_question_is_open() -> None:
    assert flow.start(True, False).gathers == Field.ID
    assert flow.decide(checking, Outcome.VERIFIED, "Sam").gathers is None
    assert flow.answer(State(Stage.ASK_ID, 1, 2), "").gathers is None


@pytest.mark.parametrize("stage", [Stage.CHECKING, Stage.QUEUED, Stage.ENDED])
def test_no_answer_is_taken_where_no_question_was_asked(stage: Stage) -> None:
    with pytest.raises(ValueError, match="no question"):
        flow.answer(State(stage), ID)


@pytest.mark.parametrize(
    ("position", "heard"),
    [
        (1, "You are next in the queue."),
        (4, "You are number 4 in the queue."),
    ],
)
def test_waiting_announces_the_position(position: int, heard: str) -> None:
    step = flow.waiting(position)
    assert step.say[0] == heard
    assert step.pause_seconds > 0 and step.gathers is None


# A first call: the activation code keyed where the PIN goes, then a PIN chosen twice.
ACTIVATION, CHOSEN = "1234123412341234", "804215"
activating_code = State(Stage.ASK_CODE, is_activating=True)
choose = State(Stage.ASK_NEW_PIN, is_activating=True)
confirm = State(Stage.CONFIRM_PIN, is_activating=True)
setting = State(Stage.SETTING_PIN, is_activating=True)


@pytest.mark.parametrize(
    ("state", "digits", "next_state", "heard", "accepted"),
    [
        (ask_pin, ACTIVATION, activating_code, (flow.QUESTION[Field.CODE],), Field.ACTIVATION),
        # 13 to 15 digits are neither a PIN nor a code: the PIN's hint, nothing more.
        (
            ask_pin,
            ACTIVATION[:15],
            State(Stage.ASK_PIN, 1, 1),
            (flow.HINT[Field.PIN], flow.QUESTION[Field.PIN]),
            None,
        ),
        (activating_code, CODE, State(Stage.CHECKING, is_activating=True), (), Field.CODE),
        (choose, CHOSEN, confirm, (flow.QUESTION[Field.CONFIRM_PIN],), Field.NEW_PIN),
        (
            choose,
            "123456",
            State(Stage.ASK_NEW_PIN, 1, 1, True),
            (flow.TOO_EASY, flow.QUESTION[Field.NEW_PIN]),
            None,
        ),
        (
            choose,
            "000000",
            State(Stage.ASK_NEW_PIN, 1, 1, True),
            (flow.TOO_EASY, flow.QUESTION[Field.NEW_PIN]),
            None,
        ),
        (
            choose,
            "12345",
            State(Stage.ASK_NEW_PIN, 1, 1, True),
            (flow.HINT[Field.NEW_PIN], flow.QUESTION[Field.NEW_PIN]),
            None,
        ),
        (
            State(Stage.ASK_NEW_PIN, 1, 2, True),
            "111111",
            State(Stage.ENDED, 1, 3, True),
            (flow.PIN_NOT_SET,),
            None,
        ),
        (confirm, CHOSEN, setting, (), Field.CONFIRM_PIN),
        (
            State(Stage.CONFIRM_PIN, 1, 1, True),
            CHOSEN,
            State(Stage.SETTING_PIN, 1, 1, True),
            (),
            Field.CONFIRM_PIN,
        ),
    ],
)
def test_answer_while_activating(
    state: State, digits: str, next_state: State, heard: tuple[str, ...], accepted: Field | None
) -> None:
    step = flow.answer(state, digits)
    assert (step.state, step.say, step.accepted) == (next_state, heard, accepted)


@pytest.mark.parametrize(
    ("outcome", "next_state", "last_words", "is_enqueued", "is_hung_up"),
    [
        (Outcome.VERIFIED, choose, flow.QUESTION[Field.NEW_PIN], False, False),
        (Outcome.INACTIVE, State(Stage.ENDED), flow.NOT_ACTIVE, False, True),
        # A wrong activation code sounds as a wrong PIN does, and starts again from the ID.
        (Outcome.REJECTED, State(Stage.ASK_ID, 2), flow.QUESTION[Field.ID], False, False),
    ],
)
def test_decide_while_activating(
    outcome: Outcome, next_state: State, last_words: str, is_enqueued: bool, is_hung_up: bool
) -> None:
    step = flow.decide(State(Stage.CHECKING, is_activating=True), outcome, "Sam")
    assert step.state == next_state
    assert step.say[-1] == last_words
    assert (step.is_enqueued, step.is_hung_up) == (is_enqueued, is_hung_up)
    if outcome == Outcome.REJECTED:
        assert step.say == flow.decide(State(Stage.CHECKING), outcome).say


@pytest.mark.parametrize(
    ("state", "is_same", "next_state", "heard", "is_enqueued", "is_hung_up"),
    [
        (setting, True, State(Stage.QUEUED), flow.PIN_SET, True, False),
        (setting, False, State(Stage.ASK_NEW_PIN, 1, 1, True), flow.NOT_THE_SAME, False, False),
        (
            State(Stage.SETTING_PIN, 1, 2, True),
            False,
            State(Stage.ENDED, 1, 3, True),
            flow.PIN_NOT_SET,
            False,
            True,
        ),
    ],
)
def test_chosen(
    state: State,
    is_same: bool,
    next_state: State,
    heard: str,
    is_enqueued: bool,
    is_hung_up: bool,
) -> None:
    step = flow.chosen(state, is_same)
    assert step.state == next_state
    assert step.say[0] == heard
    assert (step.is_enqueued, step.is_hung_up) == (is_enqueued, is_hung_up)


def test_nothing_is_chosen_outside_setting_a_pin() -> None:
    with pytest.raises(ValueError, match="no PIN is being set"):
        flow.chosen(State(Stage.ASK_ID), True)
