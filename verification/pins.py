"""PINs: issued by the system, kept only as argon2id hashes, checked in constant shape."""

import itertools
import re
import secrets

from argon2 import extract_parameters
from argon2.exceptions import InvalidHashError
from flask import current_app

from desk.core.credentials import hashing_process
from desk.core.credentials.hashing_process import Costs, HashingProcess

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


def costs() -> Costs:
    """The argon2id costs the app's configuration names for PINs."""
    config = current_app.config
    return Costs(
        time_cost=config["DESK_ARGON2_TIME_COST"],
        memory_kib=config["DESK_ARGON2_MEMORY_KIB"],
        parallelism=config["DESK_ARGON2_PARALLELISM"],
    )


def hasher() -> HashingProcess:
    """The PIN hasher at the app's costs. Its argon2 work runs in this process's hashing
    process, at low priority, out of the web worker's way (desk.core.credentials's
    hashing_process)."""
    return hashing_process.shared(costs())


def today_cost() -> str:
    """Today's argon2 cost of a PIN, written as a hash string writes it (m=…,t=…,p=…)."""
    found = costs()
    return f"m={found.memory_kib},t={found.time_cost},p={found.parallelism}"


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
