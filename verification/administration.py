"""What an administrator does to a practitioner's access, each audited with them as the actor.

The web's administration pages and `flask practitioners …` both call these, so a change is
recorded the same way whichever was used. Each flushes; the caller commits.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from desk.core.audit.actors import Actor
from desk.core.audit.events import Event
from desk.core.audit.service import record
from desk.core.credentials import accounts
from verification import activation
from verification.models import AccessStatus, Practitioner, PractitionerPhone
from verification.registry import normalised_phones

LONGEST_REASON = 500


def _audit(kind: Event, practitioner: Practitioner, by: Actor, **data: Any) -> None:
    record(kind, practitioner_id=practitioner.id, **by.columns(), data={**data, **by.data()})


def _reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise ValueError("give the reason for this change")
    if len(cleaned) > LONGEST_REASON:
        raise ValueError(f"a reason has at most {LONGEST_REASON} characters")
    return cleaned


def unlock(practitioner: Practitioner, reason: str, *, by: Actor) -> None:
    """Let a locked-out practitioner try again; ValueError without a reason."""
    why = _reason(reason)
    failures = practitioner.failed_attempts
    accounts.unlock(practitioner)
    _audit(Event.PRACTITIONER_UNLOCKED, practitioner, by, reason=why, failures=failures)


def suspend(practitioner: Practitioner, reason: str, *, by: Actor) -> None:
    """Stop a practitioner's access; they are told it is not active if they call."""
    why = _reason(reason)
    practitioner.status = AccessStatus.SUSPENDED
    _audit(Event.PRACTITIONER_SUSPENDED, practitioner, by, reason=why)


def reactivate(practitioner: Practitioner, *, by: Actor) -> None:
    """Restore a suspended practitioner's access."""
    practitioner.status = AccessStatus.ACTIVE
    _audit(Event.PRACTITIONER_REACTIVATED, practitioner, by)


def issue_activation(
    practitioner: Practitioner, now: datetime, *, by: Actor, delivery: str
) -> activation.Issued:
    """A new one-time activation code, voiding any earlier one and the PIN (a PIN reset).
    `delivery` says how it is handed over (`shown`, `letter`), for the log; never the code."""
    had_pin = practitioner.pin_hash is not None
    issued = activation.issue(practitioner, now)
    _audit(
        Event.PRACTITIONER_ACTIVATION_ISSUED,
        practitioner,
        by,
        delivery=delivery,
        expires_at=issued.expires_at.isoformat(),
        voided_pin=had_pin,
    )
    return issued


def set_phones(practitioner: Practitioner, raw: Iterable[str], *, by: Actor) -> bool:
    """Replace the registered numbers; ValueError names one that is not a number. False if
    nothing changed (and nothing is audited)."""
    numbers = normalised_phones(raw)
    before = [phone.number for phone in practitioner.phones]
    if sorted(before) == sorted(numbers):
        return False
    kept = [phone for phone in practitioner.phones if phone.number in numbers]
    practitioner.phones = kept + [
        PractitionerPhone(number=n) for n in numbers if n not in {p.number for p in kept}
    ]
    added = sorted(set(numbers) - set(before))
    removed = sorted(set(before) - set(numbers))
    _audit(Event.PRACTITIONER_PHONES_CHANGED, practitioner, by, added=added, removed=removed)
    return True


def set_dates(
    practitioner: Practitioner, vetted_on: date, trained_on: date | None, *, by: Actor
) -> dict[str, list[str | None]]:
    """Record a new vetting or training date; the changes (field: [before, after]), audited."""
    changes: dict[str, list[str | None]] = {}
    if practitioner.vetted_on != vetted_on:
        changes["vetted_on"] = [practitioner.vetted_on.isoformat(), vetted_on.isoformat()]
        practitioner.vetted_on = vetted_on
    if practitioner.trained_on != trained_on:
        was = practitioner.trained_on.isoformat() if practitioner.trained_on else None
        changes["trained_on"] = [was, trained_on.isoformat() if trained_on else None]
        practitioner.trained_on = trained_on
    if changes:
        _audit(Event.PRACTITIONER_DATES_CHANGED, practitioner, by, changes=changes)
    return changes
