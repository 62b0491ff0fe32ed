"""Vetting and training dates in bulk: a file of practitioner_id, vetted_on, trained_on,
checked whole (every line, by number) before any date changes, then applied and audited."""

from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from desk.core.audit.actors import Actor
from desk.core.extensions import db
from verification import administration, enrolment
from verification.enrolment import Report
from verification.models import Practitioner
from verification.registry import ID_SHAPE

FIELDS = ("practitioner_id", "vetted_on", "trained_on")


@dataclass(frozen=True)
class NewDates:
    practitioner_id: str
    vetted_on: date | None
    trained_on: date | None


def _record(raw: dict[str, Any], today: date) -> NewDates:
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]}")
    practitioner_id = str(raw.get("practitioner_id") or "").strip()
    if not ID_SHAPE.fullmatch(practitioner_id):
        raise ValueError(f"practitioner_id {practitioner_id!r} is not 8 digits")
    found: dict[str, date | None] = {}
    for name in ("vetted_on", "trained_on"):
        value = str(raw.get(name) or "").strip()
        try:
            found[name] = date.fromisoformat(value) if value else None
        except ValueError:
            raise ValueError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None
        day = found[name]
        if day is not None and day > today:
            raise ValueError(f"{name} {value} is in the future")
    if found["vetted_on"] is None and found["trained_on"] is None:
        raise ValueError("give vetted_on, trained_on or both")
    return NewDates(practitioner_id, found["vetted_on"], found["trained_on"])


def update(path: Path, fmt: str, today: date, *, by: Actor) -> Report:
    """Check every line (the practitioner must exist); if all are fit, set the dates given
    (a blank one is left as it is). Flushed, not committed."""
    report = Report()
    checked: list[NewDates] = []
    lines = enrolment.checked_lines(
        path, fmt, partial(_record, today=today), report, headers=("practitioner_id",)
    )
    for number, new in lines:
        if db.session.get(Practitioner, new.practitioner_id) is None:
            report.problem(number, f"no practitioner {new.practitioner_id}")
        else:
            checked.append(new)
    if report.problem_count:
        return report
    for new in checked:
        practitioner = db.session.get_one(Practitioner, new.practitioner_id)
        changes = administration.set_dates(
            practitioner,
            new.vetted_on or practitioner.vetted_on,
            new.trained_on or practitioner.trained_on,
            by=by,
        )
        if changes:
            report.updated += 1
            report.changed_fields.update(changes.keys())
        else:
            report.unchanged += 1
    return report
