"""Staff passwords: argon2id hashes with argon2-cffi's default costs, checked in constant shape."""

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12

# Deliberately not the PIN hasher: a password is typed at a desk, not keyed on a phone, and can
# afford argon2-cffi's own (RFC 9106 low-memory) costs rather than the IVR's tuned ones.
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified in place of a real hash for an unknown username, so it takes as long.
    return _hasher.hash(secrets.token_hex(16))


def password_problem(password: str, username: str) -> str | None:
    """Why a password may not be chosen, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if password.strip().casefold() == username.strip().casefold():
        return "a password must not be the username"
    return None


def hash_password(password: str) -> str:
    """The argon2id hash to store for a password."""
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; with none, a dummy is checked so it takes as long."""
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other costs than today's."""
    return _hasher.check_needs_rehash(password_hash)
