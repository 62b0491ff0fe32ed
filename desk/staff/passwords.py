"""Staff passwords: argon2id hashes with argon2-cffi's default costs, checked in constant shape."""

from argon2 import PasswordHasher

from desk.core.credentials.hashing import Checked, Hasher

MIN_LENGTH = 12

# Deliberately not the PIN hasher: a password is typed at a desk, not keyed on a phone, and can
# afford argon2-cffi's own (RFC 9106 low-memory) costs rather than the IVR's tuned ones.
_hasher = Hasher(PasswordHasher())


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
    return _hasher.check(password_hash, password)


def verify(password_hash: str | None, password: str) -> Checked:
    """Check a password as `check_password` does, with a hash at today's costs to store in
    place of one made with others (desk.core.credentials.hashing.Hasher.verify)."""
    return _hasher.verify(password_hash, password)
