"""The call flow under any keys at all: it never raises unless documented and never runs away."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr import flow
from ivr.flow import Stage, State, Step
from verification.checks import Outcome
from verification.lockout import ATTEMPTS_PER_CALL

# What a keypad can send, and what a forged or broken request might: letters, symbols, anything.
KEYPAD = "0123456789*#"
keys = st.one_of(
    st.text(alphabet=KEYPAD, max_size=20),
    st.text(alphabet=KEYPAD + "ABCDabcd", max_size=20),
    st.text(max_size=40),
    st.text(alphabet=KEYPAD, min_size=200, max_size=2000),
    st.sampled_from(["", "40000001", "739182", "123456", "#", "*", "40000001#"]),
)
FINISHED = {Stage.ENDED, Stage.QUEUED}


def check(step: Step) -> None:
    state = step.state
    assert state.stage in set(Stage)
    assert 1 <= state.attempt <= ATTEMPTS_PER_CALL
    assert state.retries < flow.RETRIES_PER_QUESTION or state.stage == Stage.ENDED
    # A step either waits for keys, or ends the call, or queues it: never two, never none.
    assert [step.gathers is not None, step.is_hung_up, step.is_enqueued].count(True) <= 1


@settings(max_examples=200, deadline=None)
@given(data=st.data(), is_open=st.booleans(), is_withheld=st.booleans())
def test_any_sequence_of_keys_and_outcomes_stays_in_bounds(
    data: st.DataObject, is_open: bool, is_withheld: bool
) -> None:
    step = flow.start(is_open, is_withheld)
    check(step)
    for _ in range(40):
        state = step.state
        if state.stage in FINISHED:
            break
        if state.stage == Stage.CHECKING:
            step = flow.decide(state, data.draw(st.sampled_from(Outcome)), "Sam")
        else:
            digits = data.draw(keys)
            step = flow.answer(state, digits)
            if len(digits) >= 4:
                # Nothing keyed is ever said back (the flow's texts hold no 4-digit run).
                assert digits not in " ".join(step.say)
            if step.accepted is not None:
                assert flow.SHAPE[step.accepted].fullmatch(digits)
        check(step)
    else:
        raise AssertionError(f"the call did not end in 40 turns: {step.state}")


@settings(max_examples=100, deadline=None)
@given(digits=keys, attempt=st.integers(1, ATTEMPTS_PER_CALL))
def test_only_the_documented_calls_raise(digits: str, attempt: int) -> None:
    for stage in (Stage.CHECKING, Stage.QUEUED, Stage.ENDED):
        try:
            flow.answer(State(stage, attempt), digits)
        except ValueError:
            pass
        else:
            raise AssertionError(f"answer() at {stage} should refuse: no question is asked")
    for stage in (Stage.ASK_ID, Stage.ASK_PIN, Stage.ASK_CODE):
        check(flow.answer(State(stage, attempt), digits))
        try:
            flow.decide(State(stage, attempt), Outcome.VERIFIED)
        except ValueError:
            pass
        else:
            raise AssertionError(f"decide() at {stage} should refuse: nothing to decide")


@settings(max_examples=100, deadline=None)
@given(outcomes=st.lists(st.sampled_from([Outcome.REJECTED]), min_size=1, max_size=10))
def test_rejections_never_give_a_fourth_attempt(outcomes: list[Outcome]) -> None:
    state = State(Stage.CHECKING)
    for outcome in outcomes:
        step = flow.decide(state, outcome)
        check(step)
        if step.is_hung_up:
            assert state.attempt == ATTEMPTS_PER_CALL
            return
        state = State(Stage.CHECKING, step.state.attempt)
    assert len(outcomes) < ATTEMPTS_PER_CALL
