"""Guessing PINs by phone: lockout and throttling stop a guesser long before 100 attempts."""

import itertools
import random
from collections.abc import Iterator

from flask import Flask

from desk.core.credentials.accounts import LOCK_AFTER_FAILURES
from desk.dev.simulator import Phone, Twilio
from tests.factories import PIN, current_code
from tests.ivr.test_verification_by_phone import failure_reasons
from tests.stored import stored_practitioner

GUESSES = 100


def guesses(seed: int) -> Iterator[str]:
    """Six-digit PINs a guesser might try, never the right one."""
    rng = random.Random(seed)
    while True:
        pin = f"{rng.randrange(10**6):06d}"
        if pin != PIN:
            yield pin


class Guesser:
    """Places calls from the given numbers in turn, three attempts each, and keys guesses."""

    def __init__(self, twilio: Twilio, numbers: Iterator[str]) -> None:
        self.twilio, self.numbers = twilio, numbers
        self.phone: Phone | None = None
        self.attempts = 0

    def attempt(self, practitioner_id: str, pin: str) -> Phone:
        if self.phone is None or self.phone.is_hung_up:
            self.phone = self.twilio.call(next(self.numbers))
            self.phone.dial()
        self.phone.verify(practitioner_id, pin, current_code())
        self.attempts += 1
        return self.phone


def test_one_number_is_throttled_at_its_eleventh_attempt_and_the_account_locks_at_its_fifth(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    assert app.config["DESK_THROTTLE_FAILURES"] == 10
    guesser = Guesser(twilio, itertools.repeat("+447700900666"))
    locked_at = throttled_at = None
    for attempt, pin in zip(range(1, GUESSES + 1), guesses(1), strict=False):
        guesser.attempt(sam, pin)
        if locked_at is None and stored_practitioner(app, sam).is_locked:
            locked_at = attempt
        if throttled_at is None and "caller_throttled" in failure_reasons(app)[-1]:
            throttled_at = attempt
        if locked_at and throttled_at:
            break
    assert locked_at == LOCK_AFTER_FAILURES == 5
    assert throttled_at == 11  # ten failures in the window; the eleventh is refused unheard
    assert len(failure_reasons(app)) == throttled_at


def test_guessing_from_a_new_number_every_call_still_locks_the_account_at_its_fifth_failure(
    app: Flask, sam: str, twilio: Twilio
) -> None:
    numbers = (f"+4477009{n:05d}" for n in itertools.count(1000))
    guesser = Guesser(twilio, numbers)
    states = []
    for pin in itertools.islice(guesses(2), GUESSES):
        guesser.attempt(sam, pin)
        states.append(stored_practitioner(app, sam).is_locked)
    assert states.index(True) + 1 == LOCK_AFTER_FAILURES
    assert all(states[LOCK_AFTER_FAILURES - 1 :])  # no later attempt unlocks it
    # No number failed often enough to be throttled: the account's lock is what held.
    assert not any("caller_throttled" in reasons for reasons in failure_reasons(app))
    assert guesser.attempts == GUESSES

    # After 100 guesses the right PIN and code, from a fresh number, are refused all the same.
    phone = twilio.call("+447700900123")
    phone.dial()
    phone.verify(sam, PIN, current_code())
    assert phone.enqueue is None
    assert "locked" in failure_reasons(app)[-1]
