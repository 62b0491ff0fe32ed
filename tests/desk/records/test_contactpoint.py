"""ContactPoint numbers: the modulus-11 check digit of the NHS-number algorithm."""

import random

import pytest

from desk.records import contactpoint


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [
        # 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299 = 27*11 + 2; 11 - 2 = 9
        ("943476591", 9),
        # 1*10 + 6*2 = 22, remainder 0: 11 - 0 = 11, written 0
        ("100000006", 0),
        # 330, remainder 0: check 0
        ("987654321", 0),
        # 1*10 + 0 = 10, remainder 10: check 1
        ("100000000", 1),
        # 210 = 19*11 + 1: 11 - 1 = 10, so no number starts with these digits
        ("123456789", None),
        ("100000001", None),
    ],
)
def test_check_digit(first_nine: str, check: int | None) -> None:
    assert contactpoint.check_digit(first_nine) == check


@pytest.mark.parametrize(
    ("number", "is_valid"),
    [
        ("9434765919", True),
        ("1000000060", True),
        ("9876543210", True),
        ("9434765918", False),  # wrong check digit
        ("9434765910", False),
        ("1234567890", False),  # check digit would be 10: never issued
        ("1234567891", False),
        ("943476591", False),  # nine digits
        ("94347659190", False),  # eleven
        ("943476591X", False),
        ("943 476 5919", False),  # the search strips spaces, the number itself has none
        ("", False),
        # Full-width digits are digits to Python's isdigit, not to a ContactPoint number.
        ("".join(chr(0xFF10 + int(d)) for d in "9434765919"), False),
    ],
)
def test_is_valid(number: str, is_valid: bool) -> None:
    assert contactpoint.is_valid(number) is is_valid


def test_check_digit_refuses_anything_but_nine_digits() -> None:
    for bad in ("12345678", "1234567890", "12345678a"):
        with pytest.raises(ValueError, match="9 digits"):
            contactpoint.check_digit(bad)


def test_new_numbers_are_valid_ten_digit_and_repeatable_from_a_seed() -> None:
    numbers = [contactpoint.new_number(random.Random(4)) for _ in range(3)]
    assert len(set(numbers)) == 1
    rng = random.Random(5)
    drawn = [contactpoint.new_number(rng) for _ in range(500)]
    assert all(contactpoint.is_valid(n) and n[0] != "0" for n in drawn)
    assert len(set(drawn)) > 490
