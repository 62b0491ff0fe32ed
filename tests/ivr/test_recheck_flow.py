"""The later checks as a table: the desk's call-back and the keypad re-check, without HTTP."""

import pytest

from ivr import flow
from ivr.flow import Field, Stage, State
from verification.checks import Outcome

PIN, CODE = "739182", "123456"

press = State(Stage.CALL_BACK_PRESS)
cb_pin, cb_code, cb_check = (
    State(Stage.CALL_BACK_PIN),
    State(Stage.CALL_BACK_CODE),
    State(Stage.CALL_BACK_CHECK),
)
rk_pin, rk_code, rk_check = (
    State(Stage.RECHECK_PIN),
    State(Stage.RECHECK_CODE),
    State(Stage.RECHECK_CHECK),
)
ended = State(Stage.ENDED)
rejoined = State(Stage.REJOINED)


def test_the_call_back_says_who_is_calling_and_asks_for_1_before_anything() -> None:
    step = flow.called_back("Sam Field")
    assert step.state == press and step.gathers == Field.PRESS
    assert step.say == (
        "This is the ContactPoint mediated access desk, calling back for Sam Field.",
        "To continue, press 1.",
    )


@pytest.mark.parametrize(
    ("is_pin_asked", "stage", "asked"),
    [
        (True, Stage.RECHECK_PIN, flow.JUST_THE_PIN),
        (False, Stage.RECHECK_CODE, flow.QUESTION[Field.CODE]),
    ],
)
def test_the_keypad_recheck_asks_what_is_configured(
    is_pin_asked: bool, stage: Stage, asked: str
) -> None:
    step = flow.rechecking(is_pin_asked)
    assert step.state == State(stage) and step.say == (flow.KEY_AGAIN, asked)


@pytest.mark.parametrize(
    ("state", "digits", "next_state", "heard", "accepted", "is_hung_up", "is_conferenced"),
    [
        # Press 1, then a PIN (never an activation code), then a code.
        (press, "1", cb_pin, (flow.JUST_THE_PIN,), Field.PRESS, False, False),
        (cb_pin, PIN, cb_code, (flow.QUESTION[Field.CODE],), Field.PIN, False, False),
        (cb_code, CODE, cb_check, (), Field.CODE, False, False),
        # Any other key, or none (a voicemail), is asked again, then the desk hangs up.
        (press, "2", State(Stage.CALL_BACK_PRESS, retries=1),
         (flow.HINT[Field.PRESS], flow.QUESTION[Field.PRESS]), None, False, False),
        (press, "", State(Stage.CALL_BACK_PRESS, retries=1),
         (flow.NOTHING_HEARD, flow.QUESTION[Field.PRESS]), None, False, False),
        (State(Stage.CALL_BACK_PRESS, retries=2), "", State(Stage.ENDED, retries=3),
         (flow.CALL_BACK_GAVE_UP,), None, True, False),
        (cb_pin, "1234567812345678", State(Stage.CALL_BACK_PIN, retries=1),
         (flow.HINT[Field.PIN], flow.JUST_THE_PIN), None, False, False),
        (State(Stage.CALL_BACK_CODE, retries=2), "12", State(Stage.ENDED, retries=3),
         (flow.CALL_BACK_GAVE_UP,), None, True, False),
        # The keypad re-check: a code, and after three unusable entries, back to the operator.
        (rk_pin, PIN, rk_code, (flow.QUESTION[Field.CODE],), Field.PIN, False, False),
        (rk_code, CODE, rk_check, (), Field.CODE, False, False),
        (rk_code, "", State(Stage.RECHECK_CODE, retries=1),
         (flow.NOTHING_HEARD, flow.QUESTION[Field.CODE]), None, False, False),
        (State(Stage.RECHECK_CODE, retries=2), "", rejoined, (flow.RETURNING,), None, False, True),
    ],
)  # fmt: skip
def test_answer(
    state: State,
    digits: str,
    next_state: State,
    heard: tuple[str, ...],
    accepted: Field | None,
    is_hung_up: bool,
    is_conferenced: bool,
) -> None:
    step = flow.answer(state, digits)
    assert (step.state, step.say, step.accepted) == (next_state, heard, accepted)
    assert (step.is_hung_up, step.is_conferenced) == (is_hung_up, is_conferenced)


@pytest.mark.parametrize(
    ("state", "outcome", "next_state", "heard", "is_hung_up", "is_conferenced"),
    [
        (cb_check, Outcome.VERIFIED, rejoined, (flow.CONNECTING,), False, True),
        # A failure sounds as the first verification's does, whatever failed.
        (cb_check, Outcome.REJECTED, State(Stage.CALL_BACK_PIN, 2),
         (flow.TRY_AGAIN, flow.JUST_THE_PIN), False, False),
        (State(Stage.CALL_BACK_CHECK, 3), Outcome.REJECTED, State(Stage.ENDED, 3),
         (flow.NOT_VERIFIED,), True, False),
        (cb_check, Outcome.INACTIVE, ended, (flow.NOT_ACTIVE,), True, False),
        # Re-checked, the caller hears the same whatever the outcome: only the operator is told.
        (rk_check, Outcome.VERIFIED, rejoined, (flow.RETURNING,), False, True),
        (rk_check, Outcome.REJECTED, rejoined, (flow.RETURNING,), False, True),
        (rk_check, Outcome.INACTIVE, rejoined, (flow.RETURNING,), False, True),
    ],
)  # fmt: skip
def test_decide(
    state: State,
    outcome: Outcome,
    next_state: State,
    heard: tuple[str, ...],
    is_hung_up: bool,
    is_conferenced: bool,
) -> None:
    step = flow.decide(state, outcome)
    assert (step.state, step.say, step.is_hung_up, step.is_conferenced) == (
        next_state,
        heard,
        is_hung_up,
        is_conferenced,
    )
    assert step.gathers == (None if is_hung_up or is_conferenced else Field.PIN)


def test_the_call_backs_failures_are_the_ivrs_words() -> None:
    first = flow.decide(State(Stage.CHECKING), Outcome.REJECTED)
    again = flow.decide(cb_check, Outcome.REJECTED)
    assert first.say[0] == again.say[0] == flow.TRY_AGAIN
    last = flow.decide(State(Stage.CHECKING, 3), Outcome.REJECTED)
    assert last.say == flow.decide(State(Stage.CALL_BACK_CHECK, 3), Outcome.REJECTED).say


@pytest.mark.parametrize("stage", [Stage.REJOINED, Stage.CALL_BACK_CHECK, Stage.RECHECK_CHECK])
def test_no_answer_is_taken_where_no_question_was_asked(stage: Stage) -> None:
    with pytest.raises(ValueError, match="no question"):
        flow.answer(State(stage), CODE)
