"""ContactPoint numbers: 10 digits, the last a modulus-11 check digit (the NHS-number algorithm)."""

import random

# The first nine digits are weighted 10, 9, ... 2.
WEIGHTS = range(10, 1, -1)


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no check digit exists (remainder gives 10)."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("a ContactPoint number starts with exactly 9 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid(number: str) -> bool:
    """Whether this is 10 digits whose last is the right check digit."""
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:9]) == int(number[9])


def new_number(rng: random.Random) -> str:
    """A random valid ContactPoint number; the caller makes sure it is not already in use."""
    while True:
        # No leading zero, so the number reads back as ten digits whatever holds it.
        first_nine = str(rng.randint(100_000_000, 999_999_999))
        check = check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"
