"""The benchmark's callers: practitioners seeded once, each with a phone number of their own.

Distinct numbers keep the per-number throttle out of the way, and one practitioner per call
keeps each token code fresh (a code is accepted once per practitioner). Seeded rows stay
between runs; `ready` puts them back as new before each run.
"""

import sys
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update

from desk.core.credentials import totp
from desk.core.extensions import db
from verification import pins
from verification.models import AccessStatus, FailedVerification, Practitioner, PractitionerPhone

PIN = "582914"
# Every caller's token shares one secret: a code is spent per practitioner, not per secret.
TOKEN_SECRET = "JBSWY3DPEHPK3PXPBENCHIVR"  # noqa: S105 - a benchmark caller's, not a secret
BATCH = 500


@dataclass(frozen=True)
class Caller:
    """Who places call n: their practitioner ID and the number they call from."""

    practitioner_id: str
    phone: str


def caller(n: int) -> Caller:
    """The n-th caller (n below ten million)."""
    return Caller(practitioner_id=f"6{n:07d}", phone=f"+4478{n:08d}")


def seed(count: int) -> None:
    """Register callers 0 to count-1 that are not registered yet, and commit."""
    wanted = {caller(n).practitioner_id: caller(n) for n in range(count)}
    have = set(db.session.scalars(select(Practitioner.id).where(Practitioner.id.in_(wanted))))
    missing = [c for pid, c in wanted.items() if pid not in have]
    # One hash for them all, made at the configured (production) cost: the PIN step verifies
    # against it at that cost all the same, and hashing each would make seeding take minutes.
    pin_hash, sealed = _pin_hash(), totp.seal(TOKEN_SECRET)
    for start in range(0, len(missing), BATCH):
        db.session.add_all(
            Practitioner(
                id=c.practitioner_id,
                name=f"Bench Caller {c.practitioner_id}",
                organisation="Benchmark Council",
                role="Social worker",
                local_authority="E08000005",  # any listed authority (desk.core.authorities)
                pin_hash=pin_hash,
                totp_secret_encrypted=sealed,
                vetted_on=date.today(),
                trained_on=date.today(),
                phones=[PractitionerPhone(number=c.phone)],
            )
            for c in missing[start : start + BATCH]
        )
        db.session.commit()
        done = min(start + BATCH, len(missing))
        print(f"seeded {done:,} of {len(missing):,} new callers", file=sys.stderr)
    db.session.commit()  # a new hash for the callers seeded before, if their costs changed


def ready() -> None:
    """Put every seeded caller back as new: no code spent, no failure, no lock, vetted today."""
    db.session.execute(
        update(Practitioner)
        .where(Practitioner.id.like("6%"))
        .values(
            totp_last_step=None,
            failed_attempts=0,
            locked_at=None,
            status=AccessStatus.ACTIVE,
            vetted_on=date.today(),
            trained_on=date.today(),
        )
    )
    db.session.execute(
        delete(FailedVerification).where(FailedVerification.caller_number.like("+4478%"))
    )
    db.session.commit()


def _pin_hash() -> str:
    """The PIN's hash: the one seeded before, if its costs are still the configured ones."""
    seeded = db.session.scalar(
        select(Practitioner.pin_hash).where(Practitioner.id == caller(0).practitioner_id)
    )
    if seeded is not None and not pins.hasher().needs_rehash(seeded):
        return seeded
    pin_hash = pins.hash_pin(PIN)
    # Costs changed since seeding: every caller gets the new hash, so the run measures them.
    db.session.execute(
        update(Practitioner).where(Practitioner.id.like("6%")).values(pin_hash=pin_hash)
    )
    return pin_hash
