"""The checks behind the keypad: each step takes the same time whatever the reason it fails."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String, bindparam, select, update

from desk.core.credentials import accounts, totp
from desk.core.extensions import db
from verification import lockout, pins
from verification.models import AccessStatus, Practitioner

VETTING_VALID_YEARS = 3
# A practitioner's ContactPoint training is refreshed on the same cycle as their vetting.
TRAINING_VALID_YEARS = 3


class Outcome(StrEnum):
    VERIFIED = "verified"
    REJECTED = "rejected"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Verdict:
    """What a complete set of keypad entries proved; `reasons` are for the audit, not the caller."""

    outcome: Outcome
    practitioner: Practitioner | None
    reasons: tuple[str, ...] = ()
    has_locked_account: bool = False


def find_claimed(practitioner_id: str) -> Practitioner | None:
    """The practitioner an entered ID names, if any."""
    return db.session.get(Practitioner, practitioner_id)


def check_pin(claimed_id: str | None, pin: str) -> bool:
    """Whether the PIN is the claimed practitioner's, bringing its hash to today's cost if it
    is. The same statements and argon2 work run whoever is asking and whatever is keyed."""
    practitioner = db.session.scalar(
        select(Practitioner).where(
            Practitioner.id == bindparam("claimed", claimed_id, type_=String())
        )
    )
    checked = pins.hasher().verify(practitioner.pin_hash if practitioner else None, pin)
    if checked.fresh is not None:
        # Kept at other costs: stored afresh if it matched, else the same UPDATE matches no
        # row. The PIN is not kept past this webhook, so this is its one chance.
        rehashed = practitioner if checked.rehashed else None
        db.session.execute(
            update(Practitioner)
            .where(
                Practitioner.id
                == bindparam("rehashed", rehashed.id if rehashed else None, type_=String())
            )
            .values(pin_hash=checked.fresh)
            .execution_options(synchronize_session=False)
        )
    return checked.is_match


def access_problems(practitioner: Practitioner, today: date) -> tuple[str, ...]:
    """Why a verified practitioner may not use the desk: suspended, vetting lapsed, untrained
    or training lapsed."""
    problems = []
    if practitioner.status != AccessStatus.ACTIVE:
        problems.append("suspended")
    if vetting_expires(practitioner.vetted_on) < today:
        problems.append("vetting_expired")
    if practitioner.trained_on is None:
        problems.append("untrained")
    elif training_expires(practitioner.trained_on) < today:
        problems.append("training_expired")
    return tuple(problems)


def _years_after(day: date, years: int) -> date:
    # 29 February rolls to 28 February.
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def vetting_expires(vetted_on: date) -> date:
    """The last day a vetting is valid (29 February rolls to 28 February)."""
    return _years_after(vetted_on, VETTING_VALID_YEARS)


def training_expires(trained_on: date) -> date:
    """The last day a training is valid."""
    return _years_after(trained_on, TRAINING_VALID_YEARS)


def conclude(
    claimed_id: str | None,
    is_pin_correct: bool,
    code: str,
    caller_number: str | None,
    now: datetime,
) -> Verdict:
    """Decide a verification once the token code is in, counting failures and spending the code.

    The account's row is held first, then the number's throttle (the lock order of
    desk/core/credentials/accounts.py), so the verdict is judged on what the attempt before
    left. Whatever is wrong, the same statements run in the same order.
    """
    practitioner = accounts.hold(Practitioner, Practitioner.id, claimed_id)
    is_throttled = lockout.is_throttled(caller_number, now)
    secret = totp.secret_of(practitioner.totp_secret_encrypted if practitioner else None)
    last_step = practitioner.totp_last_step if practitioner else None
    drift = practitioner.totp_drift if practitioner else 0
    step = totp.matching_step(secret, code, now, after=last_step, drift=drift)

    wrong = credential_problems(practitioner, is_pin_correct, step)
    is_right = not wrong and not is_throttled
    is_spent = accounts.spend_code(Practitioner, practitioner if is_right else None, step)
    if is_right and not is_spent:
        wrong = ("wrong_or_reused_code",)  # only where rows cannot be held (SQLite, the demo)
    if not is_spent:
        # A throttled number with the right credentials is refused without blaming the account.
        has_locked = lockout.count_failure(practitioner if wrong else None, caller_number, now)
        reasons = wrong + (("caller_throttled",) if is_throttled else ())
        return Verdict(Outcome.REJECTED, practitioner, reasons, has_locked)

    assert practitioner is not None
    problems = access_problems(practitioner, now.date())
    if problems:
        return Verdict(Outcome.INACTIVE, practitioner, problems)
    return Verdict(Outcome.VERIFIED, practitioner)


def credential_problems(
    practitioner: Practitioner | None, is_pin_correct: bool, step: int | None
) -> tuple[str, ...]:
    """What was wrong with the entries, for the audit; empty when all of it was right."""
    if practitioner is None:
        return ("unknown_id",)
    problems = []
    if not is_pin_correct:
        problems.append("wrong_pin")
    if step is None:
        problems.append("wrong_or_reused_code")
    if practitioner.is_locked:
        problems.append("locked")
    if not practitioner.has_token:
        # Lost, retired or never given: its sealed secret is one nobody holds.
        problems.append("no_token")
    return tuple(problems)
