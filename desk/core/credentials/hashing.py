"""Secrets kept only as argon2id hashes, checked in constant shape, rehashed when costs change."""

import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Hasher:
    """argon2id with one set of costs, and a dummy hash of the same costs for unknown accounts."""

    def __init__(self, argon2: PasswordHasher) -> None:
        self.argon2 = argon2

    @cached_property
    def dummy(self) -> str:
        # Verified in place of a real hash when the account is unknown, so it takes as long.
        return self.argon2.hash(secrets.token_hex(16))

    def hash(self, secret: str) -> str:
        """The hash to store for a secret."""
        return self.argon2.hash(secret)

    def check(self, stored: str | None, secret: str) -> bool:
        """Whether the secret matches the hash; with none, a dummy is checked, taking as long."""
        try:
            matched = self.argon2.verify(stored or self.dummy, secret)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """Whether a stored hash was made with other costs than these."""
        return self.argon2.check_needs_rehash(stored)
