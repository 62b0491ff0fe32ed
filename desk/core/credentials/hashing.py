"""Secrets kept only as argon2id hashes, checked in constant shape, rehashed when costs change."""

import secrets
from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Checked:
    """What checking a secret found: whether it matched, and a hash of it at today's costs."""

    is_match: bool
    # Made whenever the hash checked was made with other costs, whether or not the secret
    # matched, so that a right secret takes no longer than a wrong one; stored only on a match.
    fresh: str | None = None

    @property
    def rehashed(self) -> str | None:
        """The hash to store in place of the old one, if the secret matched one made with
        other costs."""
        return self.fresh if self.is_match else None


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

    def verify(self, stored: str | None, secret: str) -> Checked:
        """Check the secret against the hash (with none, against the dummy, taking as long),
        and hash it afresh if the hash checked was made with other costs than these."""
        against = stored or self.dummy
        matched: bool
        try:
            matched = self.argon2.verify(against, secret)
        except (VerificationError, InvalidHashError):
            matched = False
        fresh = self.hash(secret) if self.needs_rehash(against) else None
        return Checked(matched and stored is not None, fresh)

    def check(self, stored: str | None, secret: str) -> bool:
        """Whether the secret matches the hash; with none, a dummy is checked, taking as long."""
        return self.verify(stored, secret).is_match

    def needs_rehash(self, stored: str) -> bool:
        """Whether a stored hash was made with other costs than these (never, if unreadable)."""
        try:
            return self.argon2.check_needs_rehash(stored)
        except InvalidHashError:
            return False
