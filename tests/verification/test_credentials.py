"""PINs, token codes and phone numbers, checked one by one."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask

from desk.core.credentials import totp
from desk.core.phones import caller_number, to_e164
from verification import pins

SECRET = pyotp.random_base32()
NOW = datetime(2026, 11, 25, 9, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pin", "is_guessable"),
    [
        ("000000", True),
        ("123456", True),
        ("987654", True),
        ("890123", True),
        ("739182", False),
        ("112233", False),
        ("135790", False),
    ],
)
def test_trivial_pins_are_recognised(pin: str, is_guessable: bool) -> None:
    assert pins.is_guessable(pin) is is_guessable


def test_issued_pins_are_six_random_digits_never_trivial(ctx: Flask) -> None:
    issued = {pins.generate_pin() for _ in range(200)}
    assert all(len(p) == 6 and p.isdigit() and not pins.is_guessable(p) for p in issued)
    assert len(issued) > 190


def test_a_pin_is_stored_only_as_an_argon2id_hash(ctx: Flask) -> None:
    stored = pins.hash_pin("739182")
    assert stored.startswith("$argon2id$") and "739182" not in stored
    assert pins.check_pin(stored, "739182")
    assert not pins.check_pin(stored, "739183")


def test_an_unknown_id_is_checked_against_a_dummy_hash_of_the_same_cost(ctx: Flask) -> None:
    # Same algorithm and costs as a real hash, so an unknown ID takes as long as a known one.
    real = pins.hash_pin("739182")
    assert pins.hasher().dummy.split("$")[1:4] == real.split("$")[1:4]
    assert not pins.hasher().needs_rehash(pins.hasher().dummy)
    assert not pins.check_pin(None, "739182")


def test_a_malformed_stored_hash_fails_closed(ctx: Flask) -> None:
    assert not pins.check_pin("not-a-hash", "739182")


@pytest.mark.parametrize(
    ("offset_seconds", "is_accepted"),
    [(0, True), (-30, True), (30, True), (-60, False), (60, False), (-3600, False)],
)
def test_a_code_is_accepted_within_one_step_of_clock_drift(
    offset_seconds: int, is_accepted: bool
) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=offset_seconds))
    assert (totp.matching_step(SECRET, code, NOW, after=None) is not None) is is_accepted


def test_a_code_at_or_before_the_last_spent_step_is_refused() -> None:
    code = pyotp.TOTP(SECRET).at(NOW)
    step = totp.matching_step(SECRET, code, NOW, after=None)
    assert step is not None
    assert totp.matching_step(SECRET, code, NOW, after=step) is None
    later = pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=30))
    assert totp.matching_step(SECRET, later, NOW, after=step) == step + 1


def test_token_secrets_are_sealed_with_the_desk_key(ctx: Flask) -> None:
    sealed = totp.seal(SECRET)
    assert SECRET.encode() not in sealed
    assert totp.unseal(sealed) == SECRET


@pytest.mark.parametrize(
    ("secret", "is_usable"),
    [
        ("JBSWY3DPEHPK3PXPJBSWY3DP", True),
        ("JBSWY3DP", False),
        ("not base32!", False),
        ("", False),
    ],
)
def test_only_usable_token_secrets_are_taken(secret: str, is_usable: bool) -> None:
    assert totp.is_secret(secret) is is_usable


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+447700900123", "+447700900123"),
        ("07700 900123", "+447700900123"),
        ("(01706) 555 010", "+441706555010"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "123", "not a number", "+44"])
def test_impossible_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="number"):
        to_e164(raw)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+447700900123", "+447700900123"),
        ("anonymous", None),
        ("+266696687", None),
        ("", None),
        (None, None),
        ("client:operator-7", None),
        ("sip:someone@example.org", None),
    ],
)
def test_the_calling_number_is_none_when_withheld_or_not_a_phone(
    raw: str | None, number: str | None
) -> None:
    assert caller_number(raw) == number
