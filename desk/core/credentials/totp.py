"""Hardware tokens: TOTP secrets sealed at rest, codes accepted once."""

import hmac
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet
from flask import current_app

# One step either side of now absorbs a token's clock drift (RFC 6238, section 5.2).
DRIFT_STEPS = 1
# Checked in place of a real secret when the ID is unknown, so the step takes as long.
DUMMY = pyotp.random_base32()


def _fernet() -> Fernet:
    return Fernet(current_app.config["DESK_TOTP_KEY"])


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def is_secret(value: str) -> bool:
    """Whether a value is a usable base32 TOTP secret (at least 128 bits)."""
    try:
        return len(pyotp.TOTP(value).byte_secret()) >= 10
    except ValueError:
        return False


def seal(secret: str) -> bytes:
    """The secret encrypted with the desk's TOTP key, for storage."""
    return _fernet().encrypt(secret.encode())


def unseal(sealed: bytes) -> str:
    """The stored secret, decrypted."""
    return _fernet().decrypt(sealed).decode()


def secret_of(sealed: bytes | None) -> str:
    """An account's secret, unsealed; with no account, the dummy, unsealed just the same so that
    the step takes as long."""
    if sealed is None:
        # Sealed once per key: a key changed in configuration seals a dummy of its own.
        dummies = current_app.extensions.setdefault("desk.totp_dummies", {})
        key = current_app.config["DESK_TOTP_KEY"]
        sealed = dummies.get(key) or dummies.setdefault(key, seal(DUMMY))
    return unseal(sealed)


def provisioning_uri(secret: str, practitioner_id: str) -> str:
    """The otpauth:// URI that loads the secret into a soft token or a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=practitioner_id, issuer_name="ContactPoint desk"
    )


def matching_step(
    secret: str, code: str, at: datetime, after: int | None, drift: int = 0
) -> int | None:
    """The time-step the code belongs to, if it is valid now and later than step `after`;
    `drift` steps is how far the token's clock is known to run ahead (or, negative, behind)."""
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at) + drift
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        is_match = hmac.compare_digest(totp.generate_otp(step), code)
        if is_match and (after is None or step > after) and found is None:
            found = step
    return found
