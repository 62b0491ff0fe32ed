"""Issuing and managing practitioners' access to the desk."""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Select, bindparam, exists, select

from desk.core import authorities
from desk.core.credentials import totp
from desk.core.extensions import db
from desk.core.phones import to_e164
from verification import pins
from verification.models import AccessStatus, Practitioner, PractitionerPhone

ID_SHAPE = re.compile(r"\d{8}")


@dataclass(frozen=True)
class NewPractitioner:
    """Who to register. Without a PIN they have none until they choose one by keypad with an
    activation code (verification/activation.py); without a token secret one is made."""

    practitioner_id: str
    name: str
    organisation: str
    role: str
    local_authority: str
    phones: tuple[str, ...]
    vetted_on: date
    trained_on: date | None
    pin: str | None = None
    totp_secret: str | None = None


@dataclass(frozen=True)
class Issued:
    """A registered practitioner and the token secret to hand them, shown once if made here."""

    practitioner: Practitioner
    totp_secret: str
    is_secret_generated: bool


def register(new: NewPractitioner) -> Issued:
    """Add a practitioner with a hashed PIN and sealed token secret; ValueError says why not."""
    if not ID_SHAPE.fullmatch(new.practitioner_id):
        raise ValueError("a practitioner ID has exactly 8 digits")
    if db.session.get(Practitioner, new.practitioner_id) is not None:
        raise ValueError(f"practitioner {new.practitioner_id} already exists")
    if new.pin is not None and not pins.is_pin_shaped(new.pin):
        raise ValueError("a PIN has 6 to 12 digits")
    if new.pin is not None and pins.is_guessable(new.pin):
        raise ValueError("that PIN is too easy to guess (a repeated digit or a run)")
    if new.totp_secret is not None and not totp.is_secret(new.totp_secret):
        raise ValueError("the token secret must be base32, at least 16 characters")
    if not new.name.strip():
        raise ValueError("a name is required")
    authority = authorities.code_for(new.local_authority)
    if authority is None:
        raise ValueError(
            f"{new.local_authority.strip()!r} is not an English upper-tier local authority: give "
            "its ONS code (e.g. E08000005) or its name (e.g. Rochdale)"
        )
    numbers = normalised_phones(new.phones)
    secret = new.totp_secret or totp.new_secret()
    practitioner = Practitioner(
        id=new.practitioner_id,
        name=new.name.strip(),
        organisation=new.organisation.strip(),
        role=new.role.strip(),
        local_authority=authority,
        pin_hash=pins.hash_pin(new.pin) if new.pin is not None else None,
        totp_secret_encrypted=totp.seal(secret),
        status=AccessStatus.ACTIVE,
        vetted_on=new.vetted_on,
        trained_on=new.trained_on,
        failed_attempts=0,
        phones=[PractitionerPhone(number=n) for n in numbers],
    )
    db.session.add(practitioner)
    db.session.flush()
    return Issued(practitioner, secret, new.totp_secret is None)


def normalised_phones(raw: Iterable[str]) -> list[str]:
    """Registered numbers in E.164, without repeats; ValueError names one that is not a number."""
    numbers: list[str] = []
    for value in raw:
        number = to_e164(value)
        if number not in numbers:
            numbers.append(number)
    return numbers


def get(practitioner_id: str) -> Practitioner:
    """The practitioner with this ID; LookupError when there is none."""
    practitioner = db.session.get(Practitioner, practitioner_id)
    if practitioner is None:
        raise LookupError(f"no practitioner {practitioner_id}")
    return practitioner


def is_registered(practitioner_id: str, number: str | None) -> bool:
    """Whether the practitioner is registered to call from this number (None: withheld, never)."""
    return bool(
        db.session.execute(
            _registered(), {"practitioner_id": practitioner_id, "number": number}
        ).scalar()
    )


@cache
def _registered() -> Select[bool]:
    """`is_registered`'s statement, built once: its values are all bound."""
    phones = PractitionerPhone
    return select(
        exists().where(
            phones.practitioner_id
            == bindparam("practitioner_id", type_=phones.practitioner_id.type),
            phones.number == bindparam("number", type_=phones.number.type),
        )
    )


def all_practitioners() -> list[Practitioner]:
    """Every practitioner, by ID."""
    return list(db.session.scalars(select(Practitioner).order_by(Practitioner.id)))


def pin_costs() -> Counter[str]:
    """How many PINs are kept at each argon2 cost."""
    hashes = db.session.scalars(
        select(Practitioner.pin_hash)
        .where(Practitioner.pin_hash.is_not(None))
        .execution_options(yield_per=10_000)
    )
    return Counter(pins.cost_of(pin_hash) for pin_hash in hashes if pin_hash is not None)


def find(text: str, limit: int = 50) -> list[Practitioner]:
    """Practitioners whose ID is `text`, or whose name or organisation contains it, by name."""
    text = " ".join(text.split())
    if not text:
        return []
    if ID_SHAPE.fullmatch(text):
        found = db.session.get(Practitioner, text)
        return [found] if found else []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        db.session.scalars(
            select(Practitioner)
            .where(
                Practitioner.name.ilike(pattern, escape="\\")
                | Practitioner.organisation.ilike(pattern, escape="\\")
            )
            .order_by(Practitioner.name, Practitioner.id)
            .limit(limit)
        )
    )
