"""Whose vetting or training lapses soon: the administrators' lists, read from the dates."""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import select

from desk.core.extensions import db
from verification.checks import (
    TRAINING_VALID_YEARS,
    VETTING_VALID_YEARS,
    training_expires,
    vetting_expires,
)
from verification.models import AccessStatus, Practitioner

SOON_DAYS = 30
LISTED = 500


class Lapse(StrEnum):
    VETTING = "vetting"
    TRAINING = "training"


@dataclass(frozen=True)
class Lapsing:
    practitioner: Practitioner
    lapses_on: date


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def lapsing(kind: Lapse, today: date, days: int = SOON_DAYS, limit: int = LISTED) -> list[Lapsing]:
    """Active practitioners whose vetting or training lapses from today to `days` ahead, the
    soonest first."""
    column = Practitioner.vetted_on if kind is Lapse.VETTING else Practitioner.trained_on
    years = VETTING_VALID_YEARS if kind is Lapse.VETTING else TRAINING_VALID_YEARS
    expires = vetting_expires if kind is Lapse.VETTING else training_expires
    # A date a day either side of the window, then filtered exactly: 29 February's rolling.
    first = _years_before(today, years) - timedelta(days=1)
    last = _years_before(today + timedelta(days=days), years) + timedelta(days=1)
    found = db.session.scalars(
        select(Practitioner)
        .where(Practitioner.status == AccessStatus.ACTIVE, column.between(first, last))
        .order_by(column, Practitioner.id)
        .limit(limit + 10)
    )
    soon = []
    for practitioner in found:
        day = getattr(practitioner, column.key)
        lapses_on = expires(day)
        if today <= lapses_on <= today + timedelta(days=days):
            soon.append(Lapsing(practitioner, lapses_on))
    return soon[:limit]
