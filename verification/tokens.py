"""Hardware tokens: seeds imported from vendors' PSKC files, assigned by serial, resynchronised,
lost or retired; and soft tokens, whose secret is shown once as an otpauth:// URI and QR code.

A practitioner's working secret is always the sealed `totp_secret_encrypted` the keypad check
reads (verification/checks.py): assigning a token copies its sealed seed there. A practitioner
without a working token (lost, retired, none given yet) has a random sealed secret nobody holds
and `has_token` false, so the code step fails for them as it does for a wrong code.
"""

import base64
import hmac
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

import pyotp
from pskc import PSKC
from pskc.exceptions import PSKCError
from sqlalchemy import select

from desk.core.audit.actors import Actor
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.credentials import totp
from desk.core.extensions import db
from desk.core.types import utcnow
from verification.models import HardwareToken, Practitioner, TokenStatus

TOTP_ALGORITHM = "urn:ietf:params:xml:ns:keyprov:pskc:totp"
# The keypad asks for 6 digits of a 30-second TOTP with HMAC-SHA1 (RFC 6238's default), as
# pyotp computes and every token the desk issues shows.
DIGITS, PERIOD = 6, 30
# How far a drifted token's clock may be found, either way: a day of 30-second steps.
RESYNC_WINDOW_STEPS = 2880
SERIAL_LENGTH = 64


@dataclass
class ImportReport:
    """What a PSKC file held: tokens new to the desk, ones it had already, and the problems
    that stopped the import (nothing is imported while there is one)."""

    added: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_pskc(source: str | IO[bytes], key: bytes | None) -> PSKC:
    """The container, decrypting with the pre-shared key when given; ValueError if unreadable."""
    try:
        container = PSKC(source)
    except (PSKCError, OSError) as error:
        raise ValueError(f"not a readable PSKC file: {error}") from error
    if key is not None:
        container.encryption.key = key
    return container


def import_pskc(source: str | IO[bytes], key: bytes | None, *, by: Actor) -> ImportReport:
    """Import every TOTP token of a PSKC file, or none: each problem is named by serial."""
    report = ImportReport()
    container = read_pskc(source, key)
    seeds: dict[str, str] = {}
    serials = Counter(str(k.serial or "") for k in container.keys)
    for number, pskc_key in enumerate(container.keys, start=1):
        serial = str(pskc_key.serial or "").strip()
        where = f"token {number} ({serial or 'no serial'})"
        problem = _problem(pskc_key, serial, serials[serial])
        secret: bytes | None = None
        if problem is None:
            try:
                secret = pskc_key.secret
            except PSKCError as error:
                problem = f"its secret cannot be read ({error}); is the pre-shared key right?"
        if problem is None and not secret:
            problem = "it has no secret"
        if problem is not None or secret is None:
            report.problems.append(f"{where}: {problem}")
            continue
        seeds[serial] = base64.b32encode(secret).decode().rstrip("=")
    if not container.keys:
        report.problems.append("the file holds no tokens")
    if report.problems:
        return report
    existing = set(
        db.session.scalars(select(HardwareToken.serial).where(HardwareToken.serial.in_(seeds)))
    )
    for serial, seed in seeds.items():
        if serial in existing:
            report.known.append(serial)
            continue
        db.session.add(HardwareToken(serial=serial, secret_encrypted=totp.seal(seed)))
        report.added.append(serial)
    record(
        Event.TOKENS_IMPORTED,
        **by.columns(),
        data={"added": len(report.added), "already_known": len(report.known), **by.data()},
    )
    return report


def _problem(pskc_key: object, serial: str, times: int) -> str | None:
    """Why a key of the file cannot be imported, if it cannot."""
    algorithm = getattr(pskc_key, "algorithm", None)
    suite = (getattr(pskc_key, "algorithm_suite", None) or "HMAC-SHA1").upper()
    if not serial:
        return "it has no serial number"
    if len(serial) > SERIAL_LENGTH:
        return f"its serial is longer than {SERIAL_LENGTH} characters"
    if times > 1:
        return "its serial appears more than once in the file"
    if algorithm != TOTP_ALGORITHM:
        return f"it is not a TOTP token ({algorithm})"
    if suite not in {"HMAC-SHA1", "SHA1"}:
        return f"its hash is {suite}; the desk takes HMAC-SHA1 tokens"
    if (getattr(pskc_key, "response_length", None) or DIGITS) != DIGITS:
        return f"it shows {pskc_key.response_length} digits; the keypad takes {DIGITS}"  # type: ignore[attr-defined]
    if (getattr(pskc_key, "time_interval", None) or PERIOD) != PERIOD:
        return f"its codes last {pskc_key.time_interval} s; the desk takes {PERIOD} s"  # type: ignore[attr-defined]
    return None


def get(serial: str) -> HardwareToken:
    """The token with this serial; LookupError when there is none."""
    token = db.session.get(HardwareToken, serial.strip())
    if token is None:
        raise LookupError(f"no token with the serial {serial.strip()}")
    return token


def assigned_to(practitioner: Practitioner) -> HardwareToken | None:
    """The hardware token the practitioner holds now, if any."""
    return db.session.scalar(
        select(HardwareToken).where(
            HardwareToken.practitioner_id == practitioner.id,
            HardwareToken.status == TokenStatus.ASSIGNED,
        )
    )


def _audit(kind: Event, practitioner: Practitioner, by: Actor, **data: object) -> None:
    record(kind, practitioner_id=practitioner.id, **by.columns(), data={**data, **by.data()})


def _give(practitioner: Practitioner, sealed: bytes) -> None:
    practitioner.totp_secret_encrypted = sealed
    practitioner.totp_last_step = None
    practitioner.totp_drift = 0
    practitioner.has_token = True


def _take_away(practitioner: Practitioner) -> None:
    # A random secret nobody holds, sealed: the code step runs as for anyone, and never matches.
    practitioner.totp_secret_encrypted = totp.seal(totp.new_secret())
    practitioner.totp_last_step = None
    practitioner.totp_drift = 0
    practitioner.has_token = False


def _end(token: HardwareToken, status: TokenStatus, now: datetime) -> None:
    token.status, token.changed_at = status, now


def assign(serial: str, practitioner: Practitioner, *, by: Actor) -> HardwareToken:
    """Give the practitioner the token with this serial, retiring the one they held; LookupError
    if there is none, ValueError if it is not in stock."""
    token = get(serial)
    if token.status != TokenStatus.IN_STOCK:
        raise ValueError(f"token {token.serial} is {token.status.value.replace('_', ' ')}")
    now = utcnow()
    held = assigned_to(practitioner)
    if held is not None:
        _end(held, TokenStatus.RETIRED, now)
        db.session.flush()  # before the new one takes its place in the one-assigned index
    token.status, token.practitioner_id, token.changed_at = (
        TokenStatus.ASSIGNED,
        practitioner.id,
        now,
    )
    _give(practitioner, token.secret_encrypted)
    _audit(
        Event.TOKEN_ASSIGNED,
        practitioner,
        by,
        serial=token.serial,
        replaced=held.serial if held else None,
    )
    return token


def mark_lost(practitioner: Practitioner, *, by: Actor) -> str | None:
    """The practitioner's token is lost: refused at the code step until another is assigned.
    The serial of the hardware token lost, or None for a soft token."""
    token = assigned_to(practitioner)
    if token is not None:
        _end(token, TokenStatus.LOST, utcnow())
    _take_away(practitioner)
    _audit(Event.TOKEN_LOST, practitioner, by, serial=token.serial if token else None)
    return token.serial if token else None


def retire(practitioner: Practitioner, *, by: Actor) -> str | None:
    """Take the practitioner's token back (it leaves with them, or is broken): refused as for a
    lost one until another is assigned."""
    token = assigned_to(practitioner)
    if token is not None:
        _end(token, TokenStatus.RETIRED, utcnow())
    _take_away(practitioner)
    _audit(Event.TOKEN_RETIRED, practitioner, by, serial=token.serial if token else None)
    return token.serial if token else None


def issue_soft(practitioner: Practitioner, *, by: Actor) -> str:
    """A new soft-token secret for the practitioner, replacing any token: returned to be shown
    once (as its otpauth:// URI and QR code), and kept only sealed."""
    token = assigned_to(practitioner)
    if token is not None:
        _end(token, TokenStatus.RETIRED, utcnow())
    secret = totp.new_secret()
    _give(practitioner, totp.seal(secret))
    _audit(Event.SOFT_TOKEN_ISSUED, practitioner, by, replaced=token.serial if token else None)
    return secret


def resync(practitioner: Practitioner, first: str, second: str, now: datetime, *, by: Actor) -> int:
    """Find a drifted token's clock from two consecutive codes it shows, within a day either
    way, and remember the drift; the steps used are spent. ValueError if no two match."""
    if not (first.isdigit() and second.isdigit() and len(first) == len(second) == DIGITS):
        raise ValueError(f"give two consecutive {DIGITS}-digit codes from the token")
    if not practitioner.has_token:
        raise ValueError("the practitioner has no token to resynchronise")
    otp = pyotp.TOTP(totp.unseal(practitioner.totp_secret_encrypted))
    now_step = otp.timecode(now)
    found = None
    for offset in sorted(range(-RESYNC_WINDOW_STEPS, RESYNC_WINDOW_STEPS + 1), key=abs):
        step = now_step + offset
        if hmac.compare_digest(otp.generate_otp(step), first) and hmac.compare_digest(
            otp.generate_otp(step + 1), second
        ):
            found = step + 1
            break
    if found is None:
        raise ValueError("those two codes are not consecutive codes of this token in the last day")
    if practitioner.totp_last_step is not None and found <= practitioner.totp_last_step:
        raise ValueError("those codes were used already; give the next two the token shows")
    before = practitioner.totp_drift
    practitioner.totp_drift = found - now_step
    practitioner.totp_last_step = found
    _audit(Event.TOKEN_RESYNCED, practitioner, by, drift_steps=practitioner.totp_drift, was=before)
    return practitioner.totp_drift
