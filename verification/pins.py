"""PINs: issued by the system, kept only as argon2id hashes, checked in constant shape."""

import itertools
import re
import secrets
from typing import cast

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError
from flask import current_app

from desk.core.credentials.hashing import Hasher

PIN_SHAPE = re.compile(r"\d{6,12}")
ISSUED_LENGTH = 6


def is_pin_shaped(digits: str) -> bool:
    """Whether the digits could be a PIN at all (6 to 12 digits)."""
    return PIN_SHAPE.fullmatch(digits) is not None


def is_guessable(pin: str) -> bool:
    """Whether a PIN is one digit repeated or a run up or down (e.g. 000000, 123456)."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return len(steps) == 1 and steps <= {0, 1, 9}


def generate_pin() -> str:
    """A random PIN of the issued length that is not trivially guessable."""
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(ISSUED_LENGTH))
        if not is_guessable(pin):
            return pin


def hasher() -> Hasher:
    """The app's PIN hasher, with the argon2id costs its configuration names (made once)."""
    state = current_app.extensions.setdefault("desk.pins", {})
    if "hasher" not in state:
        config = current_app.config
        state["hasher"] = Hasher(
            PasswordHasher(
                time_cost=config["DESK_ARGON2_TIME_COST"],
                memory_cost=config["DESK_ARGON2_MEMORY_KIB"],
                parallelism=config["DESK_ARGON2_PARALLELISM"],
            )
        )
    return cast(Hasher, state["hasher"])


def hash_pin(pin: str) -> str:
    """The argon2id hash to store for a PIN."""
    return hasher().hash(pin)


def check_pin(pin_hash: str | None, pin: str) -> bool:
    """Whether the PIN matches the hash; with no hash, a dummy is checked so it takes as long."""
    return hasher().check(pin_hash, pin)


def cost_of(pin_hash: str) -> str:
    """The argon2 cost a hash was made with, as its hash string writes it (m=…,t=…,p=…)."""
    try:
        found = extract_parameters(pin_hash)
    except InvalidHashError:
        return "unreadable"
    return f"m={found.memory_cost},t={found.time_cost},p={found.parallelism}"
