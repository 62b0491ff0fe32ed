"""Activation codes: how a practitioner chooses a PIN that no member of staff ever sees.

An administrator issues a code (shown once, or printed in a letter); on their first call the
practitioner keys it where the PIN goes, then their token code, then chooses a PIN twice.

The code is 16 random digits (53 bits), one-time and expiring, and kept only as an
HMAC-SHA256 under a key derived from the desk's TOTP key. argon2 is for secrets a person
chooses and could be guessed offline from a stolen hash (a 6-digit PIN); a 16-digit random
code has too much entropy to guess offline from its HMAC without the key, so a fast keyed hash
is as safe, and issuing codes to 390,000 practitioners costs microseconds each, not
390,000 argon2 hashes (docs/security.md). Online guessing is what lockout and the throttle stop.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, bindparam, select

from desk.core.extensions import db
from verification.models import Practitioner

CODE_LENGTH = 16
# Domain separation: the key made from DESK_TOTP_KEY for codes is no other key of the desk's.
KEY_PURPOSE = b"desk activation codes v1"


@dataclass(frozen=True)
class Issued:
    """A code just issued: the digits, shown or printed once, and when they stop working."""

    code: str
    expires_at: datetime

    @property
    def grouped(self) -> str:
        """The code in groups of four, as a letter prints it and a person reads it out."""
        return " ".join(self.code[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _key() -> bytes:
    return hmac.new(current_app.config["DESK_TOTP_KEY"].encode(), KEY_PURPOSE, "sha256").digest()


def digest(practitioner_id: str, code: str) -> str:
    """The keyed hash stored for a practitioner's code (bound to their ID)."""
    message = f"{practitioner_id}:{code}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    """Sixteen random digits."""
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def issue(practitioner: Practitioner, now: datetime) -> Issued:
    """Give the practitioner a new code, voiding any earlier code and their PIN (a reset)."""
    code = new_code()
    expires_at = now + timedelta(days=current_app.config["DESK_ACTIVATION_DAYS"])
    practitioner.activation_hash = digest(practitioner.id, code)
    practitioner.activation_expires_at = expires_at
    practitioner.pin_hash = None
    return Issued(code, expires_at)


def is_code_shaped(digits: str) -> bool:
    return len(digits) == CODE_LENGTH and digits.isdigit()


def check(claimed_id: str | None, code: str, now: datetime) -> bool:
    """Whether the code is the claimed practitioner's and unexpired. The same statement and
    the same hashing run whoever is asking, known or not, with a code or without."""
    found = db.session.execute(
        select(Practitioner.activation_hash, Practitioner.activation_expires_at).where(
            Practitioner.id == bindparam("claimed", claimed_id, type_=String())
        )
    ).one_or_none()
    stored, expires_at = found if found else (None, None)
    keyed = digest(claimed_id or "", code)
    is_match = hmac.compare_digest(keyed, stored or "0" * 64)
    return bool(stored is not None and is_match and expires_at is not None and now < expires_at)


def complete(practitioner: Practitioner, pin_hash: str) -> None:
    """Keep the PIN the practitioner chose (its hash) and spend the code."""
    practitioner.pin_hash = pin_hash
    practitioner.activation_hash = None
    practitioner.activation_expires_at = None


def is_awaiting(practitioner: Practitioner, now: datetime) -> bool:
    """Whether the practitioner has an unexpired code to choose a PIN with."""
    expires_at = practitioner.activation_expires_at
    return practitioner.activation_hash is not None and expires_at is not None and now < expires_at
